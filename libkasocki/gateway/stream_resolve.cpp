// See subscribe_resolve.hpp: a plain stream's subscribe, the steps of client_session::subscribe
// with a callback instead of an ack. Event-loop thread only; asks Kafka through the kafka/ layer.
#include <memory>

#include <boost/asio/steady_timer.hpp>

#include "libkasocki/gateway/gateway.hpp"
#include "libkasocki/gateway/subscribe_resolve.hpp"

namespace kasocki::gateway {

namespace {

void resolve_checked(gateway& owner, const std::vector<assignment_request>& requests,
                     stream_resolve_handler done, const auth::topic_grant& grant) {
  auto snapshot = owner.metadata().snapshot();
  if (!snapshot || !snapshot->healthy) return done(kafka_unavailable_error());
  if (auto checked = check_assignment(
          requests, topic_partitions(snapshot->topics.begin(), snapshot->topics.end()),
          owner.options().allowed_topics, grant);
      !checked)
    return done(checked.error());
  std::vector<kafka::assignment_request> kafka_requests;
  for (const auto& r : requests) kafka_requests.push_back(to_kafka_request(r));
  kafka::resolve_assignments(owner.kafka(), *snapshot, std::move(kafka_requests),
                             [done = std::move(done)](auto resolved) {
                               if (!resolved) return done(to_client_error(resolved.error()));
                               done(std::move(resolved.value()));
                             });
}

}  // namespace

void resolve_stream(gateway& owner, std::vector<assignment_request> requests,
                    stream_resolve_handler done, auth::topic_grant grant) {
  auto& metadata = owner.metadata();
  // As subscribe: a topic the cache does not know may have been created since its last fetch;
  // only a fetch that started after the request may say it does not exist.
  metadata.when_ready([&owner, requests = std::move(requests), done = std::move(done),
                       grant = std::move(grant)](kafka::snapshot_ptr snapshot) mutable {
    if (snapshot && snapshot->healthy && all_topics_known(snapshot, requests))
      return resolve_checked(owner, requests, std::move(done), grant);
    owner.metadata().refresh([&owner, requests = std::move(requests), done = std::move(done),
                              grant = std::move(grant)](kafka::snapshot_ptr snapshot) mutable {
      if (!snapshot || !snapshot->healthy || all_topics_known(snapshot, requests))
        return resolve_checked(owner, requests, std::move(done), grant);
      const auto gap = owner.kafka().config().metadata_min_refresh_gap;
      auto timer = std::make_shared<boost::asio::steady_timer>(owner.kafka().loop());
      timer->expires_at(snapshot->fetched_at + gap + std::chrono::milliseconds(1));
      timer->async_wait([&owner, timer, requests = std::move(requests), done = std::move(done),
                         grant = std::move(grant)](boost::system::error_code) mutable {
        owner.metadata().refresh([&owner, requests = std::move(requests), done = std::move(done),
                                  grant = std::move(grant)](kafka::snapshot_ptr) mutable {
          resolve_checked(owner, requests, std::move(done), grant);
        });
      });
    });
  });
}

}  // namespace kasocki::gateway
