// Metadata fetches on the worker pool and the cache's refresh schedule on the event loop.
#include "libkasocki/kafka/metadata_cache.hpp"

#include <librdkafka/rdkafka.h>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>

#include "libkasocki/common/log.hpp"
#include "libkasocki/kafka/client_context.hpp"
#include "libkasocki/kafka/librdkafka_log.hpp"

namespace kasocki::kafka {

std::optional<std::int32_t> metadata_snapshot::partition_count(std::string_view topic) const {
  if (auto it = topics.find(topic); it != topics.end()) return it->second;
  return std::nullopt;
}

std::vector<std::string> metadata_snapshot::topic_names() const {
  std::vector<std::string> names;
  names.reserve(topics.size());
  for (const auto& [name, count] : topics) names.push_back(name);
  return names;  // std::map keeps them sorted
}

metadata_snapshot snapshot_from(const struct rd_kafka_metadata& metadata) {
  metadata_snapshot snap;
  snap.healthy = true;
  snap.fetched_at = std::chrono::steady_clock::now();
  for (int i = 0; i < metadata.topic_cnt; ++i) {
    const rd_kafka_metadata_topic& t = metadata.topics[i];
    if (t.topic == nullptr) continue;
    std::string_view name(t.topic);
    if (name.starts_with("__")) continue;
    // A topic being created or deleted may come without partitions; it is not consumable yet.
    if (t.partition_cnt <= 0) continue;
    snap.topics.emplace(name, t.partition_cnt);
  }
  return snap;
}

result<metadata_snapshot> fetch_metadata(rd_kafka_t* rk, std::chrono::milliseconds timeout) {
  const rd_kafka_metadata_t* md = nullptr;
  const rd_kafka_resp_err_t err =
      rd_kafka_metadata(rk, 1 /* all topics */, nullptr, &md, static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return error_from_code(err, "metadata request");
  metadata_snapshot snap = snapshot_from(*md);
  rd_kafka_metadata_destroy(md);
  return snap;
}

struct metadata_cache::state : std::enable_shared_from_this<state> {
  explicit state(client_context& c) : ctx(c), timer(c.loop()) {}

  client_context& ctx;
  boost::asio::steady_timer timer;
  snapshot_ptr current;
  std::vector<handler> waiters;
  bool in_flight = false;
  bool stopped = true;
  std::optional<std::chrono::steady_clock::time_point> unreachable_since;

  void fetch() {
    if (in_flight || stopped) return;
    in_flight = true;
    rd_kafka_t* rk = ctx.query_handle();
    const auto timeout = ctx.config().query_timeout;
    ctx.run_blocking([rk, timeout] { return fetch_metadata(rk, timeout); },
                     [self = shared_from_this()](result<metadata_snapshot> r) {
                       self->on_fetched(std::move(r));
                     });
  }

  void on_fetched(result<metadata_snapshot> r) {
    in_flight = false;
    if (stopped) return;
    const bool was_healthy = current && current->healthy;
    const std::uint64_t recoveries = current ? current->recoveries : 0;
    if (r.has_value()) {
      auto snap = std::move(r).value();
      snap.recoveries = recoveries + (current && !was_healthy ? 1 : 0);
      current = std::make_shared<const metadata_snapshot>(std::move(snap));
    } else {
      // Keep the last known topics: a short outage should not make topics vanish for clients.
      auto snap = current ? metadata_snapshot(*current) : metadata_snapshot{};
      snap.healthy = false;
      snap.last_error = r.error();
      snap.fetched_at = std::chrono::steady_clock::now();
      current = std::make_shared<const metadata_snapshot>(std::move(snap));
    }
    log_transition(was_healthy);
    auto ready = std::move(waiters);
    waiters.clear();
    for (auto& h : ready) h(current);
    schedule();
  }

  // One log line per change of reachability (librdkafka's own lines repeat many times a
  // second meanwhile; their summaries follow the recovery).
  void log_transition(bool was_healthy) {
    const auto now = std::chrono::steady_clock::now();
    if (current->healthy && !was_healthy && unreachable_since) {
      const auto seconds =
          std::chrono::duration_cast<std::chrono::milliseconds>(now - *unreachable_since).count();
      log::info("Kafka is reachable again", {{"unreachable_seconds", seconds / 1000.0}});
      unreachable_since.reset();
      flush_librdkafka_repeats(true);
    } else if (!current->healthy && !unreachable_since) {
      unreachable_since = now;
      log::error("Kafka is unreachable",
                 {{"error", current->last_error ? log_text(*current->last_error) : ""}});
    }
    flush_librdkafka_repeats(false);
  }

  void schedule() {
    if (stopped) return;
    // While Kafka is unreachable, look again sooner: clients and /healthz learn of its return
    // within a second or so, not a whole refresh interval later.
    timer.expires_after(current && !current->healthy
                            ? std::min(ctx.config().metadata_refresh_interval,
                                       ctx.config().metadata_min_refresh_gap)
                            : ctx.config().metadata_refresh_interval);
    timer.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      auto self = weak.lock();
      if (!ec && self) self->fetch();
    });
  }

  void answer_now(handler h) {
    boost::asio::post(ctx.loop(), [h = std::move(h), snap = current] { h(snap); });
  }
};

metadata_cache::metadata_cache(client_context& ctx) : state_(std::make_shared<state>(ctx)) {}

metadata_cache::~metadata_cache() {
  stop();
}

void metadata_cache::start() {
  state_->stopped = false;
  state_->fetch();
}

void metadata_cache::stop() {
  if (!state_->stopped) flush_librdkafka_repeats(true);  // what was counted until now
  state_->stopped = true;
  state_->waiters.clear();
  state_->timer.cancel();
}

snapshot_ptr metadata_cache::snapshot() const {
  return state_->current;
}

void metadata_cache::when_ready(handler h) {
  if (state_->current) return state_->answer_now(std::move(h));
  state_->waiters.push_back(std::move(h));
}

void metadata_cache::refresh(handler h) {
  state_->waiters.push_back(std::move(h));
  if (state_->in_flight || state_->stopped) return;
  const auto gap = state_->ctx.config().metadata_min_refresh_gap;
  if (state_->current && std::chrono::steady_clock::now() - state_->current->fetched_at < gap) {
    auto ready = std::move(state_->waiters);
    state_->waiters.clear();
    for (auto& w : ready) state_->answer_now(std::move(w));
    return;
  }
  state_->timer.cancel();  // re-armed after this fetch
  state_->fetch();
}

}  // namespace kasocki::kafka
