// The query parameters of an Engine.IO request, parsed and checked from the request target.
// Pure, no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "libkasocki/common/result.hpp"

namespace kasocki::engineio {

struct request_query {
  std::string transport;           // "polling" or "websocket"
  std::optional<std::string> sid;  // absent on a handshake
  bool b64 = false;                // v3: binary packets base64-encoded inside text payloads
  int protocol = 4;                // from EIO: 4, or 3 (socket.io 2.x clients)
};

// Why a request target was refused; each kind is answered with its own HTTP error
// (engineio/errors.hpp), in this order of precedence.
enum class query_errc {
  bad_target,            // not an origin-form target ("/path?query"), or bad percent-encoding
  unknown_transport,     // transport missing, or neither polling nor websocket
  unsupported_protocol,  // EIO missing, or neither 4 nor 3
};

// A short description of the kind, e.g. "unknown transport".
std::string_view describe(query_errc kind) noexcept;

// Parses the query part of a request target ("/socket.io/?EIO=4&transport=polling"). Unknown
// parameters are ignored; of a repeated one the last counts. Whether EIO=3 is served is the
// server's decision (server_options::allow_eio3), not the parser's.
kasocki::result<request_query, query_errc> parse_request_query(std::string_view target);

// The path part of a request target, without the query.
std::string_view target_path(std::string_view target);

}  // namespace kasocki::engineio
