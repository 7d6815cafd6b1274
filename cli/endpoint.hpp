// Parsing of HOST:PORT command-line values into TCP endpoints. Pure.
#pragma once

#include <optional>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>

namespace kasocki::cli {

// "127.0.0.1:3000", "0.0.0.0:6927", "[::1]:80", ":6927" (all interfaces), "localhost:3000".
std::optional<boost::asio::ip::tcp::endpoint> parse_endpoint(std::string_view text);

}  // namespace kasocki::cli
