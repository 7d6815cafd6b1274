// The state behind engineio_client (private to client/): one Engine.IO session, its transports
// and its reader, writer and heartbeat coroutines. Does I/O. Session logic is in
// engineio_session.cpp, the HTTP/websocket plumbing in engineio_transport.cpp.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "client/engineio_client.hpp"
#include "client/masked_frame.hpp"
#include "libkasocki/engineio/packet.hpp"

namespace kasocki::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
using error_code = boost::system::error_code;

class engineio_session : public std::enable_shared_from_this<engineio_session> {
 public:
  enum class state { idle, opening, open, closing, closed };

  engineio_session(asio::any_io_executor executor, engineio_options options);

  asio::awaitable<error_code> open(endpoint ep);
  void send(engineio::out_packet packet);
  void close();
  // Ends the session now (sockets closed, timers cancelled) and reports `reason` once.
  void finish(error_code reason);

  state state_ = state::idle;
  handshake_info handshake_;
  bool websocket_active_ = false;
  engineio_client::message_handler on_message_;
  engineio_client::close_handler on_close_;

 private:
  struct http_connection {
    explicit http_connection(asio::any_io_executor ex) : stream(std::move(ex)) {}
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
  };
  using websocket_stream = beast::websocket::stream<beast::tcp_stream>;

  // --- session logic (engineio_session.cpp)
  bool parse_open_packet(std::string_view json_text);
  // One received packet; `data` excludes the type. False when the session must end.
  void on_packet(engineio::packet_type type, std::string_view data, bool binary);
  void on_text(std::string_view text);  // a text packet with its type digit
  asio::awaitable<void> heartbeat_loop();
  asio::awaitable<void> writer_loop();
  void start_loops();
  void wake_writer() { write_signal_.cancel(); }

  // --- transports (engineio_transport.cpp)
  asio::awaitable<error_code> http_exchange(http_connection& conn, beast::http::verb verb,
                                            std::string body, std::string& response_body);
  asio::awaitable<error_code> open_websocket(std::string target);
  asio::awaitable<error_code> read_frame(std::string_view& data, bool& text);
  asio::awaitable<error_code> write_frame(std::string_view data, bool text);  // through Beast
  // Complete masked frames, written straight to the TCP stream under Beast (see the .cpp).
  asio::awaitable<error_code> write_frames(std::string_view frames);
  asio::awaitable<error_code> probe_upgrade();
  asio::awaitable<error_code> post_queued();
  asio::awaitable<void> websocket_reader();
  asio::awaitable<void> polling_reader();
  void close_sockets();

  asio::any_io_executor executor_;
  engineio_options options_;
  endpoint endpoint_;
  asio::ip::tcp::resolver::results_type addresses_;
  http_connection get_conn_;   // long-poll GETs
  http_connection post_conn_;  // POSTs, concurrent with a pending GET
  std::optional<websocket_stream> ws_;
  beast::flat_buffer ws_buffer_;  // reused for every received frame
  std::string frame_;             // reused for every batch of sent frames / POST body
  mask_source masks_;             // a key per client frame
  std::deque<engineio::out_packet> queue_;
  asio::steady_timer write_signal_;  // the writer waits on it; cancel() wakes it
  asio::steady_timer heartbeat_timer_;
  std::chrono::steady_clock::time_point ping_deadline_;
};

}  // namespace kasocki::client
