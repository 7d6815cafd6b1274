// The pure parts of `kasocki client`: turning --assign, --since, --filter and --topic values
// into the JSON arguments of the Kasocki `subscribe` and `filter` events. No I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "libkasocki/socketio/packet.hpp"

namespace kasocki::client {

using json = socketio::json;

// "TOPIC:PARTITION:OFFSET" -> {"topic":..,"partition":..,"offset":..}. The last two colons
// split, so the topic may not be empty; partition >= 0; offset any integer.
std::optional<json> parse_assign(std::string_view text);

// Milliseconds since the epoch ("1700000000000"), or ISO 8601 UTC / with an offset:
// "2026-11-30T10:00:00Z", "2026-11-30T10:00:00.250+01:00", "2026-11-30" (midnight UTC).
std::optional<std::int64_t> parse_since(std::string_view text);

// "PATH=VALUE" -> {PATH, VALUE}: VALUE is taken as JSON when it parses, else as a string.
std::optional<std::pair<std::string, json>> parse_filter(std::string_view text);

// The subscribe spec: topics as strings (or {topic, timestamp} with `since`), then the assigns.
json build_subscription(const std::vector<std::string>& topics, const std::vector<json>& assigns,
                        std::optional<std::int64_t> since);

// The filter object (a later repeated path wins); null when there are none.
json build_filters(const std::vector<std::pair<std::string, json>>& filters);

}  // namespace kasocki::client
