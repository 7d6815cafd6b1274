// See gateway.hpp.
#include "libkasocki/gateway/gateway.hpp"

#include "libkasocki/gateway/client_session.hpp"

namespace kasocki::gateway {

gateway::gateway(kafka::client_context& kafka, kafka::metadata_cache& metadata,
                 socketio::server& io, gateway_options options)
    : kafka_(kafka), metadata_(metadata), options_(std::move(options)) {
  io.of("/", [this](const std::shared_ptr<socketio::socket>& socket) {
    // The session lives as long as the socket's handlers hold it: until the disconnect.
    std::make_shared<client_session>(*this, socket)->start();
  });
}

}  // namespace kasocki::gateway
