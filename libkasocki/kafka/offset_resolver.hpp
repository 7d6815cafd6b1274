// Resolves a subscription to concrete start offsets: the end to the high watermark, timestamps to
// the first offset at or after them (the high watermark when there is none), and offsets outside
// [low, high] to low or high per auto.offset.reset (marked reset). Topic-wide requests expand to
// every partition from the metadata snapshot. The decisions are pure functions; the lookups run
// on the worker pool (ListOffsets through librdkafka) and answer on the event loop.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "libkasocki/kafka/error.hpp"
#include "libkasocki/kafka/kafka_config.hpp"
#include "libkasocki/kafka/metadata_cache.hpp"

typedef struct rd_kafka_s rd_kafka_t;

namespace kasocki::kafka {

class client_context;

// Where a partition starts.
struct start_position {
  enum class kind { end, offset, timestamp };
  kind what = kind::end;
  std::int64_t value = 0;  // the offset, or the timestamp in ms since the epoch

  static start_position at_end() { return {kind::end, 0}; }
  static start_position at_offset(std::int64_t o) { return {kind::offset, o}; }
  static start_position at_timestamp(std::int64_t ms) { return {kind::timestamp, ms}; }
  friend bool operator==(const start_position&, const start_position&) = default;
};

// One item of a subscription. No partition means every partition of the topic.
struct assignment_request {
  std::string topic;
  std::optional<std::int32_t> partition;
  start_position start;
  friend bool operator==(const assignment_request&, const assignment_request&) = default;
};

// Where consumption of one partition starts.
struct resolved_assignment {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  bool reset = false;  // the requested offset was outside [low, high]
  friend bool operator==(const resolved_assignment&, const resolved_assignment&) = default;
};

struct watermarks {
  std::int64_t low = 0;   // first offset still in the log
  std::int64_t high = 0;  // offset the next produced message will get
};

// One concrete partition to look up (a request after expansion).
struct partition_request {
  std::string topic;
  std::int32_t partition = 0;
  start_position start;
  friend bool operator==(const partition_request&, const partition_request&) = default;
};

// Pure: expands topic-wide requests to every partition and checks topics and partitions against
// the snapshot. Errors: an unknown topic or partition (UNKNOWN_TOPIC_OR_PART), a negative
// partition or offset, the same partition twice (_INVALID_ARG).
result<std::vector<partition_request>> expand_requests(std::span<const assignment_request> requests,
                                                       const metadata_snapshot& metadata);

// Pure: the start of one partition given its watermarks and, for a timestamp request, the offset
// Kafka found for it (negative when no message is at or after the timestamp).
resolved_assignment decide_start(const partition_request& request, watermarks marks,
                                 std::int64_t offset_for_timestamp, offset_reset policy);

// Blocking (worker pool only): looks up watermarks and timestamp offsets, then decides.
result<std::vector<resolved_assignment>> resolve_blocking(rd_kafka_t* rk,
                                                          std::vector<partition_request> parts,
                                                          offset_reset policy,
                                                          std::chrono::milliseconds timeout);

using resolve_handler = std::function<void(result<std::vector<resolved_assignment>>)>;

// Event loop: expands `requests` against `metadata`, resolves them on the worker pool and calls
// `done` on the event loop (never inline). The order of the result follows the requests.
void resolve_assignments(client_context& ctx, const metadata_snapshot& metadata,
                         std::vector<assignment_request> requests, resolve_handler done);

}  // namespace kasocki::kafka
