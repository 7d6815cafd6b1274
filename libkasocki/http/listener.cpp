// See listener.hpp.
#include "libkasocki/http/listener.hpp"

#include "libkasocki/http/limits.hpp"

#include <algorithm>
#include <array>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
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
    std::shared_ptr<void> ticket;
    if (on_socket_) {
      const auto peer = socket.remote_endpoint(ec);
      if (ec) continue;  // gone already
      auto verdict = on_socket_(peer.address());
      if (!verdict.ticket) {
        // Over TLS nothing can be said before a handshake the server will not spend on it.
        if (!options_.tls)
          asio::co_spawn(executor_, refuse(beast::tcp_stream(std::move(socket)), verdict.body),
                         asio::detached);
        continue;
      }
      ticket = std::move(verdict.ticket);
    }
    beast::tcp_stream tcp(std::move(socket));
    if (options_.tls)
      asio::co_spawn(executor_, serve(stream(std::move(tcp), *options_.tls), std::move(ticket)),
                     asio::detached);
    else
      asio::co_spawn(executor_, serve(stream(std::move(tcp)), std::move(ticket)), asio::detached);
  }
}

asio::awaitable<void> listener::refuse(beast::tcp_stream tcp, std::string body) {
  // The answer goes out before any request is read (a client reads it as the answer to the
  // request it sends); the close follows it.
  http_request dummy{bhttp::verb::get, "/", 11};
  dummy.keep_alive(false);
  auto response = json_response(dummy, 429, std::move(body));
  tcp.expires_after(std::chrono::seconds(1));  // the answer, and what the client sent after it
  auto [ec, n] = co_await bhttp::async_write(tcp, response, as_tuple(use_awaitable));
  if (ec) co_return;
  // Closing with the client's bytes unread would reset the connection, and the reset can
  // overtake the answer: end the sending side and read what comes until the client closes.
  boost::system::error_code ignored;
  tcp.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  std::array<char, 1024> sink{};
  while (true) {
    auto [rec, got] = co_await tcp.async_read_some(asio::buffer(sink), as_tuple(use_awaitable));
    if (rec) break;
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

namespace {

// The request-header deadline of one request: when it fires first, the read is cancelled (the
// socket stays open for the 408). Shared with its timer's handler, which may run after the read
// has finished, or after the connection is gone: then it does nothing.
struct header_deadline {
  explicit header_deadline(asio::any_io_executor executor) : timer(executor) {}
  asio::steady_timer timer;
  bool fired = false;
  bool done = false;
};

http_request closing_request() {
  http_request dummy{bhttp::verb::get, "/", 11};
  dummy.keep_alive(false);
  return dummy;
}

}  // namespace

asio::awaitable<bool> listener::read_header(stream& stream, beast::flat_buffer& buffer,
                                            request_parser& parser, bool first_request) {
  if (!first_request && buffer.size() == 0) {
    // Idle between requests: up to idle_timeout for the next one to start.
    stream.next_layer().expires_after(options_.idle_timeout);
    auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), as_tuple(use_awaitable));
    if (ec) co_return false;
    buffer.commit(n);
  }
  stream.next_layer().expires_never();
  auto deadline = std::make_shared<header_deadline>(executor_);
  deadline->timer.expires_after(options_.header_timeout);
  deadline->timer.async_wait([weak = std::weak_ptr<header_deadline>(deadline),
                              tcp = &stream.next_layer()](boost::system::error_code ec) {
    auto d = weak.lock();
    if (ec || !d || d->done) return;
    d->fired = true;
    tcp->cancel();
  });
  auto [ec, n] = co_await bhttp::async_read_header(stream, buffer, parser, as_tuple(use_awaitable));
  deadline->done = true;
  deadline->timer.cancel();
  if (!ec) co_return true;
  if (deadline->fired) {
    // Only a client that sent part of a request is waiting for an answer.
    if (parser.got_some() || buffer.size() > 0) {
      auto r = json_response(
          closing_request(), 408,
          size_limit_refusal("request headers not complete in time", "http-header-timeout",
                             static_cast<std::uint64_t>(options_.header_timeout.count())));
      stream.next_layer().expires_after(options_.header_timeout);
      co_await bhttp::async_write(stream, r, as_tuple(use_awaitable));
    }
    co_return false;
  }
  co_await answer_read_error(stream, parser, ec);
  co_return false;
}

asio::awaitable<void> listener::answer_read_error(stream& stream, request_parser& parser,
                                                  boost::system::error_code ec) {
  http_request dummy = closing_request();
  stream.next_layer().expires_after(options_.header_timeout);  // a client that reads nothing
  if (ec == bhttp::error::body_limit) {
    const auto& headers = parser.get();
    if (const auto* r = find_route(engineio::target_path(headers.target())); r && r->on_oversize)
      r->on_oversize(headers);
    auto r = json_response(
        dummy, 413,
        size_limit_refusal("request body too large", "max-payload", options_.body_limit));
    co_await bhttp::async_write(stream, r, as_tuple(use_awaitable));
  } else if (ec == bhttp::error::header_limit) {
    auto r = json_response(
        dummy, 431,
        size_limit_refusal("request headers too large", "max-http-header-bytes", header_limit()));
    co_await bhttp::async_write(stream, r, as_tuple(use_awaitable));
  } else if (ec != bhttp::error::end_of_stream && ec != asio::error::eof &&
             ec != beast::error::timeout && ec != asio::error::connection_reset &&
             ec != asio::error::operation_aborted) {
    auto r = json_response(dummy, 400, R"({"error":"malformed HTTP request"})");
    co_await bhttp::async_write(stream, r, as_tuple(use_awaitable));
  }
}

// `ticket` (the socket admission's) is held until the connection ends.
asio::awaitable<void> listener::serve(stream stream,
                                      [[maybe_unused]] std::shared_ptr<void> ticket) {
  if (auto* tls = stream.tls()) {
    stream.next_layer().expires_after(options_.tls_handshake_timeout);
    auto [ec] =
        co_await tls->async_handshake(asio::ssl::stream_base::server, as_tuple(use_awaitable));
    if (ec) co_return;  // not TLS, or a client that gave up: nothing to answer
  }
  beast::flat_buffer buffer;
  for (bool first = true;; first = false) {
    request_parser parser;
    parser.header_limit(static_cast<std::uint32_t>(header_limit()));
    parser.body_limit(options_.body_limit);
    if (!co_await read_header(stream, buffer, parser, first)) break;
    // The body: within the idle deadline, as the wait for a request.
    stream.next_layer().expires_after(options_.idle_timeout);
    auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, as_tuple(use_awaitable));
    if (ec) {
      co_await answer_read_error(stream, parser, ec);
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
