// The HTTP listener: accepts TCP connections (as many per address as its socket admission hook
// lets through), reads requests (with header and body limits, and a deadline for the request
// line and headers) and routes them by path prefix to handlers (Engine.IO, /metrics, /healthz,
// static files). With a TLS context every connection is TLS (https, wss): the handshake happens
// before the first request. Does socket I/O (and reads the certificate files); runs on the
// event-loop thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>

#include "libkasocki/engineio/server.hpp"
#include "libkasocki/engineio/server_query.hpp"
#include "libkasocki/http/limits.hpp"

namespace kasocki::http {

using engineio::connection_next;
using engineio::http_request;
using engineio::http_response;
using stream = engineio::plain_or_tls_stream;
using request_parser = boost::beast::http::request_parser<boost::beast::http::string_body>;

struct listener_options {
  std::size_t header_limit = 8 * 1024;    // bytes of request line + headers (at most 65535)
  std::size_t body_limit = 1'000'000;     // bytes of a request body (set to maxPayload)
  std::chrono::seconds idle_timeout{60};  // a keep-alive connection waiting for a request
  // A request's line and headers, from its first byte (on a new connection: from the accept):
  // later, the connection is closed (with a 408 when part of a request came).
  std::chrono::seconds header_timeout{10};
  std::chrono::seconds tls_handshake_timeout{10};  // a new connection's TLS handshake
  std::shared_ptr<boost::asio::ssl::context> tls;  // set: every connection is TLS
};

// A TLS server context from PEM files (certificate chain, private key), TLS 1.2 and later.
// Null with `error` set when a file cannot be read or the key does not match.
std::shared_ptr<boost::asio::ssl::context> load_tls_context(const std::string& cert_file,
                                                            const std::string& key_file,
                                                            std::string& error);

class listener {
 public:
  using handler = std::function<boost::asio::awaitable<connection_next>(stream&, http_request&)>;
  // A handler written for plain TCP only; over TLS its routes answer 404.
  using plain_handler = std::function<boost::asio::awaitable<connection_next>(
      boost::beast::tcp_stream&, http_request&)>;

  listener(boost::asio::any_io_executor executor, listener_options options);

  // Told about a request of the route whose body exceeded the limit (headers only); the
  // listener answers it 413 itself.
  using oversize_handler = std::function<void(const http_request& headers)>;

  // Requests whose path starts with `prefix` go to `h`; the longest prefix wins.
  // `h` takes a `stream&` (plain or TLS) or, for older handlers, a `boost::beast::tcp_stream&`.
  template <class Handler>
  void route(std::string prefix, Handler h, oversize_handler on_oversize = {}) {
    if constexpr (std::is_invocable_v<Handler&, stream&, http_request&>)
      routes_.push_back(
          route_entry{std::move(prefix), handler(std::move(h)), {}, std::move(on_oversize)});
    else
      routes_.push_back(
          route_entry{std::move(prefix), {}, plain_handler(std::move(h)), std::move(on_oversize)});
  }
  // Decides for every accepted socket whether it is served (unset: all are).
  void on_socket(socket_admission_handler h) { on_socket_ = std::move(h); }
  // Binds and listens; returns the error (address in use, permission) without throwing.
  boost::system::error_code listen(const boost::asio::ip::tcp::endpoint& endpoint);
  void start();
  void stop();
  boost::asio::ip::tcp::endpoint local_endpoint() const;

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(stream s, std::shared_ptr<void> ticket);
  boost::asio::awaitable<void> refuse(boost::beast::tcp_stream tcp, std::string body);
  // Reads the next request's line and headers; a keep-alive connection first waits up to
  // idle_timeout for its first byte. False when the connection is to end (answered if it can).
  boost::asio::awaitable<bool> read_header(stream& s, boost::beast::flat_buffer& buffer,
                                           request_parser& parser, bool first_request);
  // Answers a request that could not be read (413, 431, 400; nothing to a client that left).
  boost::asio::awaitable<void> answer_read_error(stream& s, request_parser& parser,
                                                 boost::system::error_code ec);
  struct route_entry {
    std::string prefix;
    handler on_request;
    plain_handler on_plain_request;
    oversize_handler on_oversize;
  };
  const route_entry* find_route(std::string_view path) const;
  std::size_t header_limit() const;

  boost::asio::any_io_executor executor_;
  listener_options options_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::vector<route_entry> routes_;
  socket_admission_handler on_socket_;
};

// A response with a JSON body, e.g. {"error":"not found"}.
http_response json_response(const http_request& request, unsigned status, std::string body);

}  // namespace kasocki::http
