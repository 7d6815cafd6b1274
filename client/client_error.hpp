// Error codes of the socket.io client (one category, values usable as boost::system::error_code).
// No I/O.
#pragma once

#include <boost/system/error_code.hpp>

namespace kasocki::client {

enum class client_errc {
  bad_url = 1,         // the URL does not parse, or its scheme is not http/ws
  unsupported_scheme,  // https/wss: TLS is not supported by this client
  handshake_failed,    // no valid Engine.IO open packet
  http_status,         // a polling request was answered with a status other than 200
  protocol_error,      // an undecodable packet from the server
  ping_timeout,        // no ping within pingInterval + pingTimeout: the server is gone
  closed_by_server,    // Engine.IO close, websocket close, or Socket.IO DISCONNECT from the server
  connect_refused,     // Socket.IO CONNECT_ERROR (its payload comes with the result)
  connect_timeout,     // no answer to CONNECT (or to the handshake) in time
  ack_timeout,         // no ack within the timeout given to emit
  not_connected,       // emit or call while not connected
  disconnected,        // the connection ended while an ack was outstanding
  send_queue_full,     // engineio_options::send_queue_limit bytes wait to be written already
  too_many_pending_acks,  // socketio_options::max_pending_acks acks are outstanding already
  receive_queue_full,  // the server sent more than max_message_size bytes before CONNECT's answer
};

const boost::system::error_category& client_category();

inline boost::system::error_code make_error_code(client_errc e) {
  return {static_cast<int>(e), client_category()};
}

}  // namespace kasocki::client

template <>
struct boost::system::is_error_code_enum<kasocki::client::client_errc> : std::true_type {};
