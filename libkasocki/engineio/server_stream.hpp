// The byte stream of one accepted HTTP connection: plain TCP, or TLS (OpenSSL) over TCP, chosen
// when the connection is accepted. It is a Beast/Asio AsyncStream, so HTTP reads and writes and
// the websocket transport's own reader and writer work the same over both; next_layer() is the
// TCP stream (timeouts, peer address, closing). Does socket I/O; used on the event-loop thread.
#pragma once

#include <utility>
#include <variant>

#include <boost/asio/async_result.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace kasocki::engineio {

class plain_or_tls_stream {
 public:
  using tls_stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;
  using executor_type = boost::beast::tcp_stream::executor_type;

  explicit plain_or_tls_stream(boost::beast::tcp_stream tcp) : stream_(std::move(tcp)) {}
  // A server-side TLS stream; the handshake is the caller's (tls()->async_handshake).
  plain_or_tls_stream(boost::beast::tcp_stream tcp, boost::asio::ssl::context& context)
      : stream_(std::in_place_type<tls_stream>, std::move(tcp), context) {}

  executor_type get_executor() {
    return std::visit([](auto& s) { return s.get_executor(); }, stream_);
  }
  boost::beast::tcp_stream& next_layer() {
    if (auto* tcp = std::get_if<boost::beast::tcp_stream>(&stream_)) return *tcp;
    return std::get<tls_stream>(stream_).next_layer();
  }
  const boost::beast::tcp_stream& next_layer() const {
    return const_cast<plain_or_tls_stream*>(this)->next_layer();
  }
  // The TLS stream, or null for plain TCP.
  tls_stream* tls() { return std::get_if<tls_stream>(&stream_); }

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const MutableBuffers& b) {
          std::visit([&](auto& s) { s.async_read_some(b, std::move(handler)); }, stream_);
        },
        token, buffers);
  }

  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const ConstBuffers& b) {
          std::visit([&](auto& s) { s.async_write_some(b, std::move(handler)); }, stream_);
        },
        token, buffers);
  }

 private:
  std::variant<boost::beast::tcp_stream, tls_stream> stream_;
};

}  // namespace kasocki::engineio
