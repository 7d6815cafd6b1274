// See server.hpp.
#include "libkasocki/socketio/server.hpp"

#include "libkasocki/socketio/connection.hpp"

namespace kasocki::socketio {

server::server(boost::asio::any_io_executor executor, engineio::server& engine,
               server_options options)
    : executor_(executor), options_(options) {
  engine.on_connection(
      [this](const std::shared_ptr<engineio::session>& s, const engineio::http_request& handshake) {
        std::make_shared<connection>(*this, s)->start(handshake);
      });
}

void server::of(std::string nsp, connection_handler on_connection) {
  namespaces_[std::move(nsp)] = std::move(on_connection);
}

const server::connection_handler* server::find_namespace(const std::string& nsp) const {
  auto it = namespaces_.find(nsp);
  return it == namespaces_.end() ? nullptr : &it->second;
}

}  // namespace kasocki::socketio
