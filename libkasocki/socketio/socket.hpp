// One Socket.IO socket: a client's connection to one namespace, with event handlers, emit,
// acks to the client's events, and disconnect. Sends through its Engine.IO session; no I/O of its
// own. Event-loop thread only.
#pragma once

#include <any>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "libkasocki/engineio/session.hpp"
#include "libkasocki/socketio/packet.hpp"
#include "libkasocki/socketio/recovery.hpp"

namespace kasocki::socketio {

class socket;
class connection;

// Answers an ack request once (later calls are ignored). False when the client asked for no ack.
class ack_sender {
 public:
  ack_sender() = default;
  ack_sender(std::weak_ptr<socket> owner, std::uint64_t id) : owner_(std::move(owner)), id_(id) {}
  explicit operator bool() const { return id_.has_value(); }
  // Sends the ACK packet with `args` (an array; anything else is wrapped in one).
  void operator()(json args);
  // For pre-encoded answers: the packet text up to the arguments, e.g. `3` + id + `[`
  // (with the namespace when not "/"), and the sender of the finished packet.
  std::string raw_prefix() const;
  void send_raw(engineio::out_packet p);

 private:
  std::weak_ptr<socket> owner_;
  std::optional<std::uint64_t> id_;
  bool sent_ = false;
};
// An event from the client: its arguments (the payload array without the event name).
using event_handler = std::function<void(json args, ack_sender ack)>;

class socket : public std::enable_shared_from_this<socket> {
 public:
  socket(connection& owner, std::string nsp, std::string id, json auth);

  const std::string& id() const { return id_; }
  const std::string& nsp() const { return nsp_; }
  const json& auth() const { return auth_; }
  bool connected() const { return connected_; }
  // What the application keeps with the socket (socket.io's socket.data), e.g. who connected.
  std::any& data() { return data_; }
  const std::any& data() const { return data_; }
  // Connection state recovery: the pid of the CONNECT answer (empty when off), whether the client
  // got back the pid it asked for, and the application's restored state (null unless recovered).
  const std::string& pid() const { return recovery_.pid; }
  bool recovered() const { return recovery_.recovered; }
  const std::shared_ptr<const void>& recovered_state() const { return recovery_.state; }
  void set_recovery(connect_recovery r) { recovery_ = std::move(r); }

  void on(std::string event, event_handler handler);
  // Events with no handler of their own: (event name, args, ack).
  void on_unknown(std::function<void(std::string_view, json, ack_sender)> handler) {
    on_unknown_ = std::move(handler);
  }
  // Called once when the socket goes away (client or server disconnect, transport closed).
  void on_disconnect(std::function<void(std::string_view reason)> handler);

  void emit(std::string_view event, json args = json::array());
  // Sends an already encoded packet: e.g. event_head(nsp(), name) + arguments encoded once and
  // shared by many sockets + "]".
  void send_encoded(engineio::out_packet p);

  // Leaves the namespace (the client gets a DISCONNECT); with close_transport, the whole
  // Engine.IO session is closed too.
  void disconnect(bool close_transport = false);

  // The Engine.IO session, for flow control (writable, queued_bytes); null once disconnected.
  engineio::session* session() const;

  // ---- used by connection ----
  void dispatch_event(json data, std::optional<std::uint64_t> ack_id);
  void handle_disconnect(std::string_view reason);  // the socket is gone; no packet sent

 private:
  void send_packet(packet p);

  connection* owner_;
  std::string nsp_;
  std::string id_;
  json auth_;
  std::any data_;
  connect_recovery recovery_;
  bool connected_ = true;
  std::unordered_map<std::string, event_handler> handlers_;
  std::function<void(std::string_view)> on_disconnect_;
  std::function<void(std::string_view, json, ack_sender)> on_unknown_;
  friend class ack_sender;
};

}  // namespace kasocki::socketio
