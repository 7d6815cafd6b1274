// The `subscribe` argument: validates the spec a client sends into assignment requests, and
// checks them against Kafka metadata once the gateway has it. Pure, no I/O.
//
// Accepted (kasocki-api.md, "subscribe"): a topic name, or a non-empty array of at most
// max_items items, each one of
//   "topic"                       every partition, from the end
//   {topic}                       the same as "topic"
//   {topic, partition, offset}    that partition from that offset (any int64: an offset outside
//                                 the watermarks is reset later, so negative ones are allowed)
//   {topic, partition, timestamp} that partition from that time (ms, >= 0)
//   {topic, timestamp}            every partition from that time
// Numbers must be integers; a float with no fractional part (1.0) counts as one, 1.5 does not.
// InvalidAssignmentError: any other type or key, an empty topic, a negative partition or one
// above INT32_MAX, a partition without offset or timestamp, an offset without partition, both
// offset and timestamp, the same topic/partition twice (a whole-topic item overlaps every item of
// that topic), more than max_items items.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "libkasocki/auth/topic_grant.hpp"
#include "libkasocki/gateway/errors.hpp"

namespace kasocki::gateway {

struct assignment_request {
  std::string topic;
  std::optional<std::int32_t> partition;  // absent: every partition of the topic
  std::optional<std::int64_t> offset;     // only with partition
  std::optional<std::int64_t> timestamp;  // ms since the epoch; never with offset
  // Neither offset nor timestamp: from the end (the current high watermark).

  friend bool operator==(const assignment_request&, const assignment_request&) = default;
};

struct subscribe_limits {
  std::size_t max_items = 1000;  // items in one subscribe array
};

result<std::vector<assignment_request>> parse_subscribe_spec(const json& spec,
                                                             const subscribe_limits& limits = {});

// Topic name -> partition count, as the gateway's metadata cache knows it.
using topic_partitions = std::map<std::string, std::int32_t>;

// The topics a client may consume, sorted: those in `metadata` that are in `allowed_topics`
// (every topic when it is empty), never internal ones (names starting with "__"). This is the
// `ready` list and the `availableTopics` of TopicNotAvailableError.
// With a token, only the topics its `topics` claim grants, too.
std::vector<std::string> available_topics(const topic_partitions& metadata,
                                          const std::vector<std::string>& allowed_topics,
                                          const auth::topic_grant& grant = {});

// TopicNotAvailableError for the first request whose topic is not available,
// InvalidAssignmentError for the first partition the topic does not have; ok_t when all fit.
result<ok_t> check_assignment(const std::vector<assignment_request>& requests,
                              const topic_partitions& metadata,
                              const std::vector<std::string>& allowed_topics,
                              const auth::topic_grant& grant = {});

}  // namespace kasocki::gateway
