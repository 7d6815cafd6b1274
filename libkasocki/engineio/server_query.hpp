// The query parameters of an Engine.IO request, parsed from the request target. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kasocki::engineio {

struct request_query {
  std::optional<std::string> eio;        // "4", "3", ...
  std::optional<std::string> transport;  // "polling", "websocket", ...
  std::optional<std::string> sid;
  bool b64 = false;  // v3: binary packets base64-encoded inside text payloads
  int protocol = 4;  // set by the server once EIO is validated
};

// Parses the query part of a request target ("/socket.io/?EIO=4&transport=polling").
// nullopt when the target is not a valid origin-form URL.
std::optional<request_query> parse_request_query(std::string_view target);

// The path part of a request target, without the query.
std::string_view target_path(std::string_view target);

}  // namespace kasocki::engineio
