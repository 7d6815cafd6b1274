// The pure parts of `kasocki client`: turning --assign, --since, --filter and --topic values
// into the JSON arguments of the Kasocki `subscribe` and `filter` events. No I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "libkasocki/common/result.hpp"
#include "libkasocki/socketio/packet.hpp"

namespace kasocki::client {

using json = socketio::json;

// What is wrong with a command-line value; `kasocki client` prints describe() of it.
enum class args_errc {
  // --assign
  not_an_assignment,  // fewer than two colons: not TOPIC:PARTITION:OFFSET
  empty_topic,        // nothing before the partition
  bad_partition,      // not an integer, or negative
  bad_offset,         // not a (64-bit) integer
  // --since
  before_epoch,  // negative milliseconds
  bad_date,      // not YYYY-MM-DD, or no such month or day
  bad_time,      // not HH:MM[:SS[.fraction]] after the 'T', or out of range
  no_zone,       // a time without 'Z' or an offset: which zone it means is unknown
  bad_zone,      // an offset that is not ±HH[:]MM, or text after the zone
  // --filter
  not_a_filter,  // no '=': not PATH=VALUE
  empty_path,    // nothing before the '='
};

// What is wrong, for people, e.g. "the partition is not a non-negative integer".
std::string_view describe(args_errc kind) noexcept;

template <class T>
using args_result = kasocki::result<T, args_errc>;

// "TOPIC:PARTITION:OFFSET" -> {"topic":..,"partition":..,"offset":..}. The last two colons
// split, so the topic may not be empty; partition >= 0; offset any integer.
args_result<json> parse_assign(std::string_view text);

// Milliseconds since the epoch ("1700000000000"), or ISO 8601 UTC / with an offset:
// "2026-11-30T10:00:00Z", "2026-11-30T10:00:00.250+01:00", "2026-11-30" (midnight UTC).
args_result<std::int64_t> parse_since(std::string_view text);

// "PATH=VALUE" -> {PATH, VALUE}: VALUE is taken as JSON when it parses, else as a string.
args_result<std::pair<std::string, json>> parse_filter(std::string_view text);

// The subscribe spec: topics as strings (or {topic, timestamp} with `since`), then the assigns.
json build_subscription(const std::vector<std::string>& topics, const std::vector<json>& assigns,
                        std::optional<std::int64_t> since);

// The filter object (a later repeated path wins); null when there are none.
json build_filters(const std::vector<std::pair<std::string, json>>& filters);

}  // namespace kasocki::client
