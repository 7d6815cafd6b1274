// The Socket.IO server: attaches to the Engine.IO server, keeps one `connection` per Engine.IO
// session, and hands new sockets of each registered namespace to the application.
// Event-loop thread only; no I/O of its own.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "libkasocki/engineio/server.hpp"
#include "libkasocki/socketio/socket.hpp"

namespace kasocki::socketio {

struct server_options {
  std::chrono::milliseconds connect_timeout{45000};  // first CONNECT must come within
  std::size_t max_attachments = 10;                  // binary attachments per packet
};

class server {
 public:
  using connection_handler = std::function<void(const std::shared_ptr<socket>&)>;
  // Given the CONNECT auth object, calls `done` (later or at once, on the event loop) with the
  // recovery answer. Never an error: anything it cannot recover is a new pid.
  using recovery_handler =
      std::function<void(const json& auth, std::function<void(connect_recovery)> done)>;

  server(boost::asio::any_io_executor executor, engineio::server& engine, server_options options);

  // Registers a namespace; connections to any other namespace get "Invalid namespace".
  void of(std::string nsp, connection_handler on_connection);

  // Turns connection state recovery on (protocol v5 only; v4 clients never get a pid).
  void on_recovery(recovery_handler handler) { recovery_ = std::move(handler); }
  const recovery_handler& recovery() const { return recovery_; }

  const server_options& options() const { return options_; }
  boost::asio::any_io_executor executor() const { return executor_; }
  const connection_handler* find_namespace(const std::string& nsp) const;

 private:
  boost::asio::any_io_executor executor_;
  server_options options_;
  std::map<std::string, connection_handler> namespaces_;
  recovery_handler recovery_;
};

}  // namespace kasocki::socketio
