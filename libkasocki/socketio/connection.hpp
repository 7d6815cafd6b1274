// The Socket.IO side of one Engine.IO session: decodes packets, reassembles binary packets,
// routes them to the sockets of each namespace, enforces the connect timeout, and closes the
// session on any invalid packet. Event-loop thread only; no I/O of its own.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "libkasocki/engineio/server.hpp"
#include "libkasocki/socketio/server.hpp"
#include "libkasocki/socketio/socket.hpp"

namespace kasocki::socketio {

class connection : public std::enable_shared_from_this<connection> {
 public:
  connection(server& srv, std::shared_ptr<engineio::session> session);
  // Wires the session's handlers; for EIO=3 connects "/" at once, with the query as auth.
  void start(const engineio::http_request& handshake);

  engineio::session* session() const { return session_.get(); }
  int protocol() const { return session_->protocol(); }
  void send(packet p);
  void send_raw(engineio::out_packet p) { session_->send(std::move(p)); }
  void remove_socket(const std::string& nsp);
  void close();  // closes the Engine.IO session

 private:
  void on_message(engineio::packet&& p);
  void on_packet(packet&& p);
  void connect(const std::string& nsp, json auth);
  // After the recovery answer (when recovery is on): creates the socket and answers the CONNECT.
  void accept(const std::shared_ptr<socket>& s, std::optional<connect_recovery> recovery);
  void on_close(std::string_view reason);
  void fail(std::string_view reason);

  server& server_;
  std::shared_ptr<engineio::session> session_;
  std::map<std::string, std::shared_ptr<socket>> sockets_;
  std::set<std::string> connecting_;  // namespaces waiting for the recovery answer
  boost::asio::steady_timer connect_timer_;
  bool ever_connected_ = false;
  std::optional<packet> partial_;  // a binary packet waiting for its attachments
  std::vector<std::string> attachments_;
  // The bearer token of the handshake request, for the server's connect guard; "" when none.
  std::string handshake_token_;
};

}  // namespace kasocki::socketio
