// Socket.IO v5 client on one namespace, over engineio_client: connect with an auth object,
// events in both directions with or without acks (with timeouts), binary arguments, and a fast
// path handing the raw JSON text of event arguments to the caller without building a DOM.
// Does I/O on the caller's single-threaded executor; handlers run on it.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

#include "client/engineio_client.hpp"
#include "libkasocki/socketio/packet.hpp"

namespace kasocki::client {

using json = socketio::json;
using milliseconds = std::chrono::milliseconds;

struct socketio_options {
  engineio_options engine;
  std::string nsp = "/";
  json auth;                             // the CONNECT payload; null sends none
  milliseconds connect_timeout{10'000};  // handshake + CONNECT answer
  milliseconds ack_timeout{30'000};      // default for emit with an ack; 0 = wait forever
  // Acks awaited at once; an emit with an ack beyond it fails with too_many_pending_acks.
  std::size_t max_pending_acks = 10'000;
};

struct connect_result {
  boost::system::error_code error;  // client_errc::connect_refused for a CONNECT_ERROR
  json data;                        // the CONNECT_ERROR payload, or {"sid": ...} on success
};

struct ack_result {
  boost::system::error_code error;  // ack_timeout, disconnected, not_connected
  json args;                        // the ack's arguments (an array)
};

class socketio_session;

class socketio_client {
 public:
  // Replies to an event the server sent with an ack id; empty when no ack was asked for.
  using ack_reply = std::function<void(json args)>;
  // `args` is the array of arguments after the event name (binary values as json binary).
  using event_handler = std::function<void(json args, ack_reply ack)>;
  // `args_json` is the arguments' JSON text as written inside the packet's array, comma
  // separated, without the event name and brackets: for one argument, exactly its JSON.
  // Valid only during the call. Not used for binary events or events asking for an ack when an
  // event_handler is also registered for that name.
  using raw_event_handler = std::function<void(std::string_view args_json)>;
  using ack_handler = std::function<void(boost::system::error_code, json args)>;
  // Same text convention as raw_event_handler: the ack's arguments without brackets.
  using raw_ack_handler = std::function<void(boost::system::error_code, std::string_view)>;
  using disconnect_handler = std::function<void(boost::system::error_code)>;

  explicit socketio_client(boost::asio::any_io_executor executor, socketio_options options = {});
  ~socketio_client();  // closes without waiting; pending acks are dropped
  socketio_client(const socketio_client&) = delete;
  socketio_client& operator=(const socketio_client&) = delete;

  // Register handlers before connect: events may arrive right after the CONNECT answer.
  void on(std::string event, event_handler handler);
  void on_raw(std::string event, raw_event_handler handler);
  // Called once when a connected client ends: empty error after disconnect().
  void on_disconnect(disconnect_handler handler);

  // url: http://host:port[/engine.io/path/][?extra=query]
  boost::asio::awaitable<connect_result> connect(std::string_view url);

  // `args` is an array of the arguments (a non-array is sent as the only argument).
  // Returns not_connected, or send_queue_full when engineio_options::send_queue_limit bytes
  // wait to be written already (the event is not sent).
  boost::system::error_code emit(std::string_view event, json args = json::array());
  // The handler gets those errors too (posted), and too_many_pending_acks when
  // max_pending_acks acks are awaited already.
  void emit(std::string_view event, json args, ack_handler handler,
            std::optional<milliseconds> timeout = std::nullopt);
  // `args_json` as in raw_event_handler (already-encoded arguments, comma separated).
  boost::system::error_code emit_raw(std::string_view event, std::string_view args_json);
  void emit_raw(std::string_view event, std::string_view args_json, raw_ack_handler handler,
                std::optional<milliseconds> timeout = std::nullopt);
  // emit with an ack, as a coroutine.
  boost::asio::awaitable<ack_result> call(std::string_view event, json args,
                                          std::optional<milliseconds> timeout = std::nullopt);

  // Leaves the namespace and closes the Engine.IO session cleanly.
  void disconnect();
  // Completes when the connection has ended; returns why (empty after disconnect()).
  boost::asio::awaitable<boost::system::error_code> wait_closed();

  bool connected() const;
  const std::string& sid() const;  // the Socket.IO socket id
  const engineio_client& engine() const;

 private:
  std::shared_ptr<socketio_session> session_;
};

}  // namespace kasocki::client
