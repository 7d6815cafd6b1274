// Subscription resolution: pure expansion and start decisions, plus the ListOffsets lookups
// (rd_kafka_offsets_for_times, blocking) that run on the worker pool.
#include "libkasocki/kafka/offset_resolver.hpp"

#include <librdkafka/rdkafka.h>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <set>
#include <utility>

#include "libkasocki/kafka/client_context.hpp"

namespace kasocki::kafka {
namespace {

kafka_error unknown_partition(const std::string& topic, std::int32_t partition) {
  return kafka_error{rd_kafka_err2name(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART),
                     "unknown partition " + std::to_string(partition) + " of topic '" + topic + "'",
                     RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
                     {}};
}

// Asks Kafka, for every partition, the offset for `what(request)`: a timestamp in ms, or the
// special RD_KAFKA_OFFSET_BEGINNING (-2: low watermark) / RD_KAFKA_OFFSET_END (-1: high
// watermark), in one batched ListOffsets round per leader.
template <class What>
result<std::vector<std::int64_t>> list_offsets(rd_kafka_t* rk,
                                               const std::vector<partition_request>& parts,
                                               What what, std::chrono::milliseconds timeout) {
  rd_kafka_topic_partition_list_t* list =
      rd_kafka_topic_partition_list_new(static_cast<int>(parts.size()));
  for (const auto& p : parts) {
    rd_kafka_topic_partition_list_add(list, p.topic.c_str(), p.partition)->offset = what(p);
  }
  const rd_kafka_resp_err_t err =
      rd_kafka_offsets_for_times(rk, list, static_cast<int>(timeout.count()));
  std::optional<kafka_error> failure;
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) failure = error_from_code(err, "listing offsets");
  std::vector<std::int64_t> offsets;
  offsets.reserve(parts.size());
  // Looked up by partition rather than by index: the order of the answer is librdkafka's.
  for (std::size_t i = 0; i < parts.size() && !failure; ++i) {
    const rd_kafka_topic_partition_t* tp =
        rd_kafka_topic_partition_list_find(list, parts[i].topic.c_str(), parts[i].partition);
    const std::string where = parts[i].topic + " [" + std::to_string(parts[i].partition) + "]";
    if (tp == nullptr) {
      failure =
          error_from_code(RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION, "listing offsets of " + where);
    } else if (tp->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      failure = error_from_code(tp->err, "listing offsets of " + where);
    } else {
      offsets.push_back(tp->offset);
    }
  }
  rd_kafka_topic_partition_list_destroy(list);
  if (failure) return *failure;
  return offsets;
}

}  // namespace

result<std::vector<partition_request>> expand_requests(std::span<const assignment_request> requests,
                                                       const metadata_snapshot& metadata) {
  std::vector<partition_request> parts;
  std::set<std::pair<std::string, std::int32_t>> seen;
  for (const auto& r : requests) {
    const auto count = metadata.partition_count(r.topic);
    if (!count) {
      return kafka_error{rd_kafka_err2name(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART),
                         "unknown topic '" + r.topic + "'",
                         RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
                         {}};
    }
    if (r.start.what == start_position::kind::offset && r.start.value < 0) {
      return invalid_argument("negative offset " + std::to_string(r.start.value));
    }
    std::int32_t first = 0;
    std::int32_t last = *count - 1;
    if (r.partition) {
      if (*r.partition < 0) {
        return invalid_argument("negative partition " + std::to_string(*r.partition));
      }
      if (*r.partition >= *count) return unknown_partition(r.topic, *r.partition);
      first = last = *r.partition;
    }
    for (std::int32_t p = first; p <= last; ++p) {
      if (!seen.emplace(r.topic, p).second) {
        return invalid_argument("partition " + std::to_string(p) + " of topic '" + r.topic +
                                "' requested twice");
      }
      parts.push_back({r.topic, p, r.start});
    }
  }
  return parts;
}

resolved_assignment decide_start(const partition_request& request, watermarks marks,
                                 std::int64_t offset_for_timestamp, offset_reset policy) {
  resolved_assignment out{request.topic, request.partition, marks.high, false};
  switch (request.start.what) {
    case start_position::kind::end:
      break;
    case start_position::kind::timestamp:
      // Kafka answers -1 when no message is at or after the timestamp: start at the end.
      if (offset_for_timestamp >= 0) {
        out.offset = std::clamp(offset_for_timestamp, marks.low, marks.high);
      }
      break;
    case start_position::kind::offset:
      if (request.start.value >= marks.low && request.start.value <= marks.high) {
        out.offset = request.start.value;
      } else {
        out.offset = policy == offset_reset::earliest ? marks.low : marks.high;
        out.reset = true;
      }
      break;
  }
  return out;
}

result<std::vector<resolved_assignment>> resolve_blocking(rd_kafka_t* rk,
                                                          std::vector<partition_request> parts,
                                                          offset_reset policy,
                                                          std::chrono::milliseconds timeout) {
  std::vector<resolved_assignment> out;
  if (parts.empty()) return out;
  auto lows = list_offsets(
      rk, parts, [](const partition_request&) { return std::int64_t{RD_KAFKA_OFFSET_BEGINNING}; },
      timeout);
  if (!lows) return lows.error();
  auto highs = list_offsets(
      rk, parts, [](const partition_request&) { return std::int64_t{RD_KAFKA_OFFSET_END}; },
      timeout);
  if (!highs) return highs.error();
  std::vector<std::int64_t> found(parts.size(), -1);
  const bool any_timestamp = std::any_of(parts.begin(), parts.end(), [](const auto& p) {
    return p.start.what == start_position::kind::timestamp;
  });
  if (any_timestamp) {
    // Non-timestamp entries ask for the end: harmless, and keeps one list in request order.
    auto times = list_offsets(
        rk, parts,
        [](const partition_request& p) {
          return p.start.what == start_position::kind::timestamp ? p.start.value
                                                                 : RD_KAFKA_OFFSET_END;
        },
        timeout);
    if (!times) return times.error();
    found = std::move(times).value();
  }
  out.reserve(parts.size());
  for (std::size_t i = 0; i < parts.size(); ++i) {
    out.push_back(decide_start(parts[i], {lows.value()[i], highs.value()[i]}, found[i], policy));
  }
  return out;
}

void resolve_assignments(client_context& ctx, const metadata_snapshot& metadata,
                         std::vector<assignment_request> requests, resolve_handler done) {
  auto parts = expand_requests(requests, metadata);
  if (!parts) {
    return boost::asio::post(ctx.loop(),
                             [done = std::move(done), error = parts.error()] { done(error); });
  }
  ctx.run_blocking(
      [rk = ctx.query_handle(), parts = std::move(parts).value(),
       policy = ctx.config().auto_offset_reset, timeout = ctx.config().query_timeout]() mutable {
        return resolve_blocking(rk, std::move(parts), policy, timeout);
      },
      std::move(done));
}

}  // namespace kasocki::kafka
