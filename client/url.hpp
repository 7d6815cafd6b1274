// Server URLs for the socket.io client: parsing "http://host:port[/path][?query]" into an
// endpoint, and building Engine.IO request targets. Pure functions, no I/O.
#pragma once

#include <string>
#include <string_view>

#include "libkasocki/common/result.hpp"

namespace kasocki::client {

struct endpoint {
  std::string host;                  // without brackets for IPv6
  std::string port;                  // "80" when the URL has none
  std::string path = "/socket.io/";  // the Engine.IO path, always ending with '/'
  std::string query;                 // extra query parameters from the URL, without '?'
  bool secure = false;               // https / wss
};

// Why a URL was refused.
enum class url_errc {
  not_a_url,           // not an absolute URI (RFC 3986), e.g. "localhost:6927" or "a b"
  unsupported_scheme,  // neither http, https, ws nor wss
  no_host,             // no authority, or an empty host ("http://")
  bad_port,            // a port that is empty, 0 or not a number ("http://h:x")
};

// What is wrong, for people: e.g. "the scheme is not http, https, ws or wss".
std::string_view describe(url_errc kind) noexcept;

// Accepts http, https, ws and wss URLs. A URL path other than "" or "/" is the Engine.IO path
// (e.g. http://h:1/engine.io/); otherwise `default_path` is used.
kasocki::result<endpoint, url_errc> parse_url(std::string_view url,
                                              std::string_view default_path = "/socket.io/");

// "<path>?EIO=4&transport=<transport>[&sid=<sid>][&<query>]"
std::string request_target(const endpoint& ep, std::string_view transport, std::string_view sid);

// The Host header value: host, or host:port when the port is not the scheme's default.
std::string host_header(const endpoint& ep);

}  // namespace kasocki::client
