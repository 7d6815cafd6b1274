// The state behind socketio_client (private to client/): namespace connection, handler tables,
// outstanding acks with their timeouts, binary reassembly. Does I/O through engineio_client.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "client/socketio_client.hpp"

namespace kasocki::client {

namespace asio = boost::asio;
using error_code = boost::system::error_code;

struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class socketio_session : public std::enable_shared_from_this<socketio_session> {
 public:
  enum class state { idle, connecting, connected, closed };
  using clock = std::chrono::steady_clock;

  socketio_session(asio::any_io_executor executor, socketio_options options);
  void attach();    // installs the engine handlers (needs shared_from_this)
  void shutdown();  // the client object is going away

  asio::awaitable<connect_result> connect(std::string_view url);
  std::optional<std::uint64_t> add_ack(socketio_client::ack_handler json_handler,
                                       socketio_client::raw_ack_handler raw_handler,
                                       std::optional<milliseconds> timeout);
  // All of the packet (text and attachments) or nothing: send_queue_full, not_connected.
  error_code send_packet(const socketio::packet& p);
  error_code send_raw_event(std::string_view event, std::string_view args_json,
                            std::optional<std::uint64_t> id);
  // An ack whose event could not be sent: its handler gets `ec` (posted).
  void fail_ack(std::uint64_t id, error_code ec);
  void disconnect();
  // Ends the connection because of a protocol problem or a server DISCONNECT.
  void abort(error_code reason);

  asio::any_io_executor executor_;
  socketio_options options_;
  engineio_client engine_;
  state state_ = state::idle;
  std::string sid_;
  std::unordered_map<std::string, socketio_client::event_handler, string_hash, std::equal_to<>>
      handlers_;
  std::unordered_map<std::string, socketio_client::raw_event_handler, string_hash, std::equal_to<>>
      raw_handlers_;
  socketio_client::disconnect_handler on_disconnect_;
  error_code close_reason_;
  asio::steady_timer closed_signal_;  // wait_closed() waits on it; cancelled at the end

 private:
  struct pending_ack {
    clock::time_point deadline;  // time_point::max() when none
    socketio_client::ack_handler json_handler;
    socketio_client::raw_ack_handler raw_handler;
  };

  void on_message(std::string_view data, bool binary);
  void on_engine_close(error_code ec);
  void dispatch(socketio::packet& p);
  void dispatch_event(socketio::packet& p);
  void dispatch_ack(socketio::packet& p);
  void finish_connect(error_code ec, json data);
  void fail_acks(error_code ec);
  // Calls the handlers of an ack with an error, from a fresh handler.
  void post_ack_error(socketio_client::ack_handler json_handler,
                      socketio_client::raw_ack_handler raw_handler, error_code ec);
  asio::awaitable<void> ack_sweeper();

  bool connect_done_ = false;
  connect_result connect_result_;
  asio::steady_timer connect_signal_;
  std::optional<error_code> abort_reason_;
  std::vector<std::pair<std::string, bool>> early_;  // messages that came before CONNECT's answer
  std::size_t early_bytes_ = 0;                      // bounded by options_.engine.max_message_size
  std::optional<socketio::packet> partial_;          // a binary packet awaiting attachments
  std::vector<std::string> attachments_;
  std::map<std::uint64_t, pending_ack> acks_;
  std::uint64_t next_ack_id_ = 0;
  asio::steady_timer ack_timer_;
  clock::time_point ack_timer_at_ = clock::time_point::max();
  std::string out_;  // reused for raw emits
};

}  // namespace kasocki::client
