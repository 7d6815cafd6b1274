// See server.hpp: request validation, handshake and the session table. The transports are in
// server_polling.cpp and server_websocket.cpp.
#include "libkasocki/engineio/server.hpp"

#include <openssl/rand.h>

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/write.hpp>
#include <nlohmann/json.hpp>

#include "libkasocki/engineio/server_query.hpp"
#include "libkasocki/websocket/handshake.hpp"

namespace kasocki::engineio {

namespace http = boost::beast::http;
namespace asio = boost::asio;

std::string make_session_id() {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  unsigned char random[20];
  if (RAND_bytes(random, sizeof random) != 1) std::abort();  // no entropy: nothing safe to do
  std::string sid;
  for (unsigned char byte : random) sid += alphabet[byte & 63];
  return sid;
}

namespace {

http_error http_error_of(query_errc e) {
  switch (e) {
    case query_errc::bad_target:
      return http_error::bad_request;
    case query_errc::unknown_transport:
      return http_error::unknown_transport;
    case query_errc::unsupported_protocol:
      return http_error::unsupported_protocol_version;
  }
  return http_error::bad_request;
}

}  // namespace

server::server(asio::any_io_executor executor, server_options options)
    : executor_(executor), options_(std::move(options)) {}

std::shared_ptr<session> server::find(const std::string& sid) const {
  auto it = sessions_.find(sid);
  return it == sessions_.end() ? nullptr : it->second;
}

asio::awaitable<connection_next> server::handle(plain_or_tls_stream& stream,
                                                http_request& request) {
  if (request.method() == http::verb::options && !options_.cors_origins.empty()) {
    http_response response{http::status::no_content, request.version()};
    add_cors(request, response);
    response.set(http::field::access_control_allow_methods, "GET, POST, OPTIONS");
    if (auto headers = request[http::field::access_control_request_headers]; !headers.empty())
      response.set(http::field::access_control_allow_headers, headers);
    co_return co_await respond(stream, request, std::move(response));
  }
  auto parsed = parse_request_query(request.target());
  if (!parsed)
    co_return co_await respond(stream, request,
                               error_response(request, http_error_of(parsed.error())));
  const query& q = *parsed;
  if (q.protocol < 4 && !options_.allow_eio3)
    co_return co_await respond(stream, request,
                               error_response(request, http_error::unsupported_protocol_version));
  // A request that asks for a websocket is answered with a 101 or an error, never as polling.
  if (websocket::asks_for_websocket(request[http::field::upgrade])) {
    if (q.transport != "websocket")
      co_return co_await respond(stream, request, error_response(request, http_error::bad_request));
    co_return co_await handle_websocket(stream, request, q);
  }
  if (q.transport != "polling")
    co_return co_await respond(stream, request, error_response(request, http_error::bad_request));
  co_return co_await handle_polling(stream, request, q);
}

std::optional<http_response> server::admit(plain_or_tls_stream& stream, const http_request& request,
                                           std::shared_ptr<void>& ticket) {
  if (!on_admission_) return std::nullopt;
  boost::system::error_code ec;
  auto peer = boost::beast::get_lowest_layer(stream).socket().remote_endpoint(ec).address();
  auto verdict = on_admission_(request, peer);
  if (verdict.status == 0) {
    ticket = std::move(verdict.ticket);
    return std::nullopt;
  }
  http_response response{static_cast<http::status>(verdict.status), request.version()};
  response.set(http::field::content_type, "application/json");
  response.body() = std::move(verdict.body);
  add_cors(request, response);
  return response;
}

std::shared_ptr<session> server::create_session(int protocol, transport_kind transport,
                                                const http_request& handshake,
                                                std::shared_ptr<void> ticket) {
  auto s = std::make_shared<session>(executor_, make_session_id(), protocol, transport, options_);
  sessions_.emplace(s->sid(), s);
  // The session removes itself from the table when it ends, whoever ends it, and gives its
  // admission ticket back then (not when the last reference to the session goes).
  s->set_end_observer([this, ended = s.get(), ticket = std::move(ticket)]() mutable {
    peak_of_ended_ = std::max(peak_of_ended_, ended->peak_queued_bytes());
    sessions_.erase(ended->sid());
    ticket.reset();
  });
  if (on_connection_) on_connection_(s, handshake);
  s->start();
  return s;
}

std::string server::open_packet_data(const session& s) const {
  nlohmann::ordered_json open;
  open["sid"] = s.sid();
  open["upgrades"] = s.transport() == transport_kind::polling
                         ? nlohmann::ordered_json::array({"websocket"})
                         : nlohmann::ordered_json::array();
  open["pingInterval"] = options_.ping_interval.count();
  open["pingTimeout"] = options_.ping_timeout.count();
  if (s.protocol() >= 4) open["maxPayload"] = options_.max_payload;
  return open.dump();
}

std::size_t server::queued_bytes() const {
  std::size_t total = 0;
  for (const auto& [sid, s] : sessions_) total += s->queued_bytes();
  return total;
}

std::size_t server::peak_queued_bytes() const {
  std::size_t peak = peak_of_ended_;
  for (const auto& [sid, s] : sessions_) peak = std::max(peak, s->peak_queued_bytes());
  return peak;
}

void server::close_all() {
  auto sessions = sessions_;  // closing may erase from the table
  for (auto& [sid, s] : sessions) s->close("server shutting down");
}

void server::payload_too_large(const http_request& headers) {
  auto q = parse_request_query(headers.target());
  if (!q || !q->sid) return;
  if (auto s = find(*q->sid)) s->end("payload too large");
}

void server::end_all() {
  auto sessions = sessions_;
  for (auto& [sid, s] : sessions) s->end("server shutting down");
}

void server::add_cors(const http_request& request, http_response& response) const {
  if (options_.cors_origins.empty()) return;
  auto origin = request[http::field::origin];
  if (options_.cors_origins.front() == "*" && origin.empty()) {
    response.set(http::field::access_control_allow_origin, "*");
    return;
  }
  for (const auto& allowed : options_.cors_origins) {
    if (allowed == "*" || allowed == origin) {
      response.set(http::field::access_control_allow_origin, origin);
      response.set(http::field::access_control_allow_credentials, "true");
      response.set(http::field::vary, "Origin");
      return;
    }
  }
}

http_response server::error_response(const http_request& request, http_error e) const {
  http_response response{
      e == http_error::forbidden ? http::status::forbidden : http::status::bad_request,
      request.version()};
  response.set(http::field::content_type, "application/json");
  response.body() = http_error_body(e);
  add_cors(request, response);
  return response;
}

asio::awaitable<connection_next> server::respond(plain_or_tls_stream& stream,
                                                 const http_request& request,
                                                 http_response response) {
  response.keep_alive(request.keep_alive());
  response.prepare_payload();
  auto [ec, n] = co_await http::async_write(stream, response, asio::as_tuple(asio::use_awaitable));
  co_return (ec || !response.keep_alive()) ? connection_next::close : connection_next::keep_alive;
}

}  // namespace kasocki::engineio
