// Allocation-free scanning of Socket.IO text packets, for the client's fast path: find the
// namespace, ack id, event name and the raw JSON text of the arguments without building a DOM.
// Structural only (strings and nesting); callers that need validation use socketio::decode_packet.
// Pure functions, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

namespace kasocki::client {

struct raw_header {
  char type = '2';                  // '0'..'6'
  std::string_view nsp = "/";       // "/" when the packet has none
  std::optional<std::uint64_t> id;  // ack id
  std::size_t attachments = 0;      // binary packets ('5', '6') only
  std::string_view payload;         // the JSON text after the header, possibly empty
};

// Splits "<type>[<n>-][<nsp>,][<id>]<payload>". nullopt when malformed.
std::optional<raw_header> scan_header(std::string_view text);

struct raw_event {
  std::string_view name;  // the event name, only when it contains no escape sequence
  std::string_view args;  // the arguments as written inside the array, comma separated
};

// `["name",a,b]` -> {name, "a,b"}; `["name"]` -> {name, ""}. nullopt when the payload is not
// an array starting with an escape-free string (the caller then decodes it fully).
std::optional<raw_event> scan_event(std::string_view payload);

// `[a,b]` -> "a,b" (outer whitespace trimmed). nullopt when not bracketed.
std::optional<std::string_view> array_items(std::string_view payload);

// The end offset of the JSON value starting at or after `pos` (leading whitespace skipped).
std::optional<std::size_t> skip_json_value(std::string_view text, std::size_t pos);

// "a,b,c" -> {"a", "b,c"}; "a" -> {"a", ""}. Values trimmed. nullopt when malformed or empty.
std::optional<std::pair<std::string_view, std::string_view>> split_first_value(
    std::string_view items);

}  // namespace kasocki::client
