// The cluster's topics and partition counts, fetched on the worker pool at start, refreshed
// periodically (kafka_config::metadata_refresh_interval) and on demand (coalesced and rate
// limited), never per connection. Readers get an immutable snapshot. Every member function runs on
// the event-loop thread; handlers are called there, never inline.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libkasocki/kafka/error.hpp"

struct rd_kafka_metadata;
typedef struct rd_kafka_s rd_kafka_t;

namespace kasocki::kafka {

class client_context;

struct metadata_snapshot {
  // Topic name -> partition count. Internal topics (names starting with "__") are left out. After
  // a failed fetch this keeps the last known topics.
  std::map<std::string, std::int32_t, std::less<>> topics;
  bool healthy = false;                   // the last fetch reached the cluster
  std::optional<kafka_error> last_error;  // why the last fetch failed, if it did
  std::chrono::steady_clock::time_point fetched_at{};
  // How many times a fetch reached the cluster after a failed one: an outage has ended since a
  // snapshot whose count is lower.
  std::uint64_t recoveries = 0;

  std::optional<std::int32_t> partition_count(std::string_view topic) const;
  std::vector<std::string> topic_names() const;  // sorted
};

using snapshot_ptr = std::shared_ptr<const metadata_snapshot>;

// Pure: the snapshot of a successful librdkafka metadata answer.
metadata_snapshot snapshot_from(const struct rd_kafka_metadata& metadata);

// Blocking (worker pool only): fetches all topics' metadata through `rk`.
result<metadata_snapshot> fetch_metadata(rd_kafka_t* rk, std::chrono::milliseconds timeout);

class metadata_cache {
 public:
  using handler = std::function<void(snapshot_ptr)>;

  explicit metadata_cache(client_context& ctx);
  ~metadata_cache();  // stop()
  metadata_cache(const metadata_cache&) = delete;
  metadata_cache& operator=(const metadata_cache&) = delete;

  // Fetches now, then every refresh interval.
  void start();
  // Cancels the timer; pending handlers are dropped without being called.
  void stop();

  // The current snapshot, null until the first fetch has finished (successfully or not).
  snapshot_ptr snapshot() const;
  // `h(snapshot)` once the first fetch has finished (right away, posted, if it has).
  void when_ready(handler h);
  // `h(snapshot)` after a fresh fetch, e.g. when a client names a topic the cache lacks. Joins a
  // fetch in flight; answers from the cache when the last fetch is younger than
  // metadata_min_refresh_gap.
  void refresh(handler h);

 private:
  struct state;
  std::shared_ptr<state> state_;
};

}  // namespace kasocki::kafka
