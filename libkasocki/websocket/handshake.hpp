// The websocket opening handshake (RFC 6455 4.2): whether an HTTP request asks for a websocket,
// whether the request is a valid one, and the Sec-WebSocket-Accept value of the 101 answer.
// No I/O (SHA-1 through OpenSSL's EVP).
#pragma once

#include <string>
#include <string_view>

namespace kasocki::websocket {

// The parts of an HTTP request the handshake looks at.
struct upgrade_request {
  std::string_view method;      // "GET"
  unsigned http_version = 11;   // 11 for HTTP/1.1
  std::string_view upgrade;     // the Upgrade header
  std::string_view connection;  // the Connection header
  std::string_view version;     // Sec-WebSocket-Version
  std::string_view key;         // Sec-WebSocket-Key
};

enum class upgrade_error {
  none,
  not_get,                // a method other than GET
  old_http,               // HTTP/1.0
  no_upgrade_websocket,   // Upgrade does not name websocket
  no_connection_upgrade,  // Connection does not name upgrade
  bad_version,            // Sec-WebSocket-Version is not 13
  bad_key,                // Sec-WebSocket-Key is not the base64 of 16 bytes
};

// True when the comma-separated header value names `token` (case-insensitive).
bool has_token(std::string_view header, std::string_view token);
// True when the request asks for a websocket (its Upgrade header names it): such a request is
// answered with a 101 or an error, never as a plain HTTP request.
inline bool asks_for_websocket(std::string_view upgrade) {
  return has_token(upgrade, "websocket");
}
upgrade_error check_upgrade(const upgrade_request& r);
std::string_view to_string(upgrade_error e);

// Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + the RFC's GUID)).
std::string accept_key(std::string_view key);

}  // namespace kasocki::websocket
