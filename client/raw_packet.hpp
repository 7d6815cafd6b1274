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

#include "libkasocki/common/result.hpp"

namespace kasocki::client {

// Why a scan gave up. A header the scanner refuses is a protocol error; an event or array it
// refuses may still be valid JSON that the full decoder (socketio::decode_packet) accepts.
enum class raw_errc {
  bad_type,         // the first character is not a type digit 0-6
  bad_attachments,  // a binary packet ('5', '6') without "<count>-"
  bad_ack_id,       // an ack id of more than 19 digits
  not_an_array,     // the payload is not bracketed
  no_plain_name,    // the array does not start with a string free of escapes
  unbalanced,       // a string or bracket left open, or a bracket closed that was not open
  missing_comma,    // two values not separated by a comma
  missing_value,    // nothing where a value should be (empty, or after a comma)
};

// A short description of the kind, e.g. "missing comma".
std::string_view describe(raw_errc kind) noexcept;

template <class T>
using raw_result = kasocki::result<T, raw_errc>;

struct raw_header {
  char type = '2';                  // '0'..'6'
  std::string_view nsp = "/";       // "/" when the packet has none
  std::optional<std::uint64_t> id;  // ack id
  std::size_t attachments = 0;      // binary packets ('5', '6') only
  std::string_view payload;         // the JSON text after the header, possibly empty
};

// Splits "<type>[<n>-][<nsp>,][<id>]<payload>".
raw_result<raw_header> scan_header(std::string_view text);

struct raw_event {
  std::string_view name;  // the event name, only when it contains no escape sequence
  std::string_view args;  // the arguments as written inside the array, comma separated
};

// `["name",a,b]` -> {name, "a,b"}; `["name"]` -> {name, ""}. An error when the payload is not
// an array starting with an escape-free string (the caller then decodes it fully).
raw_result<raw_event> scan_event(std::string_view payload);

// `[a,b]` -> "a,b" (outer whitespace trimmed); not_an_array when not bracketed.
raw_result<std::string_view> array_items(std::string_view payload);

// The end offset of the JSON value starting at or after `pos` (leading whitespace skipped);
// nullopt when there is none or it does not end (the callers above say which).
std::optional<std::size_t> skip_json_value(std::string_view text, std::size_t pos);

// "a,b,c" -> {"a", "b,c"}; "a" -> {"a", ""}. Values trimmed.
raw_result<std::pair<std::string_view, std::string_view>> split_first_value(std::string_view items);

// The arguments of a `message` event without the recovery cursor a server with connection state
// recovery appends as the last argument (`,"<base64url>"`); unchanged when there is none.
std::string_view without_recovery_cursor(std::string_view args_json);

}  // namespace kasocki::client
