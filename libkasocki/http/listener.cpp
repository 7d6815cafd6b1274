// See listener.hpp.
#include "libkasocki/http/listener.hpp"

#include "libkasocki/http/limits.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace kasocki::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::as_tuple;
using asio::use_awaitable;

listener::listener(asio::any_io_executor executor, listener_options options)
    : executor_(executor), options_(options), acceptor_(executor) {}

std::shared_ptr<asio::ssl::context> load_tls_context(const std::string& cert_file,
                                                     const std::string& key_file,
                                                     std::string& error) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  boost::system::error_code ec;
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                           asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                           asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use,
                       ec);
  if (!ec) context->use_certificate_chain_file(cert_file, ec);
  if (ec) {
    error = "TLS certificate '" + cert_file + "': " + ec.message();
    return nullptr;
  }
  context->use_private_key_file(key_file, asio::ssl::context::pem, ec);
  if (ec) {
    error = "TLS key '" + key_file + "': " + ec.message();
    return nullptr;
  }
  return context;
}

boost::system::error_code listener::listen(const asio::ip::tcp::endpoint& endpoint) {
  boost::system::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  return ec;
}

void listener::start() {
  asio::co_spawn(executor_, accept_loop(), asio::detached);
}

void listener::stop() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

asio::ip::tcp::endpoint listener::local_endpoint() const {
  boost::system::error_code ignored;
  return acceptor_.local_endpoint(ignored);
}

asio::awaitable<void> listener::accept_loop() {
  while (acceptor_.is_open()) {
    auto [ec, socket] = co_await acceptor_.async_accept(as_tuple(use_awaitable));
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) break;
    if (ec) continue;  // e.g. too many open files: keep accepting the next ones
    socket.set_option(asio::ip::tcp::no_delay(true), ec);
    beast::tcp_stream tcp(std::move(socket));
    if (options_.tls)
      asio::co_spawn(executor_, serve(stream(std::move(tcp), *options_.tls)), asio::detached);
    else
      asio::co_spawn(executor_, serve(stream(std::move(tcp))), asio::detached);
  }
}

std::size_t listener::header_limit() const {
  // Beast keeps one field's value in at most 64 KiB and throws (out of the event loop) on a
  // longer one: a header within a larger limit could hold such a field, so the limit stops there.
  return std::min<std::size_t>(options_.header_limit, 65535);
}

const listener::route_entry* listener::find_route(std::string_view path) const {
  const route_entry* best = nullptr;
  for (const auto& r : routes_)
    if (path.starts_with(r.prefix) && (!best || r.prefix.size() >= best->prefix.size())) best = &r;
  return best;
}

http_response json_response(const http_request& request, unsigned status, std::string body) {
  http_response response{static_cast<bhttp::status>(status), request.version()};
  response.set(bhttp::field::content_type, "application/json");
  response.body() = std::move(body);
  response.keep_alive(request.keep_alive());
  response.prepare_payload();
  return response;
}

asio::awaitable<void> listener::serve(stream stream) {
  if (auto* tls = stream.tls()) {
    stream.next_layer().expires_after(options_.tls_handshake_timeout);
    auto [ec] =
        co_await tls->async_handshake(asio::ssl::stream_base::server, as_tuple(use_awaitable));
    if (ec) co_return;  // not TLS, or a client that gave up: nothing to answer
  }
  beast::flat_buffer buffer;
  while (true) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(header_limit()));
    parser.body_limit(options_.body_limit);
    stream.next_layer().expires_after(options_.idle_timeout);
    auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, as_tuple(use_awaitable));
    if (ec) {
      http_request dummy{bhttp::verb::get, "/", 11};
      dummy.keep_alive(false);
      if (ec == bhttp::error::body_limit) {
        const auto& headers = parser.get();
        if (const auto* r = find_route(engineio::target_path(headers.target()));
            r && r->on_oversize)
          r->on_oversize(headers);
        auto r = json_response(
            dummy, 413,
            size_limit_refusal("request body too large", "max-payload", options_.body_limit));
        co_await bhttp::async_write(stream, r, as_tuple(use_awaitable));
      } else if (ec == bhttp::error::header_limit) {
        auto r = json_response(dummy, 431,
                               size_limit_refusal("request headers too large",
                                                  "max-http-header-bytes", header_limit()));
        co_await bhttp::async_write(stream, r, as_tuple(use_awaitable));
      } else if (ec != bhttp::error::end_of_stream && ec != asio::error::eof &&
                 ec != beast::error::timeout && ec != asio::error::connection_reset &&
                 ec != asio::error::operation_aborted) {
        auto r = json_response(dummy, 400, R"({"error":"malformed HTTP request"})");
        co_await bhttp::async_write(stream, r, as_tuple(use_awaitable));
      }
      break;
    }
    stream.next_layer().expires_never();
    http_request request = parser.release();
    connection_next next = connection_next::close;
    auto path = engineio::target_path(request.target());
    const route_entry* r = find_route(path);
    if (r && r->on_request) {
      next = co_await r->on_request(stream, request);
    } else if (r && !stream.tls()) {
      next = co_await r->on_plain_request(stream.next_layer(), request);
    } else {
      auto response = json_response(request, 404, R"({"error":"not found"})");
      auto [wec, wn] = co_await bhttp::async_write(stream, response, as_tuple(use_awaitable));
      next = (wec || !response.keep_alive()) ? connection_next::close : connection_next::keep_alive;
    }
    // After `close` the stream may have been taken over (websocket): leave it alone; its
    // destructor closes the socket.
    if (next == connection_next::close) break;
  }
}

}  // namespace kasocki::http
