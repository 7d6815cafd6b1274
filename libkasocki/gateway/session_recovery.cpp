// See session_recovery.hpp.
#include "libkasocki/gateway/session_recovery.hpp"

#include <map>
#include <optional>
#include <string>

#include "libkasocki/common/metrics.hpp"
#include "libkasocki/gateway/gateway.hpp"
#include "libkasocki/gateway/subscribe_resolve.hpp"

namespace kasocki::gateway {

namespace {

using clock = std::chrono::system_clock;
using done_handler = std::function<void(socketio::connect_recovery)>;

// Every answer is counted by outcome: recovered, or why not (new: nothing to recover).
void answer_new(gateway& owner, const done_handler& done, const char* outcome) {
  metrics::global().counter("kasocki_recoveries_total", {{"outcome", outcome}}).inc();
  done({owner.options().recovery_keys->issue_pid(clock::now()), false, nullptr});
}

const char* outcome_of(recovery::recovery_errc kind) {
  switch (kind) {
    case recovery::recovery_errc::malformed:
      return "malformed";
    case recovery::recovery_errc::bad_signature:
      return "signature";
    case recovery::recovery_errc::expired:
      return "expired";
  }
  return "malformed";
}

// The topic of each hash among Kafka's topics; nullopt for a hash no topic or several have.
std::optional<std::string> topic_of(const kafka::metadata_snapshot& snapshot, std::uint32_t hash) {
  std::optional<std::string> found;
  for (const auto& [name, partitions] : snapshot.topics) {
    if (recovery::topic_hash(name) != hash) continue;
    if (found) return std::nullopt;  // two topics share the hash: say nothing rather than guess
    found = name;
  }
  return found;
}

void restore(gateway& owner, const auth::topic_grant& grant, std::string pid,
             recovery::recovered_state opened, const kafka::snapshot_ptr& snapshot,
             done_handler done) {
  if (!snapshot || !snapshot->healthy) return answer_new(owner, done, "kafka");
  auto restored = std::make_shared<restored_session>();
  restored->pid_issued = opened.pid_issued;
  restored->started = opened.state.started;
  if (opened.state.filters) {
    auto filters = socketio::json::parse(*opened.state.filters, nullptr, false);
    if (filters.is_discarded()) return answer_new(owner, done, "malformed");
    auto compiled = filter::compile_filters(filters, owner.options().filters);
    if (!compiled) return answer_new(owner, done, "malformed");
    restored->filters = std::move(*compiled);
  }
  std::vector<assignment_request> requests;
  for (const auto& t : opened.state.topics) {
    auto topic = topic_of(*snapshot, t.topic_hash);
    if (!topic) return answer_new(owner, done, "unknown_topic");
    for (const auto& p : t.partitions) requests.push_back({*topic, p.partition, p.next_offset, {}});
  }
  if (requests.empty()) {
    restored->started = false;  // nothing to start without a subscription
    metrics::global().counter("kasocki_recoveries_total", {{"outcome", "recovered"}}).inc();
    return done({std::move(pid), true, std::move(restored)});
  }
  // The same check as a subscribe's: the topics must still be allowed for this client.
  if (!authorize_requests(owner, grant, requests, *snapshot))
    return answer_new(owner, done, "not_allowed");
  std::vector<kafka::assignment_request> kafka_requests;
  for (const auto& r : requests) kafka_requests.push_back(to_kafka_request(r));
  kafka::resolve_assignments(
      owner.kafka(), *snapshot, std::move(kafka_requests),
      [&owner, pid = std::move(pid), restored, done = std::move(done)](auto resolved) mutable {
        if (!resolved) return answer_new(owner, done, "kafka");
        for (const auto& a : *resolved)
          if (a.reset) return answer_new(owner, done, "out_of_range");  // gone from Kafka
        restored->assignments = std::move(*resolved);
        metrics::global().counter("kasocki_recoveries_total", {{"outcome", "recovered"}}).inc();
        done({std::move(pid), true, std::move(restored)});
      });
}

}  // namespace

void recover_session(gateway& owner, const socketio::json& auth, auth::topic_grant grant,
                     done_handler done) {
  const auto& keys = *owner.options().recovery_keys;
  if (!auth.is_object()) return answer_new(owner, done, "new");
  auto pid = auth.find("pid");
  auto cursor = auth.find("offset");
  if (pid == auth.end() || !pid->is_string()) return answer_new(owner, done, "new");
  if (cursor == auth.end() || !cursor->is_string()) return answer_new(owner, done, "no_cursor");
  auto opened = keys.open(pid->get_ref<const std::string&>(), cursor->get_ref<const std::string&>(),
                          clock::now(), owner.options().recovery_window);
  if (!opened) return answer_new(owner, done, outcome_of(opened.error().kind));
  owner.metadata().when_ready([&owner, grant = std::move(grant), pid = pid->get<std::string>(),
                               opened = std::move(*opened),
                               done = std::move(done)](kafka::snapshot_ptr snapshot) mutable {
    restore(owner, grant, std::move(pid), std::move(opened), snapshot, std::move(done));
  });
}

}  // namespace kasocki::gateway
