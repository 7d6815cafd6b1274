// The Socket.IO server: attaches to the Engine.IO server, keeps one `connection` per Engine.IO
// session, and hands new sockets of each registered namespace to the application.
// Event-loop thread only; no I/O of its own.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
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
  // Decides whether a CONNECT is admitted, before the socket is handed to its namespace (as
  // socket.io's io.use()): `auth` is the CONNECT auth object, `handshake_token` the bearer token
  // of the handshake request (Authorization header, else its access_token parameter; "" when
  // none). Returns the CONNECT_ERROR payload to refuse; may fill socket.data() to admit.
  using connect_guard = std::function<std::optional<json>(socket& s, const json& auth,
                                                          std::string_view handshake_token)>;
  // Given a socket the guard admitted (its auth() the CONNECT auth object, its data() what the
  // guard left), calls `done` (later or at once, on the event loop) with the recovery answer.
  // Never an error: anything it cannot recover is a new pid.
  using recovery_handler =
      std::function<void(const socket& s, std::function<void(connect_recovery)> done)>;

  server(boost::asio::any_io_executor executor, engineio::server& engine, server_options options);

  // Registers a namespace; connections to any other namespace get "Invalid namespace".
  void of(std::string nsp, connection_handler on_connection);

  // Turns connection state recovery on (protocol v5 only; v4 clients never get a pid).
  void on_recovery(recovery_handler handler) { recovery_ = std::move(handler); }
  const recovery_handler& recovery() const { return recovery_; }

  const server_options& options() const { return options_; }
  boost::asio::any_io_executor executor() const { return executor_; }
  const connection_handler* find_namespace(const std::string& nsp) const;
  void guard(connect_guard g) { guard_ = std::move(g); }
  const connect_guard& guard() const { return guard_; }

 private:
  boost::asio::any_io_executor executor_;
  server_options options_;
  std::map<std::string, connection_handler> namespaces_;
  connect_guard guard_;
  recovery_handler recovery_;
};

}  // namespace kasocki::socketio
