// See client_session.hpp: the event handlers of the contract.
#include "libkasocki/gateway/client_session.hpp"

#include <limits>

#include <boost/asio/steady_timer.hpp>

#include "libkasocki/common/metrics.hpp"
#include "libkasocki/kafka/offset_resolver.hpp"

namespace kasocki::gateway {

using socketio::json;

namespace {

// Errors of the Kafka layer as the client sees them.
kasocki_error to_client_error(const kafka::kafka_error& e) {
  if (e.name == "UNKNOWN_TOPIC_OR_PART" || e.name == "_UNKNOWN_PARTITION" ||
      e.name == "_INVALID_ARG")
    return invalid_assignment_error(e.message);
  return kafka_error(e.message, e.name);
}

kafka::assignment_request to_kafka_request(const assignment_request& r) {
  kafka::assignment_request k;
  k.topic = r.topic;
  k.partition = r.partition;
  if (r.offset) {
    // The contract resets every offset outside [low, high], negative ones included; the Kafka
    // layer refuses negative offsets, so ask for one that is out of range on the other side.
    // Both resolve the same way (per auto.offset.reset, marked reset), and the ack shows only
    // the resolved offset.
    k.start = kafka::start_position::at_offset(
        *r.offset < 0 ? std::numeric_limits<std::int64_t>::max() : *r.offset);
  } else if (r.timestamp)
    k.start = kafka::start_position::at_timestamp(*r.timestamp);
  return k;
}

// The filter layer words its size errors "more than N keys", "path deeper than N", "pattern
// longer than N characters"; the client also gets the option that sets the limit.
void name_filter_limit(kasocki_error& error, const filter::filter_limits& limits) {
  auto name = [&](const char* limit, std::size_t max) {
    error.details["limit"] = limit;
    error.details["max"] = max;
    error.message += std::string(" (limit ") + limit + ")";
  };
  if (error.message.find(" keys, more than ") != std::string::npos)
    name("max-filter-keys", limits.max_keys);
  else if (error.message.find("path deeper than ") != std::string::npos)
    name("max-filter-depth", limits.max_depth);
  else if (error.message.find("pattern longer than ") != std::string::npos)
    name("max-filter-pattern", limits.max_pattern);
}

bool all_topics_known(const kafka::snapshot_ptr& snapshot,
                      const std::vector<assignment_request>& requests) {
  if (!snapshot) return false;
  for (const auto& r : requests)
    if (!snapshot->partition_count(r.topic)) return false;
  return true;
}

topic_partitions to_topic_partitions(const kafka::metadata_snapshot& snapshot) {
  return topic_partitions(snapshot.topics.begin(), snapshot.topics.end());
}

}  // namespace

client_session::client_session(gateway& owner, std::shared_ptr<socketio::socket> socket)
    : owner_(owner), socket_(socket) {
  ++owner_.sessions_;
}

client_session::~client_session() {
  --owner_.sessions_;
  owner_.release_filter(filter_id_);
  close_source();
}

void client_session::start() {
  auto socket = socket_.lock();
  if (!socket) return;
  handle("subscribe", &client_session::subscribe);
  handle("filter", &client_session::filter);
  handle("consume", &client_session::consume);
  handle("start", &client_session::start_pushing);
  handle("stop", &client_session::stop_pushing);
  std::weak_ptr<client_session> weak = weak_from_this();
  socket->on_unknown([weak](std::string_view event, json, socketio::ack_sender ack) {
    if (auto self = weak.lock())
      self->fail(ack, std::string(event).c_str(),
                 invalid_request_error("unknown event '" + std::string(event) + "'"));
  });
  // The socket's disconnect handler owns the session; dropping it releases Kafka.
  socket->on_disconnect([self = shared_from_this()](std::string_view) mutable {
    self->close_source();
    self->consumes_.clear();
    self.reset();
  });
  idle_ = std::make_unique<idle_watch>(
      owner_.kafka_.loop(), owner_.options_.idle_timeout,
      [this] { return started_ || !consumes_.empty(); }, [this] { on_idle(); });
  idle_->start();
  owner_.metadata_.when_ready([weak](kafka::snapshot_ptr metadata) {
    auto self = weak.lock();
    if (!self) return;
    if (metadata && metadata->healthy) return self->on_ready(metadata);
    // Not reachable at the last fetch: ask once more before giving up on this client.
    self->owner_.metadata_.refresh([weak](kafka::snapshot_ptr fresh) {
      if (auto self = weak.lock()) self->on_ready(fresh);
    });
  });
}

void client_session::on_idle() {
  auto socket = socket_.lock();
  if (!socket) return;
  emit_error("idle", idle_timeout_error(owner_.options_.idle_timeout.count()));
  socket->disconnect(true);
}

void client_session::on_ready(const kafka::snapshot_ptr& metadata) {
  auto socket = socket_.lock();
  if (!socket) return;
  if (!metadata || !metadata->healthy) {
    std::string why = metadata && metadata->last_error ? metadata->last_error->message
                                                       : std::string("no answer from the brokers");
    emit_error("connect", kafka_unavailable_error("Kafka is not reachable: " + why));
    socket->disconnect(true);
    return;
  }
  auto topics = available_topics(to_topic_partitions(*metadata), owner_.options_.allowed_topics);
  socket->emit("ready", json::array({topics}));
  ready_ = true;
  run_deferred();
}

void client_session::run_deferred() {
  // In arrival order, until one of them starts a subscribe: the rest wait for its answer.
  while (!deferred_.empty() && !subscribing_) {
    auto event = std::move(deferred_.front());
    deferred_.pop_front();
    event();
  }
}

void client_session::end_subscribe() {
  subscribing_ = false;
  run_deferred();
}

void client_session::handle(const char* event, handler h) {
  auto socket = socket_.lock();
  std::weak_ptr<client_session> weak = weak_from_this();
  socket->on(event, [weak, h](json args, socketio::ack_sender ack) {
    auto self = weak.lock();
    if (!self) return;
    // Events before `ready`, or while a subscribe is being resolved, are handled after it, in
    // order: a client may send subscribe and consume back to back.
    if (!self->ready_ || self->subscribing_ || !self->deferred_.empty()) {
      self->deferred_.push_back([weak, h, args = std::move(args), ack]() mutable {
        if (auto self = weak.lock()) ((*self).*h)(std::move(args), std::move(ack));
      });
      return;
    }
    ((*self).*h)(std::move(args), std::move(ack));
  });
}

// ---- replies ----

void client_session::reply(socketio::ack_sender& ack, const char*, json result) {
  if (ack) ack(json::array({nullptr, std::move(result)}));
}

void client_session::emit_error(const char* event, const kasocki_error& error) {
  metrics::global().counter("kasocki_errors_total", {{"name", error.name}}).inc();
  // A refusal by a configured limit (limit_error, name_filter_limit) is also counted by limit.
  if (auto limit = error.details.find("limit"); limit != error.details.end() && limit->is_string())
    metrics::global()
        .counter("kasocki_limit_rejections_total", {{"limit", limit->get<std::string>()}})
        .inc();
  if (auto socket = socket_.lock()) socket->emit("err", json::array({to_json(error, event)}));
}

void client_session::fail(socketio::ack_sender& ack, const char* event,
                          const kasocki_error& error) {
  // Errors of an event handler go to its ack and come as an `err` event too.
  if (ack) ack(json::array({to_json(error, event), nullptr}));
  emit_error(event, error);
}

// ---- subscribe ----

void client_session::subscribe(json args, socketio::ack_sender ack) {
  idle_->touch();
  if (source_ || subscribing_) return fail(ack, "subscribe", already_subscribed_error());
  auto requests = parse_subscribe_spec(args.empty() ? json() : args[0], owner_.options_.subscribe);
  if (!requests) return fail(ack, "subscribe", requests.error());
  subscribing_ = true;
  if (all_topics_known(owner_.metadata_.snapshot(), *requests))
    return subscribe_checked(std::move(*requests), std::move(ack));
  // A topic the cache does not know may have been created since its last fetch. The cache is
  // rate limited: within metadata_min_refresh_gap of its last fetch it answers from that fetch,
  // and it joins a fetch already in flight; either may predate the topic. So when the first
  // answer still lacks a topic, ask once more when the gap is over: that fetch starts after this
  // subscribe arrived, and only its answer justifies a TopicNotAvailableError.
  std::weak_ptr<client_session> weak = weak_from_this();
  owner_.metadata_.refresh([weak, requests = std::move(*requests),
                            ack = std::move(ack)](kafka::snapshot_ptr snapshot) mutable {
    auto self = weak.lock();
    if (!self) return;
    if (!snapshot || !snapshot->healthy || all_topics_known(snapshot, requests))
      return self->subscribe_checked(std::move(requests), std::move(ack));
    const auto gap = self->owner_.kafka_.config().metadata_min_refresh_gap;
    auto timer = std::make_shared<boost::asio::steady_timer>(self->owner_.kafka_.loop());
    timer->expires_at(snapshot->fetched_at + gap + std::chrono::milliseconds(1));
    timer->async_wait([weak, timer, requests = std::move(requests),
                       ack = std::move(ack)](boost::system::error_code) mutable {
      auto self = weak.lock();
      if (!self) return;
      self->owner_.metadata_.refresh([weak, requests = std::move(requests),
                                      ack = std::move(ack)](kafka::snapshot_ptr) mutable {
        if (auto self = weak.lock()) self->subscribe_checked(std::move(requests), std::move(ack));
      });
    });
  });
}

void client_session::subscribe_checked(std::vector<assignment_request> requests,
                                       socketio::ack_sender ack) {
  auto snapshot = owner_.metadata_.snapshot();
  if (!snapshot || !snapshot->healthy) {
    fail(ack, "subscribe", kafka_error("Kafka metadata is not available"));
    return end_subscribe();
  }
  if (auto error = check_assignment(requests, to_topic_partitions(*snapshot),
                                    owner_.options_.allowed_topics)) {
    fail(ack, "subscribe", *error);
    return end_subscribe();
  }
  std::vector<kafka::assignment_request> kafka_requests;
  for (const auto& r : requests) kafka_requests.push_back(to_kafka_request(r));
  std::weak_ptr<client_session> weak = weak_from_this();
  kafka::resolve_assignments(
      owner_.kafka_, *snapshot, std::move(kafka_requests),
      [weak, ack = std::move(ack)](auto resolved) mutable {
        auto self = weak.lock();
        if (!self) return;
        if (!resolved) {
          self->fail(ack, "subscribe", to_client_error(resolved.error()));
          return self->end_subscribe();
        }
        auto assignments = resolved.value();
        // Reads from the shared tail's windows where they cover the offsets, else privately.
        self->source_ = self->owner_.tail_.open(assignments);
        metrics::global().gauge("kasocki_sessions_subscribed").inc();
        json result = json::array();
        for (const auto& a : assignments) {
          json item = {{"topic", a.topic}, {"partition", a.partition}, {"offset", a.offset}};
          if (a.reset) item["reset"] = true;
          result.push_back(std::move(item));
        }
        self->reply(ack, "subscribe", std::move(result));
        self->end_subscribe();  // events sent meanwhile, e.g. consume
      });
}

// ---- filter, consume, start, stop ----

void client_session::filter(json args, socketio::ack_sender ack) {
  json filters = args.empty() ? json() : std::move(args[0]);
  auto compiled = filter::compile_filters(filters, owner_.options_.filters);
  if (!compiled) {
    auto error = invalid_filter_error(compiled.error().message, std::move(filters));
    name_filter_limit(error, owner_.options_.filters);
    return fail(ack, "filter", error);
  }
  filters_ = compiled.value();
  const auto previous = filter_id_;
  filter_id_ = owner_.acquire_filter(filters_);
  owner_.release_filter(previous);
  reply(ack, "filter", filters_.stored());
}

void client_session::consume(json, socketio::ack_sender ack) {
  idle_->touch();
  if (!source_) return fail(ack, "consume", not_subscribed_error());
  if (consumes_.size() >= owner_.options_.max_outstanding_consumes)
    return fail(
        ack, "consume",
        limit_error("InvalidRequestError",
                    "too many outstanding consume calls: " +
                        std::to_string(owner_.options_.max_outstanding_consumes) + " wait already",
                    "max-outstanding-consumes",
                    static_cast<std::int64_t>(owner_.options_.max_outstanding_consumes)));
  // Without an ack there is nowhere to deliver the message: it still counts as a request.
  consumes_.push_back(std::move(ack));
  pump();
}

void client_session::start_pushing(json, socketio::ack_sender ack) {
  idle_->touch();
  if (!source_) return fail(ack, "start", not_subscribed_error());
  if (started_) return fail(ack, "start", already_started_error());
  started_ = true;
  metrics::global().gauge("kasocki_sessions_started").inc();
  reply(ack, "start", nullptr);  // the ack goes out before the first message
  pump();
}

void client_session::stop_pushing(json, socketio::ack_sender ack) {
  // Messages already read stay in batches_ and go out after the next start or to consumes.
  if (started_) metrics::global().gauge("kasocki_sessions_started").dec();
  started_ = false;
  reply(ack, "stop", nullptr);
}

void client_session::close_source() {
  if (source_) source_->close();
  if (source_) metrics::global().gauge("kasocki_sessions_subscribed").dec();
  if (started_) metrics::global().gauge("kasocki_sessions_started").dec();
  source_.reset();
  batches_.clear();
  started_ = false;
}

}  // namespace kasocki::gateway
