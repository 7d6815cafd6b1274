// See engineio_client.hpp: the public face of engineio_session.
#include "client/engineio_client.hpp"

#include "client/engineio_session.hpp"

namespace kasocki::client {

engineio_client::engineio_client(boost::asio::any_io_executor executor, engineio_options options)
    : session_(std::make_shared<engineio_session>(std::move(executor), options)) {}

engineio_client::~engineio_client() {
  session_->on_message_ = nullptr;
  session_->on_close_ = nullptr;
  session_->finish(error_code{});
}

void engineio_client::on_message(message_handler handler) {
  session_->on_message_ = std::move(handler);
}

void engineio_client::on_close(close_handler handler) {
  session_->on_close_ = std::move(handler);
}

boost::asio::awaitable<boost::system::error_code> engineio_client::open(endpoint ep) {
  auto session = session_;
  co_return co_await session->open(std::move(ep));
}

boost::system::error_code engineio_client::send(std::string_view data, bool binary) {
  return session_->send(
      engineio::make_out_packet(engineio::packet_type::message, std::string(data), binary));
}

bool engineio_client::has_room(std::size_t bytes) const {
  return session_->has_room(bytes);
}

void engineio_client::close() {
  session_->close();
}

bool engineio_client::is_open() const {
  return session_->state_ == engineio_session::state::open;
}

const handshake_info& engineio_client::handshake() const {
  return session_->handshake_;
}

std::string_view engineio_client::transport_name() const {
  return session_->websocket_active_ ? "websocket" : "polling";
}

}  // namespace kasocki::client
