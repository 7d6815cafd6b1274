// The request of a Server-Sent Events stream (kasocki-api.md, "Server-Sent Events"): what a
// `GET <sse-path>{topics}` asks for, from its target (path and query) and its Last-Event-ID and
// Accept headers, checked before anything is asked of Kafka. Pure, no I/O; nothing throws on any
// input.
//
//   path        one topic or several, comma separated (percent-decoded); none: TopicNotAvailable
//   ?since=     ms since the epoch or ISO 8601 with a zone, for every partition of the topics
//   ?filters=   the filters object of filter() as JSON (same rules and limits)
//   ?ids=       offset | timestamp: the format of the event ids (default: the server's)
//   Last-Event-ID  [{topic, partition, offset}...] or [{topic, partition, timestamp}...]: one
//               entry per partition, offset winning over timestamp; it replaces the path's topics
//               and `since`
//   Accept      application/json (without text/event-stream): newline-delimited JSON
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libkasocki/filter/filter_set.hpp"
#include "libkasocki/gateway/errors.hpp"
#include "libkasocki/gateway/subscribe_spec.hpp"

namespace kasocki::sse {

using gateway::json;
using gateway::kasocki_error;

enum class id_format { offset, timestamp };

// Why a request is refused before the stream starts; each kind has its HTTP status.
enum class request_errc {
  no_topic,            // 404 TopicNotAvailableError: the path names no topic
  invalid_timestamp,   // 400 InvalidTimestampError: `since` is neither ms nor ISO 8601
  invalid_assignment,  // 400 InvalidAssignmentError: a malformed Last-Event-ID
  invalid_filter,      // 400 InvalidFilterError
  invalid_request,     // 400 InvalidRequestError: a malformed target or `ids` value
};

struct request_error {
  request_errc kind;
  kasocki_error error;  // the JSON body (to_json(error, "sse"))
};

unsigned http_status(request_errc kind);

struct request_limits {
  gateway::subscribe_limits subscribe;  // Last-Event-ID entries (max_items)
  filter::filter_limits filters;        // as for filter()
  // Nesting of a Last-Event-ID: its format is two levels deep; anything deeper is refused
  // before a JSON parser sees it.
  std::size_t max_last_event_id_depth = 4;
};

struct request_headers {
  std::optional<std::string_view> last_event_id;  // absent: no header (empty counts as absent)
  std::string_view accept;
};

struct stream_request {
  // The topics of the stream: those of the path, or of the Last-Event-ID (sorted, distinct).
  std::vector<std::string> topics;
  // Where each starts: a whole topic from `since` or from the end, or Last-Event-ID positions.
  std::vector<gateway::assignment_request> assignments;
  bool resumed = false;               // from a Last-Event-ID
  std::optional<std::int64_t> since;  // ms since the epoch
  filter::filter_set filters;
  id_format ids = id_format::offset;
  bool ndjson = false;
};

using request_result = kasocki::result<stream_request, request_error>;

// `target` is the request target (path and query); `prefix` the SSE path (e.g. "/v2/stream/"),
// which the target's path starts with.
request_result parse_stream_request(std::string_view target, std::string_view prefix,
                                    const request_headers& headers, id_format default_ids,
                                    const request_limits& limits = {});

// ms since the epoch (a non-negative integer) or ISO 8601 (date, or date and time with a zone).
std::optional<std::int64_t> parse_since(std::string_view text);

// The Last-Event-ID header as assignment requests (validated as a subscribe spec: distinct
// partitions, integers).
kasocki::result<std::vector<gateway::assignment_request>, request_error> parse_last_event_id(
    std::string_view text, const request_limits& limits = {});

}  // namespace kasocki::sse
