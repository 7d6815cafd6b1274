// See client_session.hpp: the session's lifecycle, the events held before `ready` or during a
// subscribe, replies and errors, and the filter, consume, start and stop handlers (subscribe is
// in subscribe.cpp, delivery in delivery.cpp). Event-loop thread only.
#include "libkasocki/gateway/client_session.hpp"

#include "libkasocki/common/metrics.hpp"

namespace kasocki::gateway {

using socketio::json;

namespace {

// A filter refused by one of its size limits: the client also gets the option that sets it.
void name_filter_limit(kasocki_error& error, filter::filter_errc kind,
                       const filter::filter_limits& limits) {
  auto name = [&](const char* limit, std::size_t max) {
    error.details["limit"] = limit;
    error.details["max"] = max;
    error.message += std::string(" (limit ") + limit + ")";
  };
  switch (kind) {
    case filter::filter_errc::too_many_keys:
      return name("max-filter-keys", limits.max_keys);
    case filter::filter_errc::path_too_deep:
      return name("max-filter-depth", limits.max_depth);
    case filter::filter_errc::pattern_too_long:
      return name("max-filter-pattern", limits.max_pattern);
    default:
      return;
  }
}

topic_partitions to_topic_partitions(const kafka::metadata_snapshot& snapshot) {
  return topic_partitions(snapshot.topics.begin(), snapshot.topics.end());
}

}  // namespace

client_session::client_session(gateway& owner, std::shared_ptr<socketio::socket> socket)
    : owner_(owner), socket_(socket) {
  ++owner_.sessions_;
  // The connect guard left the verified token there (with an authenticator only).
  if (auto* admitted = std::any_cast<admitted_client>(&socket->data())) {
    identity_ = admitted->identity;
    subject_ticket_ = std::move(admitted->ticket);
  }
}

client_session::~client_session() {
  --owner_.sessions_;
  owner_.release_filter(filter_id_);
  close_source();
}

void client_session::start() {
  auto socket = socket_.lock();
  if (!socket) return;
  if (const auto& keys = owner_.options_.recovery_keys; keys && !socket->pid().empty()) {
    const auto* restored = static_cast<const restored_session*>(socket->recovered_state().get());
    auto issued = restored
                      ? restored->pid_issued
                      : keys->verify_pid(socket->pid()).value_or(std::chrono::system_clock::now());
    cursor_ = std::make_unique<session_cursor>(*keys, socket->pid(), issued);
  }
  handle("subscribe", &client_session::subscribe);
  handle("filter", &client_session::filter);
  handle("consume", &client_session::consume);
  handle("start", &client_session::start_pushing);
  handle("stop", &client_session::stop_pushing);
  if (owner_.authenticator_) {
    handle("auth", &client_session::renew);
    watch_expiry();
  }
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
    self->deferred_.clear();
    self.reset();
  });
  idle_ = std::make_unique<idle_watch>(
      owner_.kafka_.loop(), owner_.options_.idle_timeout,
      [this] { return phase_ == phase::started || !consumes_.empty(); }, [this] { on_idle(); });
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
  if (!socket || phase_ != phase::waiting_for_metadata) return;
  if (!metadata || !metadata->healthy) {
    // Why (librdkafka's text, broker names) is in the server's log, not for the client.
    emit_error("connect", kafka_unavailable_error(
                              "Kafka cannot be reached: try again later (nothing was lost: "
                              "positions are kept by the client)"));
    socket->disconnect(true);
    return;
  }
  auto topics = available_topics(to_topic_partitions(*metadata), owner_.options_.allowed_topics,
                                 identity_.topics);
  socket->emit("ready", json::array({topics}));
  phase_ = phase::ready;
  if (const auto* restored = static_cast<const restored_session*>(socket->recovered_state().get()))
    restore(*restored);
  run_deferred();
}

void client_session::run_deferred() {
  // In arrival order, until one of them starts a subscribe: the rest wait for its answer.
  while (!deferred_.empty() && phase_ != phase::subscribing && phase_ != phase::closed) {
    auto event = std::move(deferred_.front());
    deferred_.pop_front();
    event();
  }
}

void client_session::end_subscribe() {
  if (phase_ != phase::subscribing) return;  // closed meanwhile
  phase_ = source_ ? phase::subscribed : phase::ready;
  run_deferred();
}

bool client_session::defers_events() const {
  return phase_ == phase::waiting_for_metadata || phase_ == phase::subscribing ||
         !deferred_.empty();
}

// A client may send subscribe and consume back to back, before `ready` even; what it sends
// meanwhile is held, but only so much of it: a client that floods the server while it waits gets
// an error and is let go instead of growing the queue.
void client_session::defer(const char* event, std::function<void()> run,
                           socketio::ack_sender& ack) {
  const auto max = owner_.options_.max_pending_events;
  if (deferred_.size() < max) {
    deferred_.push_back(std::move(run));
    return;
  }
  deferred_.clear();
  fail(ack, event, too_many_pending_events_error(static_cast<std::int64_t>(max)));
  if (auto socket = socket_.lock()) socket->disconnect(true);
}

void client_session::handle(const char* event, handler h) {
  auto socket = socket_.lock();
  std::weak_ptr<client_session> weak = weak_from_this();
  socket->on(event, [weak, h, event](json args, socketio::ack_sender ack) {
    auto self = weak.lock();
    if (!self || self->phase_ == phase::closed) return;
    // Events before `ready`, or while a subscribe is being resolved, are handled after it, in
    // order: a client may send subscribe and consume back to back.
    if (self->defers_events()) {
      auto run = [weak, h, args = std::move(args), ack]() mutable {
        if (auto self = weak.lock()) ((*self).*h)(std::move(args), std::move(ack));
      };
      return self->defer(event, std::move(run), ack);
    }
    ((*self).*h)(std::move(args), std::move(ack));
  });
}

// ---- connection state recovery ----

// The session the client had: its filters, subscription and started state, from the positions
// of its cursor (resolved and checked before the CONNECT was answered).
void client_session::restore(const restored_session& restored) {
  filters_ = restored.filters;
  filter_id_ = owner_.acquire_filter(filters_);
  if (cursor_ && !filters_.empty()) cursor_->set_filters(filters_.stored().dump());
  if (!restored.assignments.empty()) {
    source_ = owner_.tail_.open(restored.assignments);
    metrics::global().gauge("kasocki_sessions_subscribed").inc();
    if (cursor_) cursor_->assign(restored.assignments);
    phase_ = phase::subscribed;
    if (restored.started) {
      phase_ = phase::started;
      metrics::global().gauge("kasocki_sessions_started").inc();
    }
  }
  emit_cursor();
  pump();
}

void client_session::emit_cursor() {
  if (!cursor_) return;
  if (auto socket = socket_.lock())
    socket->emit(
        "cursor",
        json::array({cursor_->text(phase_ == phase::started, std::chrono::system_clock::now())}));
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
  if (is_stream_) {
    if (auto stream = stream_.lock()) stream->send_error(to_json(error, event));
    return;
  }
  if (auto socket = socket_.lock()) socket->emit("err", json::array({to_json(error, event)}));
}

void client_session::fail(socketio::ack_sender& ack, const char* event,
                          const kasocki_error& error) {
  // Errors of an event handler go to its ack and come as an `err` event too.
  if (ack) ack(json::array({to_json(error, event), nullptr}));
  emit_error(event, error);
}

// ---- filter, consume, start, stop ----

void client_session::filter(json args, socketio::ack_sender ack) {
  json filters = args.empty() ? json() : std::move(args[0]);
  auto compiled = filter::compile_filters(filters, owner_.options_.filters);
  if (!compiled) {
    auto error = invalid_filter_error(compiled.error().message, std::move(filters));
    name_filter_limit(error, compiled.error().kind, owner_.options_.filters);
    return fail(ack, "filter", error);
  }
  filters_ = compiled.value();
  const auto previous = filter_id_;
  filter_id_ = owner_.acquire_filter(filters_);
  owner_.release_filter(previous);
  reply(ack, "filter", filters_.stored());
  if (cursor_) {
    cursor_->set_filters(filters_.empty() ? std::nullopt
                                          : std::optional<std::string>(filters_.stored().dump()));
    emit_cursor();
  }
}

void client_session::consume(json, socketio::ack_sender ack) {
  idle_->touch();
  if (!subscribed()) return fail(ack, "consume", not_subscribed_error());
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
  if (!subscribed()) return fail(ack, "start", not_subscribed_error());
  if (phase_ == phase::started) return fail(ack, "start", already_started_error());
  phase_ = phase::started;
  metrics::global().gauge("kasocki_sessions_started").inc();
  reply(ack, "start", nullptr);  // the ack goes out before the first message
  emit_cursor();
  pump();
}

void client_session::stop_pushing(json, socketio::ack_sender ack) {
  // Messages already read stay in batches_ and go out after the next start or to consumes.
  if (phase_ == phase::started) {
    metrics::global().gauge("kasocki_sessions_started").dec();
    phase_ = phase::subscribed;
  }
  reply(ack, "stop", nullptr);
  emit_cursor();
}

void client_session::close_source() {
  if (source_) source_->close();
  if (source_) metrics::global().gauge("kasocki_sessions_subscribed").dec();
  if (phase_ == phase::started) metrics::global().gauge("kasocki_sessions_started").dec();
  source_.reset();
  batches_.clear();
  phase_ = phase::closed;
}

}  // namespace kasocki::gateway
