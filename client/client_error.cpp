// See client_error.hpp.
#include "client/client_error.hpp"

#include <string>

namespace kasocki::client {
namespace {

class category : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "kasocki.client"; }
  std::string message(int value) const override {
    switch (static_cast<client_errc>(value)) {
      case client_errc::bad_url:
        return "bad URL";
      case client_errc::unsupported_scheme:
        return "unsupported URL scheme (TLS not supported)";
      case client_errc::handshake_failed:
        return "Engine.IO handshake failed";
      case client_errc::http_status:
        return "unexpected HTTP status";
      case client_errc::protocol_error:
        return "protocol error";
      case client_errc::ping_timeout:
        return "ping timeout";
      case client_errc::closed_by_server:
        return "closed by server";
      case client_errc::connect_refused:
        return "connection refused by server";
      case client_errc::connect_timeout:
        return "connect timeout";
      case client_errc::ack_timeout:
        return "ack timeout";
      case client_errc::not_connected:
        return "not connected";
      case client_errc::disconnected:
        return "disconnected";
      case client_errc::send_queue_full:
        return "send queue full";
      case client_errc::too_many_pending_acks:
        return "too many pending acks";
      case client_errc::receive_queue_full:
        return "too much received before the CONNECT answer";
    }
    return "unknown client error";
  }
};

}  // namespace

const boost::system::error_category& client_category() {
  static const category instance;
  return instance;
}

}  // namespace kasocki::client
