// The websocket transport of the Engine.IO server: websocket-only sessions and the
// polling -> websocket upgrade with probe. Beast parsed the upgrade request; from the 101 on,
// the connection is this file's: one reader coroutine parses frames (libkasocki/websocket) and
// one writer coroutine writes every byte after the handshake (Engine.IO packets, pongs, close
// frames), in order, so no two writes ever share the socket. Does socket I/O; runs on the
// event-loop thread.
#include <chrono>
#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/field.hpp>

#include "libkasocki/engineio/server.hpp"
#include "libkasocki/engineio/timed_write.hpp"
#include "libkasocki/engineio/websocket_frame.hpp"
#include "libkasocki/websocket/frame_reader.hpp"
#include "libkasocki/websocket/frame_writer.hpp"
#include "libkasocki/websocket/handshake.hpp"

namespace kasocki::engineio {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace ws = kasocki::websocket;
using asio::as_tuple;
using asio::use_awaitable;

namespace {

// As Beast's timeout::suggested(server): the opening and the closing handshake each get this
// long; an open connection has no idle timeout of its own (the Engine.IO heartbeat is one).
constexpr auto handshake_timeout = std::chrono::seconds(30);
// After the server's close frame, how long the peer has to answer it (or end its stream)
// before the socket is closed anyway.
constexpr auto close_timeout = std::chrono::seconds(2);
// Bytes of frames copied for one write: large enough that a write carries about a hundred
// messages, small enough that many busy sessions stay cheap.
constexpr std::size_t write_slice_bytes = 64 * 1024;
// A server frame's header (RFC 6455 5.2: 2 bytes, and 8 of extended length at most).
constexpr std::size_t max_frame_header = 10;

struct ws_connection {
  ws_connection(plain_or_tls_stream&& s, std::size_t max_payload)
      : stream(std::move(s)),
        frames(ws::role::server, max_payload),
        reader_done(stream.get_executor()),
        upgrade_deadline(stream.get_executor(), std::chrono::steady_clock::time_point::max()),
        write_deadline(stream.get_executor()) {}
  plain_or_tls_stream stream;
  ws::frame_reader frames;
  // Control frames the writer is to send next (pongs, the answer to the client's close).
  std::string control;
  std::uint16_t close_code = 1000;  // of the server's own close frame
  bool peer_closed = false;         // the client's close frame came; its answer is in `control`
  bool close_sent = false;          // the writer has written a close frame
  bool fail_now = false;            // a protocol error: close without waiting for the peer
  bool reading = false;             // the reader runs (and may have a read pending)
  bool read_ended = false;          // the reader is done
  bool stream_ended = false;        // the client's stream ended or failed: nothing to answer
  asio::steady_timer reader_done;   // cancelled when the reader is done
  // The probe..upgrade exchange must end by this time; set to max when it has (see
  // close_at_upgrade_deadline).
  asio::steady_timer upgrade_deadline;
  // The deadline of the write in progress (write_within).
  asio::steady_timer write_deadline;
};

using connection_ptr = std::shared_ptr<ws_connection>;

// Writes all of `bytes`; a write that does not finish by `deadline` closes the socket.
asio::awaitable<bool> write_all(ws_connection& c, std::string_view bytes,
                                std::chrono::steady_clock::duration deadline) {
  const asio::const_buffer buffer(bytes.data(), bytes.size());
  co_return co_await write_within(c.stream, c.write_deadline, std::span(&buffer, 1), deadline);
}

// The next frame event, reading from the socket as needed; nullopt when the stream ended or
// failed.
asio::awaitable<std::optional<ws::frame_event>> next_event(ws_connection& c) {
  for (;;) {
    auto e = c.frames.next();
    if (e.kind != ws::frame_kind::need_more) co_return e;
    auto region = c.frames.prepare();
    auto [ec, n] = co_await c.stream.async_read_some(asio::buffer(region.data(), region.size()),
                                                     as_tuple(use_awaitable));
    if (ec) co_return std::nullopt;
    c.frames.commit(n);
  }
}

decode_result<packet> decode(const ws::frame_event& e, int protocol) {
  return e.kind == ws::frame_kind::text ? decode_text_packet(e.payload)
                                        : decode_binary_frame(e.payload, protocol);
}

// Before the writer runs (the upgrade's probe), the handshake's coroutine is the one writer:
// the next data packet, with pings on the way answered at once.
asio::awaitable<std::optional<packet>> read_handshake_packet(ws_connection& c, int protocol,
                                                             std::chrono::milliseconds deadline) {
  for (;;) {
    auto e = co_await next_event(c);
    if (!e) co_return std::nullopt;
    switch (e->kind) {
      case ws::frame_kind::text:
      case ws::frame_kind::binary: {
        auto p = decode(*e, protocol);
        if (!p) co_return std::nullopt;
        co_return std::move(*p);
      }
      case ws::frame_kind::ping: {
        std::string pong;
        ws::append_frame(pong, ws::opcode::pong, e->payload);
        if (!co_await write_all(c, pong, deadline)) co_return std::nullopt;
        break;
      }
      case ws::frame_kind::pong:
        break;
      default:  // a close, an error
        co_return std::nullopt;
    }
  }
}

// Ends the connection: the answer to the client's close, or the server's own close frame and a
// short wait for the client's; then the socket is closed (after TLS's close_notify).
asio::awaitable<void> close_connection(connection_ptr c, bool write_failed) {
  auto& socket = c->stream.next_layer();
  if (!write_failed && !c->stream_ended) {
    std::string last = std::move(c->control);
    if (!c->peer_closed) ws::append_close(last, c->close_code);
    c->close_sent = true;
    bool written = co_await write_all(*c, last, handshake_timeout);
    if (written && !c->peer_closed && !c->fail_now && !c->read_ended) {
      c->reader_done.expires_after(close_timeout);
      co_await c->reader_done.async_wait(as_tuple(use_awaitable));
    }
    // TLS's close_notify, unless a read is still pending beside it (a client that did not
    // answer the close in time gets the TCP close alone).
    if (written && c->stream.tls() && !c->reading && socket.socket().is_open()) {
      socket.expires_after(close_timeout);
      co_await c->stream.tls()->async_shutdown(as_tuple(use_awaitable));
    }
  }
  boost::system::error_code ignored;
  socket.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket.close();
}

// Writes the packets queued for the session as frames in few buffers and writes (a slice of up
// to 64 KiB each): with many small messages, one syscall per frame would cap throughput far
// below what the data path can do. The frames are encrypted in the same single write when the
// connection is TLS. Control frames the reader hands over go out at the start of the next
// slice, so a pong waits for at most one slice of a long queue.
asio::awaitable<void> writer_loop(connection_ptr c, std::shared_ptr<session> s) {
  const auto write_deadline = s->options().ping_interval + s->options().ping_timeout;
  std::string batch;
  bool failed = false;
  while (!failed) {
    while (c->control.empty() && !s->has_queued() && !s->ended()) {
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
    // The packets are taken a slice at a time and copied into `batch`: a session holds at most
    // one slice besides its queue (whose message bodies are shared with every other session), so
    // a thousand busy clients cost a thousand slices, not a thousand send queues' worth.
    while (!failed && !s->ended() && (s->has_queued() || !c->control.empty())) {
      const auto packets = s->take_queue(0, write_slice_bytes);
      // Its exact size first (packets plus frame headers): grown by appends, a string doubles
      // past the slice, and a thousand busy sessions would hold twice the slices. A string's
      // reserve() doubles too (libstdc++ grows to twice the old capacity when that is more), so
      // a slice larger than the last one is a new string.
      std::size_t size = c->control.size();
      std::size_t slice_bytes = 0;  // queued_size() of the packets this slice carries
      for (const auto& p : packets) {
        slice_bytes += p.queued_size();
        size += p.queued_size() + max_frame_header;
      }
      if (batch.capacity() < size) std::string().swap(batch);
      batch.reserve(size);
      // Copied, not swapped: a swap would leave the slice's capacity with `control`, and an
      // idle session would keep it.
      batch.assign(c->control);
      c->control.clear();
      for (const auto& p : packets) append_packet_frame(batch, p, s->protocol());
      failed = !co_await write_all(*c, batch, write_deadline);
      // A failed write ends the session, which releases everything it queued.
      if (!failed) s->written(slice_bytes);
    }
    if (failed) {
      s->end("transport error");
      break;
    }
    // Nothing is queued after the close packet: once the queue is empty, it is written.
    if (s->closing() && !s->has_queued()) {
      s->end("server close");
      break;
    }
    // An idle session keeps no buffer.
    if (!s->has_queued()) std::string().swap(batch);
  }
  co_await close_connection(c, failed);
}

// Parses what the client sends: packets go to the session, pings and the client's close are
// answered through the writer. After the session ended it keeps reading until the client's
// close or the end of its stream (the closing handshake), dropping data.
asio::awaitable<void> reader_loop(connection_ptr c, std::shared_ptr<session> s) {
  auto wake_writer = [&] { s->wake_signal().cancel(); };
  c->reading = true;
  for (bool reading = true; reading;) {
    // Nothing more is read from a client whose queue is full until it drains: what the client
    // can make the server queue (acks, `err` events) stays bounded, and TCP pushes back on it.
    while (!s->writable() && !s->ended())
      co_await s->room_signal().async_wait(as_tuple(use_awaitable));
    auto e = co_await next_event(*c);
    if (!e) {
      c->stream_ended = true;
      s->end("transport close");
      break;
    }
    switch (e->kind) {
      case ws::frame_kind::text:
      case ws::frame_kind::binary:
        if (s->ended()) break;
        if (auto p = decode(*e, s->protocol())) {
          s->receive(std::move(*p));
        } else {  // an undecodable packet closes the connection
          s->end("parse error");
        }
        break;
      case ws::frame_kind::ping:
        if (c->close_sent) break;
        ws::append_frame(c->control, ws::opcode::pong, e->payload);
        wake_writer();
        break;
      case ws::frame_kind::pong:
        break;
      case ws::frame_kind::close:
        c->peer_closed = true;
        // RFC 6455 5.5.1: the answer echoes the client's code.
        if (!c->close_sent) ws::append_close(c->control, e->close_code);
        s->end("transport close");
        wake_writer();
        reading = false;
        break;
      case ws::frame_kind::error: {
        // Like the HTTP 413, a message over maxPayload counts as a limit rejection.
        bool too_big = e->error == ws::frame_error::message_too_big;
        if (too_big && s->options().on_limit_rejection)
          s->options().on_limit_rejection("max-payload");
        c->close_code = ws::close_code_for(e->error);
        c->fail_now = true;
        s->end(too_big ? "payload too large" : "parse error");
        reading = false;
        break;
      }
      case ws::frame_kind::need_more:
        break;
    }
  }
  c->reading = false;
  c->read_ended = true;
  c->reader_done.cancel();
}

// Closes the socket if the upgrade exchange is still going at its deadline: a client that stops
// halfway through the probe must not hold the connection. Moving the deadline to max (when the
// exchange ends either way) wakes it with nothing to do.
asio::awaitable<void> close_at_upgrade_deadline(connection_ptr c) {
  auto& deadline = c->upgrade_deadline;
  while (deadline.expiry() > std::chrono::steady_clock::now() &&
         deadline.expiry() != std::chrono::steady_clock::time_point::max())
    co_await deadline.async_wait(as_tuple(use_awaitable));
  if (deadline.expiry() != std::chrono::steady_clock::time_point::max())
    c->stream.next_layer().close();
}

// The upgrade of a polling session: 2probe -> 3probe (and the pending GET gets `6`), then 5.
// False when the client did not finish it (or the session ended meanwhile).
asio::awaitable<bool> upgrade_exchange(ws_connection& c, session& s, int protocol) {
  auto probe = co_await read_handshake_packet(c, protocol, handshake_timeout);
  if (!probe || probe->type != packet_type::ping || probe->data != "probe" || s.ended())
    co_return false;
  s.set_upgrading(true);
  s.interrupt_poll();
  std::string pong;
  append_packet_frame(pong, make_out_packet(packet_type::pong, "probe"), protocol);
  if (!co_await write_all(c, pong, handshake_timeout)) {
    s.set_upgrading(false);
    co_return false;
  }
  auto upgrade = co_await read_handshake_packet(c, protocol, handshake_timeout);
  if (!upgrade || upgrade->type != packet_type::upgrade || s.ended()) {
    s.set_upgrading(false);
    co_return false;
  }
  co_return true;
}

std::string switching_protocols(std::string_view key) {
  std::string response =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ";
  response += ws::accept_key(key);
  response += "\r\n\r\n";
  return response;
}

}  // namespace

asio::awaitable<connection_next> server::handle_websocket(plain_or_tls_stream& stream,
                                                          http_request& request, const query& q) {
  auto checked = ws::check_upgrade({.method = request.method_string(),
                                    .http_version = request.version(),
                                    .upgrade = request[http::field::upgrade],
                                    .connection = request[http::field::connection],
                                    .version = request[http::field::sec_websocket_version],
                                    .key = request[http::field::sec_websocket_key]});
  if (checked != ws::upgrade_error::none)
    co_return co_await respond(stream, request, error_response(request, http_error::bad_request));
  std::shared_ptr<session> s;
  std::shared_ptr<void> ticket;
  if (q.sid) {
    s = find(*q.sid);
    if (!s || s->ended())
      co_return co_await respond(stream, request, error_response(request, http_error::unknown_sid));
  } else if (auto refused = admit(stream, request, ticket)) {
    co_return co_await respond(stream, request, std::move(*refused));
  }

  auto c = std::make_shared<ws_connection>(std::move(stream), options_.max_payload);
  std::string handshake = switching_protocols(request[http::field::sec_websocket_key]);

  if (!s) {  // a websocket-only session: the open packet is the first frame, in the same write
    s = create_session(q.protocol, transport_kind::websocket, request, std::move(ticket));
    append_packet_frame(handshake, make_out_packet(packet_type::open, open_packet_data(*s)),
                        q.protocol);
    if (!co_await write_all(*c, handshake, handshake_timeout)) {
      s->end("transport error");
      co_return connection_next::close;
    }
  } else {
    if (s->transport() != transport_kind::polling || s->upgrading()) {
      // Already upgraded (or upgrading): accept, then close, as the reference does.
      c->fail_now = true;  // no reader runs to see the client's answer
      if (co_await write_all(*c, handshake, handshake_timeout)) co_await close_connection(c, false);
      co_return connection_next::close;
    }
    if (!co_await write_all(*c, handshake, handshake_timeout)) co_return connection_next::close;
    c->upgrade_deadline.expires_after(options_.upgrade_timeout);
    asio::co_spawn(executor_, close_at_upgrade_deadline(c), asio::detached);
    bool upgraded = co_await upgrade_exchange(*c, *s, q.protocol);
    c->upgrade_deadline.expires_at(std::chrono::steady_clock::time_point::max());
    if (!upgraded) co_return connection_next::close;
    s->upgrade_to_websocket();
  }

  asio::co_spawn(executor_, writer_loop(c, s), asio::detached);
  co_await reader_loop(c, s);
  co_return connection_next::close;
}

}  // namespace kasocki::engineio
