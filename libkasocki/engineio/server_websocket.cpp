// The websocket transport of the Engine.IO server: websocket-only sessions and the
// polling -> websocket upgrade with probe. One reader loop and one writer loop per connection.
// Does socket I/O; runs on the event-loop thread.
#include <array>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include "libkasocki/engineio/server.hpp"
#include "libkasocki/engineio/websocket_frame.hpp"

namespace kasocki::engineio {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using asio::as_tuple;
using asio::use_awaitable;

namespace {

struct ws_connection {
  explicit ws_connection(plain_or_tls_stream&& stream) : ws(std::move(stream)) {}
  websocket::stream<plain_or_tls_stream> ws;
  beast::flat_buffer buffer;
  boost::system::error_code last_error;  // of the last failed read
};

constexpr char type_digits[] = "0123456";
constexpr char v3_binary_marker = 4;

asio::awaitable<bool> write_packet(ws_connection& c, const out_packet& p, int protocol) {
  std::array<asio::const_buffer, 4> buffers{asio::buffer(&type_digits[static_cast<int>(p.type)], 1),
                                            asio::buffer(p.head), asio::buffer(view(p.body)),
                                            asio::buffer(p.tail)};
  if (p.binary) {
    buffers[0] = protocol >= 4 ? asio::const_buffer() : asio::buffer(&v3_binary_marker, 1);
  }
  c.ws.text(!p.binary);
  auto [ec, n] = co_await c.ws.async_write(buffers, as_tuple(use_awaitable));
  co_return !ec;
}

// Reads one frame and decodes it as an Engine.IO packet.
asio::awaitable<std::optional<packet>> read_packet(ws_connection& c, int protocol, bool& failed) {
  c.buffer.clear();
  auto [ec, n] = co_await c.ws.async_read(c.buffer, as_tuple(use_awaitable));
  if (ec) {
    failed = true;
    c.last_error = ec;
    co_return std::nullopt;
  }
  std::string_view data(static_cast<const char*>(c.buffer.data().data()), c.buffer.size());
  co_return c.ws.got_text() ? decode_text_packet(data) : decode_binary_frame(data, protocol);
}

// Writes the packets queued for the session as frames in few buffers and writes (a slice of up
// to 64 KiB each): with many small messages, one syscall per frame would cap throughput far
// below what the data path can do. Beast did the handshake and keeps reading; only this loop writes
// after the upgrade. It writes to the websocket's next layer, which is TLS when the connection is:
// the frames are encrypted in the same single write. Bytes of frames copied for one write: large
// enough that a write carries about a hundred messages, small enough that many busy sessions stay
// cheap.
constexpr std::size_t write_slice_bytes = 64 * 1024;

asio::awaitable<void> writer_loop(std::shared_ptr<ws_connection> c, std::shared_ptr<session> s) {
  std::string batch;
  while (true) {
    while (!s->has_queued() && !s->ended()) {
      auto& signal = s->wake_signal();
      signal.expires_at(std::chrono::steady_clock::time_point::max());
      co_await signal.async_wait(as_tuple(use_awaitable));
    }
    if (s->ended()) break;
    // Let handlers that are ready already (the rest of a burst of client frames, each answered
    // by an ack) queue their packets first, so that one write carries all their answers.
    for (std::size_t before = 0, round = 0; round < 8 && s->queued_bytes() != before; ++round) {
      before = s->queued_bytes();
      co_await asio::post(co_await asio::this_coro::executor, use_awaitable);
    }
    if (s->ended()) break;
    bool closing = s->closing();  // then the close packet is the last one queued
    auto queue = s->take_queue();
    bool failed = false;
    // The frames are copied into `batch` a slice at a time: a session holds at most one slice
    // besides its queue (whose message bodies are shared with every other session), so a
    // thousand busy clients cost a thousand slices, not a thousand send queues' worth.
    for (std::size_t next = 0; next < queue.size() && !failed;) {
      batch.clear();
      std::size_t slice_bytes = 0;  // queued_size() of the packets in this slice
      while (next < queue.size() && batch.size() < write_slice_bytes) {
        slice_bytes += queue[next].queued_size();
        append_packet_frame(batch, queue[next++], s->protocol());
      }
      // A client that reads nothing must not hold the connection (and its buffers) forever: a
      // write that does not finish within a heartbeat period closes the socket.
      auto& socket = beast::get_lowest_layer(c->ws);
      socket.expires_after(s->options().ping_interval + s->options().ping_timeout);
      // A write of the websocket stream's own (a close reply, a pong) may still be in flight,
      // e.g. to a client that reads nothing: the batch must not start beside it.
      // Bounded by the write deadline above, which applies to that write too.
      while (c->ws.next_layer().writes_in_flight() > 0 && !s->ended())
        co_await c->ws.next_layer().async_wait_writes_done(use_awaitable);
      if (s->ended()) {
        failed = true;
        break;
      }
      auto out = c->ws.next_layer().begin_batch();
      auto [ec, n] = co_await asio::async_write(out, asio::buffer(batch), as_tuple(use_awaitable));
      c->ws.next_layer().end_batch();
      socket.expires_never();
      failed = static_cast<bool>(ec);
      if (!failed) s->written(slice_bytes);  // a failed write ends the session, which clears all
    }
    if (failed) {
      s->end("transport error");
      break;
    }
    if (closing) {
      s->end("server close");
      break;
    }
    // An idle session keeps no buffer.
    if (!s->has_queued()) std::string().swap(batch);
  }
  co_await c->ws.async_close(websocket::close_code::normal, as_tuple(use_awaitable));
}

asio::awaitable<void> reader_loop(std::shared_ptr<ws_connection> c, std::shared_ptr<session> s) {
  while (!s->ended()) {
    // Nothing more is read from a client whose queue is full until it drains: what the client
    // can make the server queue (acks, `err` events) stays bounded, and TCP pushes back on it.
    while (!s->writable() && !s->ended())
      co_await s->room_signal().async_wait(as_tuple(use_awaitable));
    if (s->ended()) break;
    bool failed = false;
    auto p = co_await read_packet(*c, s->protocol(), failed);
    if (failed) {
      // Beast closes a message over maxPayload with 1009; count it like the HTTP 413.
      bool too_big = c->last_error == websocket::error::message_too_big;
      if (too_big && s->options().on_limit_rejection)
        s->options().on_limit_rejection("max-payload");
      s->end(too_big ? "payload too large" : "transport close");
      break;
    }
    if (!p) {  // an undecodable frame closes the connection
      s->end("parse error");
      break;
    }
    s->receive(std::move(*p));
  }
}

void configure(websocket::stream<plain_or_tls_stream>& ws, const server_options& options) {
  beast::get_lowest_layer(ws).expires_never();
  ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws.read_message_max(options.max_payload);
  ws.auto_fragment(false);
}

}  // namespace

asio::awaitable<connection_next> server::handle_websocket(plain_or_tls_stream& stream,
                                                          http_request& request, const query& q) {
  std::shared_ptr<session> s;
  std::shared_ptr<void> ticket;
  if (q.sid) {
    s = find(*q.sid);
    if (!s || s->ended())
      co_return co_await respond(stream, request, error_response(request, http_error::unknown_sid));
  } else if (auto refused = admit(stream, request, ticket)) {
    co_return co_await respond(stream, request, std::move(*refused));
  }

  auto c = std::make_shared<ws_connection>(std::move(stream));
  configure(c->ws, options_);
  auto [ec] = co_await c->ws.async_accept(request, as_tuple(use_awaitable));
  if (ec) co_return connection_next::close;

  if (!s) {  // a websocket-only session: the open packet is the first frame
    s = create_session(q.protocol, transport_kind::websocket, request, std::move(ticket));
    if (!co_await write_packet(*c, make_out_packet(packet_type::open, open_packet_data(*s)),
                               q.protocol)) {
      s->end("transport error");
      co_return connection_next::close;
    }
  } else {
    if (s->transport() != transport_kind::polling || s->upgrading()) {
      // Already upgraded (or upgrading): accept, then close, as the reference does.
      co_await c->ws.async_close(websocket::close_code::normal, as_tuple(use_awaitable));
      co_return connection_next::close;
    }
    // The upgrade: 2probe -> 3probe (and the pending GET gets `6`), then 5.
    asio::steady_timer deadline(executor_, options_.upgrade_timeout);
    deadline.async_wait([c](auto ec) {
      if (!ec) beast::get_lowest_layer(c->ws).close();
    });
    bool failed = false;
    auto probe = co_await read_packet(*c, q.protocol, failed);
    if (!probe || probe->type != packet_type::ping || probe->data != "probe" || s->ended())
      co_return connection_next::close;
    s->set_upgrading(true);
    s->interrupt_poll();
    if (!co_await write_packet(*c, make_out_packet(packet_type::pong, "probe"), q.protocol)) {
      s->set_upgrading(false);
      co_return connection_next::close;
    }
    auto upgrade = co_await read_packet(*c, q.protocol, failed);
    deadline.cancel();
    if (!upgrade || upgrade->type != packet_type::upgrade || s->ended()) {
      s->set_upgrading(false);
      co_return connection_next::close;
    }
    s->upgrade_to_websocket();
  }

  asio::co_spawn(executor_, writer_loop(c, s), asio::detached);
  co_await reader_loop(c, s);
  co_return connection_next::close;
}

}  // namespace kasocki::engineio
