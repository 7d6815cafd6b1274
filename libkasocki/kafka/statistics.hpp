// The aggregation of librdkafka's statistics documents (the JSON that `statistics.interval.ms`
// delivers) of many consumer handles into the metrics registry. Pure: parses a string, counts
// into the registry; no I/O and no librdkafka call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "libkasocki/common/metrics.hpp"

namespace kasocki::kafka {

// Aggregates librdkafka's statistics of many consumer handles into the registry:
//   kasocki_kafka_fetched_messages_total{topic,partition,role}, kasocki_kafka_fetched_bytes_total
//   (summed over the handles of a role, from each handle's increase),
//   kasocki_kafka_fetch_rate{topic,partition} (messages/s over the last statistics interval,
//   summed), kasocki_kafka_consumer_lag {topic,partition} (the largest lag among the handles
//   reading it: the slowest client) and kasocki_kafka_consumers (handles that reported).
//   Thread-safe.
class statistics {
 public:
  explicit statistics(metrics::registry& r);
  ~statistics();  // removes its scrape-time families' collectors
  statistics(const statistics&) = delete;
  statistics& operator=(const statistics&) = delete;
  // One statistics document of handle `handle` (any thread; parses it, so call it off the event
  // loop), which counts under `role` (the same for every document of a handle). A malformed
  // document is ignored and returns false. A document no newer than the handle's last one, or
  // of a closed handle, counts nothing: the worker pool may hand them over late.
  bool update(const std::string& handle, std::string_view json, std::string_view role = "consumer");
  // The handle is gone: its lag no longer counts, nor a document of it that comes later.
  void closed(const std::string& handle);
  // Handles that reported and are not closed yet.
  std::size_t consumers() const;

 private:
  struct partition_stats {
    std::int64_t rxmsgs = 0;
    std::int64_t rxbytes = 0;
    std::int64_t lag = -1;  // -1: unknown
    double rate = 0;        // messages/s over the last interval
  };
  using partition_key = std::pair<std::string, std::int32_t>;
  struct counts {
    std::int64_t rxmsgs = 0;
    std::int64_t rxbytes = 0;
  };
  struct handle_stats {
    std::int64_t ts_us = 0;  // librdkafka's monotonic clock at the last document
    std::map<partition_key, partition_stats> partitions;  // being fetched
    // What was counted of every partition the handle ever reported, fetched now or not: its
    // counters go on from there when it is assigned again (a history fetcher goes from
    // partition to partition), so only what it received since is new.
    std::map<partition_key, counts> counted;
  };
  std::vector<metrics::sample> lag_samples() const;
  std::vector<metrics::sample> rate_samples() const;

  metrics::registry& registry_;
  mutable std::mutex mutex_;
  std::map<std::string, handle_stats> handles_;
  static constexpr std::size_t closed_kept = 256;
  std::deque<std::string> closed_;  // the handles closed last, oldest first
};

}  // namespace kasocki::kafka
