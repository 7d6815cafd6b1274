// client_session's subscribe: the spec is parsed and checked against Kafka metadata (fetched
// again when a topic is unknown, as it may have been created since), then Kafka resolves the
// start offsets; events sent meanwhile wait (client_session::defer). Event-loop thread only;
// asks Kafka through the kafka/ layer.
#include <limits>

#include <boost/asio/steady_timer.hpp>

#include "libkasocki/common/metrics.hpp"
#include "libkasocki/gateway/client_session.hpp"
#include "libkasocki/gateway/subscribe_resolve.hpp"
#include "libkasocki/kafka/offset_resolver.hpp"

namespace kasocki::gateway {

using socketio::json;

// The helpers below are shared with the streams' resolve_stream (subscribe_resolve.hpp).

// Errors of the Kafka layer as the client sees them.
kasocki_error to_client_error(const kafka::kafka_error& e) {
  switch (e.kind()) {
    case kafka::kafka_errc::unknown_topic_or_partition:
    case kafka::kafka_errc::invalid_argument:
      return invalid_assignment_error(e.message);
    case kafka::kafka_errc::unavailable:
      return kafka_unavailable_error();
    case kafka::kafka_errc::offset_out_of_range:
    case kafka::kafka_errc::other:
      break;
  }
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

bool all_topics_known(const kafka::snapshot_ptr& snapshot,
                      const std::vector<assignment_request>& requests) {
  if (!snapshot) return false;
  for (const auto& r : requests)
    if (!snapshot->partition_count(r.topic)) return false;
  return true;
}

result<ok_t> authorize_requests(const gateway& owner, const auth::topic_grant& grant,
                                const std::vector<assignment_request>& requests,
                                const kafka::metadata_snapshot& snapshot) {
  return check_assignment(requests,
                          topic_partitions(snapshot.topics.begin(), snapshot.topics.end()),
                          owner.options().allowed_topics, grant);
}

void client_session::subscribe(json args, socketio::ack_sender ack) {
  idle_->touch();
  if (phase_ != phase::ready) return fail(ack, "subscribe", already_subscribed_error());
  auto requests = parse_subscribe_spec(args.empty() ? json() : args[0], owner_.options_.subscribe);
  if (!requests) return fail(ack, "subscribe", requests.error());
  phase_ = phase::subscribing;
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
  if (phase_ != phase::subscribing) return;  // closed while the metadata was fetched
  auto snapshot = owner_.metadata_.snapshot();
  if (!snapshot || !snapshot->healthy) {
    fail(ack, "subscribe", kafka_unavailable_error());
    return end_subscribe();
  }
  if (auto checked = authorize_requests(owner_, identity_.topics, requests, *snapshot); !checked) {
    fail(ack, "subscribe", checked.error());
    return end_subscribe();
  }
  std::vector<kafka::assignment_request> kafka_requests;
  for (const auto& r : requests) kafka_requests.push_back(to_kafka_request(r));
  std::weak_ptr<client_session> weak = weak_from_this();
  kafka::resolve_assignments(
      owner_.kafka_, *snapshot, std::move(kafka_requests),
      [weak, ack = std::move(ack)](auto resolved) mutable {
        auto self = weak.lock();
        if (!self || self->phase_ != phase::subscribing) return;
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
        if (self->cursor_) {
          self->cursor_->assign(assignments);
          self->emit_cursor();
        }
        self->end_subscribe();  // events sent meanwhile, e.g. consume
      });
}

}  // namespace kasocki::gateway
