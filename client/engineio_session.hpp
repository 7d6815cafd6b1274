// The state behind engineio_client (private to client/): one Engine.IO session, its transports
// and its reader, writer and heartbeat coroutines. Does I/O. Session logic is in
// engineio_session.cpp, the HTTP/websocket plumbing in engineio_transport.cpp. The websocket is
// a plain TCP stream once Beast's HTTP code has done the upgrade: the session frames and parses
// websocket frames itself (libkasocki/websocket).
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

#include "client/engineio_client.hpp"
#include "client/send_queue.hpp"
#include "libkasocki/engineio/packet.hpp"
#include "libkasocki/websocket/frame_reader.hpp"
#include "libkasocki/websocket/frame_writer.hpp"

namespace kasocki::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
using error_code = boost::system::error_code;
using kasocki::websocket::frame_error;
using kasocki::websocket::frame_event;
using kasocki::websocket::frame_kind;
using kasocki::websocket::frame_reader;
using kasocki::websocket::mask_source;

// Beast's websocket error for what the frame reader refused (the codes Beast's own reader gave).
error_code frame_error_code(frame_error e);

class engineio_session : public std::enable_shared_from_this<engineio_session> {
 public:
  enum class state { idle, opening, open, closing, closed };

  engineio_session(asio::any_io_executor executor, engineio_options options);

  asio::awaitable<error_code> open(endpoint ep);
  // See engineio_client::send. Pongs are dropped rather than refused when the queue is full:
  // the server reads nothing then, so it would not see them before the next ping anyway.
  error_code send(engineio::out_packet packet);
  bool has_room(std::size_t bytes) const { return state_ == state::open && queue_.has_room(bytes); }
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

  // --- session logic (engineio_session.cpp)
  bool parse_open_packet(std::string_view json_text);
  // One received packet; `data` excludes the type. False when the session must end.
  void on_packet(engineio::packet_type type, std::string_view data, bool binary);
  void on_text(std::string_view text);  // a text packet with its type digit
  // A websocket frame from the reader loop; false when the loop must end.
  bool on_frame(const frame_event& e);
  asio::awaitable<void> heartbeat_loop();
  asio::awaitable<void> writer_loop();
  // The websocket close frame of the client's close(), then the server's answer.
  asio::awaitable<void> close_websocket();
  void start_loops();
  void wake_writer() { write_signal_.cancel(); }
  // A masked pong or close frame for the writer loop, sent before any queued packet.
  void queue_control_frame(unsigned opcode, std::string_view payload);

  // --- transports (engineio_transport.cpp)
  asio::awaitable<error_code> http_exchange(http_connection& conn, beast::http::verb verb,
                                            std::string body, std::string& response_body);
  // Connects and does the websocket upgrade (RFC 6455 4.1) over HTTP/1.1.
  asio::awaitable<error_code> open_websocket(std::string target);
  // The next websocket message while no reader loop runs (the open packet, the probe reply).
  asio::awaitable<error_code> read_message(std::string_view& data, bool& text);
  // Complete masked frames, in one write.
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
  http_connection get_conn_;             // long-poll GETs
  http_connection post_conn_;            // POSTs, concurrent with a pending GET
  std::optional<beast::tcp_stream> ws_;  // the websocket's connection, after the upgrade
  frame_reader frames_;                  // what the server sent on it
  std::string frame_;                    // reused for every batch of sent frames / POST body
  std::string control_frames_;           // pongs and a close reply, waiting for the writer
  bool close_sent_ = false;              // the client's websocket close frame is written
  bool server_closed_ = false;           // the server's close frame came first: answer, end
  error_code close_reason_;              // what the session ends with once the answer is sent
  mask_source masks_;                    // a key per client frame
  send_queue queue_;
  asio::steady_timer write_signal_;  // the writer waits on it; cancel() wakes it
  asio::steady_timer heartbeat_timer_;
  std::chrono::steady_clock::time_point ping_deadline_;
};

}  // namespace kasocki::client
