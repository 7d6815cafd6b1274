// The bytes of an SSE stream (the EventStreams/KafkaSSE wire) and of its newline-delimited JSON
// variant, and the chunk framing of HTTP/1.1: each piece is built here so that the stream only
// queues and writes. An event is `event: message\nid: <id>\ndata: <json>\n\n`; the data line is
// the shared augmented body between a per-client head and tail. Pure, no I/O.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "libkasocki/gateway/errors.hpp"

namespace kasocki::sse {

// The opening comment, sent once the start positions are fixed (SSE only).
inline constexpr std::string_view ok_comment = ":ok\n\n";
// What keeps a quiet connection alive: a comment (SSE) or an empty line (NDJSON).
std::string_view keepalive(bool ndjson);

// Around the body of one message: `event: message\nid: <id>\ndata: ` and `\n\n` (SSE), or
// nothing and `\n` (NDJSON).
std::string message_head(bool ndjson, std::string_view id);
// The SSE head in two parts, for a stream that writes the id between them itself.
inline constexpr std::string_view message_head_start = "event: message\nid: ";
inline constexpr std::string_view message_head_end = "\ndata: ";
std::string_view message_tail(bool ndjson);

// An `event: error` with the error object as data (and the id when there is one), or the error
// object as one NDJSON line.
std::string error_event(bool ndjson, const gateway::json& error, std::string_view id);

// A JSON text with line breaks (a pretty-printed Kafka value) as one line: a line break in valid
// JSON can only be whitespace between tokens, so each becomes a space. nullopt when there is
// none (the shared body is sent as it is). Every message of every stream is checked: a memchr
// per line-break character, not a scan per byte.
std::optional<std::string> single_line(std::string_view json_text);

// HTTP/1.1 chunked transfer: the size line before `size` bytes of data, the line end after them,
// and the last chunk.
std::string chunk_head(std::size_t size);
inline constexpr std::string_view chunk_tail = "\r\n";
inline constexpr std::string_view last_chunk = "0\r\n\r\n";

}  // namespace kasocki::sse
