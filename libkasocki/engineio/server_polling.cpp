// The long-polling transport of the Engine.IO server: handshake, GET (long poll) and POST.
// Does socket I/O; runs on the event-loop thread.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "libkasocki/engineio/server.hpp"

namespace kasocki::engineio {

namespace http = boost::beast::http;
namespace asio = boost::asio;

namespace {

bool wants_binary_payload_v3(const std::vector<out_packet>& packets, bool b64) {
  if (b64) return false;
  for (const auto& p : packets)
    if (p.binary) return true;
  return false;
}

}  // namespace

asio::awaitable<connection_next> server::handle_polling(plain_or_tls_stream& stream,
                                                        http_request& request, const query& q) {
  if (!q.sid) {
    if (request.method() != http::verb::get)
      co_return co_await respond(stream, request,
                                 error_response(request, http_error::bad_handshake_method));
    std::shared_ptr<void> ticket;
    if (auto refused = admit(stream, request, ticket))
      co_return co_await respond(stream, request, std::move(*refused));
    auto s = create_session(q.protocol, transport_kind::polling, request, std::move(ticket));
    std::vector<out_packet> open;
    open.push_back(make_out_packet(packet_type::open, open_packet_data(*s)));
    http_response response{http::status::ok, request.version()};
    response.set(http::field::content_type, "text/plain; charset=UTF-8");
    if (q.protocol >= 4)
      append_payload_v4(std::span<const out_packet>(open), response.body());
    else
      append_payload_v3_text(std::span<const out_packet>(open), response.body());
    add_cors(request, response);
    co_return co_await respond(stream, request, std::move(response));
  }

  auto s = find(*q.sid);
  if (s) s->check_heartbeat();
  if (!s || s->ended())
    co_return co_await respond(stream, request, error_response(request, http_error::unknown_sid));
  if (s->transport() != transport_kind::polling)
    co_return co_await respond(stream, request, error_response(request, http_error::bad_request));

  if (request.method() == http::verb::get) co_return co_await long_poll(stream, request, q, s);
  if (request.method() != http::verb::post)
    co_return co_await respond(stream, request, error_response(request, http_error::bad_request));

  bool binary_body = request[http::field::content_type] == "application/octet-stream";
  auto packets = q.protocol >= 4 ? decode_payload_v4(request.body())
                 : binary_body   ? decode_payload_v3_binary(request.body())
                                 : decode_payload_v3_text(request.body());
  if (!packets) {
    s->end("parse error");
    co_return co_await respond(stream, request, error_response(request, http_error::bad_request));
  }
  if (s->post_pending()) {
    s->end("overlap from client");
    co_return co_await respond(stream, request, error_response(request, http_error::bad_request));
  }
  // A packet is handled only while the session's queue has room: a POST of many packets that
  // each provoke an answer (an ack, an `err` event) waits here while the client reads nothing,
  // instead of queuing all the answers. A client that never polls is let go by the heartbeat.
  s->set_post_pending(true);
  for (auto& p : *packets) {
    while (!s->writable() && !s->ended())
      co_await s->room_signal().async_wait(asio::as_tuple(asio::use_awaitable));
    if (s->ended()) break;
    s->receive(std::move(p));
  }
  s->set_post_pending(false);
  http_response response{http::status::ok, request.version()};
  response.set(http::field::content_type, "text/plain; charset=UTF-8");
  response.body() = "ok";
  add_cors(request, response);
  co_return co_await respond(stream, request, std::move(response));
}

asio::awaitable<connection_next> server::long_poll(plain_or_tls_stream& stream,
                                                   http_request& request, const query& q,
                                                   std::shared_ptr<session> s) {
  if (s->poll_pending()) {
    // A second concurrent GET: the session is closed (the pending GET gets a close packet).
    s->end("overlap from client");
    co_return co_await respond(stream, request, error_response(request, http_error::bad_request));
  }
  s->set_poll_pending(true);
  bool interrupted = false;
  while (!s->has_queued() && !s->ended() && !s->upgrading() && !interrupted) {
    auto& signal = s->wake_signal();
    signal.expires_at(std::chrono::steady_clock::time_point::max());
    co_await signal.async_wait(asio::as_tuple(asio::use_awaitable));
    interrupted = s->take_poll_interrupt();
  }
  interrupted = interrupted || s->take_poll_interrupt();
  s->set_poll_pending(false);

  // Upgrade and client close: `6`; the server ended the session: `1`; else what is queued.
  std::vector<out_packet> packets;
  std::size_t taken_bytes = 0;  // of the packets taken from the queue: counted until written
  bool closing_after = false;
  if (interrupted || s->upgrading()) {
    packets.push_back(make_out_packet(packet_type::noop));
  } else if (s->ended()) {
    packets.push_back(make_out_packet(packet_type::close));
  } else {
    packets = s->take_queue(options_.polling_max_packets);
    for (const auto& p : packets) taken_bytes += p.queued_size();
    closing_after = s->closing() && !s->has_queued();  // the close packet is in this answer
    if (packets.empty()) packets.push_back(make_out_packet(packet_type::noop));
  }

  http_response response{http::status::ok, request.version()};
  auto span = std::span<const out_packet>(packets);
  if (q.protocol >= 4) {
    response.set(http::field::content_type, "text/plain; charset=UTF-8");
    append_payload_v4(span, response.body());
  } else if (wants_binary_payload_v3(packets, q.b64)) {
    response.set(http::field::content_type, "application/octet-stream");
    append_payload_v3_binary(span, response.body());
  } else {
    response.set(http::field::content_type, "text/plain; charset=UTF-8");
    append_payload_v3_text(span, response.body());
  }
  add_cors(request, response);
  auto next = co_await respond(stream, request, std::move(response));
  s->written(taken_bytes);  // written, or lost with the connection: either way not queued
  if (closing_after) s->end("server close");
  co_return next;
}

}  // namespace kasocki::engineio
