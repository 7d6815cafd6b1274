// A deliberately stalled client for `kasocki bench --stalled`: a raw websocket Engine.IO /
// Socket.IO client that connects, subscribes at the end of a topic, sends `start`, and then never
// reads its socket again (with a small receive buffer, so the kernel stops absorbing the stream
// quickly and the server's per-session send queue has to hold the rest). It shows whether one
// client that reads nothing hurts the others. Does I/O: network, on the caller's executor.
#pragma once

#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "client/url.hpp"

namespace kasocki::bench {

class stalled_client {
 public:
  explicit stalled_client(boost::asio::any_io_executor executor);

  // Connects, joins the default namespace, subscribes to `topic` (its end) and starts. Returns
  // an empty string on success, else what went wrong. Reads nothing after the start ack.
  boost::asio::awaitable<std::string> open(const client::endpoint& ep, const std::string& topic);
  void close();

 private:
  // Reads frames until one starts with `prefix` (pings and early messages are skipped).
  boost::asio::awaitable<std::string> read_until(std::string_view prefix);
  boost::asio::awaitable<std::string> write(std::string text);

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
};

}  // namespace kasocki::bench
