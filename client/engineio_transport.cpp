// See engineio_session.hpp: the transport plumbing of the Engine.IO client session — HTTP
// long-polling requests (one connection for GETs, one for POSTs), the websocket (upgrade, frame
// reads and writes), the upgrade probe and the two reader loops.
//
// The websocket upgrade is an HTTP exchange done here with Beast's HTTP code, not by Beast's
// websocket stream: that stream reads the 101 response, and later every frame, into a read
// buffer of its own that it does not expose, so whatever the server sent right behind the
// response or behind the frame read last (the open packet comes in the same segment as the 101;
// a ping may follow the probe reply) would be lost to a reader taking over the socket. Here the
// bytes behind the response go into the frame reader, and from then on every byte read from the
// socket goes there too.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/error.hpp>

#include "client/client_error.hpp"
#include "client/engineio_session.hpp"
#include "libkasocki/common/base64.hpp"
#include "libkasocki/websocket/handshake.hpp"

namespace kasocki::client {

namespace http = beast::http;
namespace beast_ws = beast::websocket;

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr const char* user_agent = "kasocki-client/" KASOCKI_VERSION;

}  // namespace

error_code frame_error_code(frame_error e) {
  using beast_ws::error;
  switch (e) {
    case frame_error::none:
      return {};
    case frame_error::reserved_bits:
      return error::bad_reserved_bits;
    case frame_error::bad_opcode:
      return error::bad_opcode;
    case frame_error::masked_frame:
      return error::bad_masked_frame;
    case frame_error::bad_length:
      return error::bad_size;
    case frame_error::bad_control_frame:
      return error::bad_control_fragment;
    case frame_error::unexpected_continuation:
      return error::bad_continuation;
    case frame_error::expected_continuation:
      return error::bad_data_frame;
    case frame_error::message_too_big:
      return error::message_too_big;
    case frame_error::bad_close_payload:
      return error::bad_close_payload;
    case frame_error::unmasked_frame:  // a server's reader only
      return error::bad_unmasked_frame;
    case frame_error::bad_utf8:
      return error::bad_frame_payload;
  }
  return make_error_code(client_errc::protocol_error);
}

void engineio_session::close_sockets() {
  error_code ignored;
  if (ws_) ws_->socket().close(ignored);
  get_conn_.stream.socket().close(ignored);
  post_conn_.stream.socket().close(ignored);
}

asio::awaitable<error_code> engineio_session::http_exchange(http_connection& conn, http::verb verb,
                                                            std::string body,
                                                            std::string& response_body) {
  auto self = shared_from_this();
  http::request<http::string_body> req{verb, request_target(endpoint_, "polling", handshake_.sid),
                                       11};
  req.set(http::field::host, host_header(endpoint_));
  req.set(http::field::user_agent, user_agent);
  req.keep_alive(true);
  if (verb == http::verb::post) {
    req.set(http::field::content_type, "text/plain;charset=UTF-8");
    req.body() = std::move(body);
  }
  req.prepare_payload();
  // A keep-alive connection the server has dropped meanwhile is retried once on a new one.
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto& stream = conn.stream;
    if (state_ == state::opening) {
      stream.expires_after(options_.open_timeout);
    } else {
      stream.expires_never();
    }
    bool fresh = !stream.socket().is_open();
    if (fresh) {
      conn.buffer.clear();
      auto [cec, ep] = co_await stream.async_connect(addresses_, use_tuple);
      if (cec) co_return cec;
      stream.socket().set_option(asio::ip::tcp::no_delay(true), cec);
    }
    auto [wec, wn] = co_await http::async_write(stream, req, use_tuple);
    error_code ec = wec;
    if (!ec) {
      http::response_parser<http::string_body> parser;
      parser.body_limit(options_.max_message_size);
      auto [rec, rn] = co_await http::async_read(stream, conn.buffer, parser, use_tuple);
      ec = rec;
      if (!ec) {
        auto& res = parser.get();
        if (!res.keep_alive()) stream.socket().close(ec);
        if (res.result() != http::status::ok)
          co_return make_error_code(res.result() == http::status::bad_request
                                        ? client_errc::closed_by_server
                                        : client_errc::http_status);
        response_body = std::move(res.body());
        co_return error_code{};
      }
    }
    error_code ignored;
    stream.socket().close(ignored);
    if (fresh || state_ == state::closed) co_return ec;
  }
  co_return make_error_code(client_errc::http_status);
}

asio::awaitable<error_code> engineio_session::open_websocket(std::string target) {
  auto self = shared_from_this();
  ws_.emplace(executor_);
  ws_->expires_after(options_.open_timeout);  // until the loops start: connect, upgrade, probe
  auto [cec, ep] = co_await ws_->async_connect(addresses_, use_tuple);
  if (cec) co_return cec;
  ws_->socket().set_option(asio::ip::tcp::no_delay(true), cec);

  std::string nonce;  // 16 bytes (RFC 6455 4.1); a proxy only needs them to differ
  for (int i = 0; i < 4; ++i) {
    const std::uint32_t word = masks_.next();
    nonce.append(reinterpret_cast<const char*>(&word), sizeof word);
  }
  std::string key;
  base64_encode(nonce, key);
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, host_header(endpoint_));
  req.set(http::field::upgrade, "websocket");
  req.set(http::field::connection, "Upgrade");
  req.set(http::field::sec_websocket_key, key);
  req.set(http::field::sec_websocket_version, "13");
  req.set(http::field::user_agent, user_agent);
  auto [wec, wn] = co_await http::async_write(*ws_, req, use_tuple);
  if (wec) co_return wec;

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;  // a refusal may come with a body
  parser.body_limit(64 << 10);
  auto [rec, rn] = co_await http::async_read(*ws_, buffer, parser, use_tuple);
  if (rec) co_return rec;
  const auto& res = parser.get();
  if (res.result() != http::status::switching_protocols)
    co_return make_error_code(beast_ws::error::upgrade_declined);
  if (!beast::iequals(res[http::field::upgrade], "websocket"))
    co_return make_error_code(beast_ws::error::no_upgrade_websocket);
  if (!http::token_list{res[http::field::connection]}.exists("upgrade"))
    co_return make_error_code(beast_ws::error::no_connection_upgrade);
  if (res[http::field::sec_websocket_accept] != websocket::accept_key(key))
    co_return make_error_code(beast_ws::error::bad_sec_accept);
  // The first frames, when they came in the same read as the response.
  frames_.append({static_cast<const char*>(buffer.data().data()), buffer.size()});
  co_return error_code{};
}

asio::awaitable<error_code> engineio_session::read_message(std::string_view& data, bool& text) {
  auto self = shared_from_this();
  for (;;) {
    auto e = frames_.next();
    switch (e.kind) {
      case frame_kind::text:
      case frame_kind::binary:
        data = e.payload;
        text = e.kind == frame_kind::text;
        co_return error_code{};
      case frame_kind::ping:  // answered once the writer runs
        queue_control_frame(0xa, e.payload);
        continue;
      case frame_kind::pong:
        continue;
      case frame_kind::close:
        co_return make_error_code(beast_ws::error::closed);
      case frame_kind::error:
        co_return frame_error_code(e.error);
      case frame_kind::need_more:
        break;
    }
    auto region = frames_.prepare();
    auto [ec, n] =
        co_await ws_->async_read_some(asio::buffer(region.data(), region.size()), use_tuple);
    if (ec) co_return ec;
    frames_.commit(n);
  }
}

// The writer loop's batches, the probe's frames and the control frames all go through here, one
// at a time (the writer loop is the only writer once it runs).
asio::awaitable<error_code> engineio_session::write_frames(std::string_view frames) {
  auto self = shared_from_this();
  auto [ec, n] =
      co_await asio::async_write(*ws_, asio::buffer(frames.data(), frames.size()), use_tuple);
  co_return ec;
}

asio::awaitable<error_code> engineio_session::probe_upgrade() {
  auto self = shared_from_this();
  if (auto ec = co_await open_websocket(request_target(endpoint_, "websocket", handshake_.sid)))
    co_return ec;
  frame_.clear();
  websocket::append_frame(frame_, websocket::opcode::text, "2probe", masks_.next());
  if (auto ec = co_await write_frames(frame_)) co_return ec;
  std::string_view frame;
  bool text = false;
  if (auto ec = co_await read_message(frame, text)) co_return ec;
  if (!text || frame != "3probe") co_return make_error_code(client_errc::protocol_error);
  // No GET is pending (the probe runs right after the handshake), so nothing is lost by
  // switching now; the server flushes what it queued meanwhile to the websocket.
  frame_.clear();
  websocket::append_frame(frame_, websocket::opcode::text, "5", masks_.next());
  if (auto ec = co_await write_frames(frame_)) co_return ec;
  websocket_active_ = true;
  error_code ignored;
  get_conn_.stream.socket().close(ignored);
  co_return error_code{};
}

asio::awaitable<error_code> engineio_session::post_queued() {
  auto self = shared_from_this();
  // Everything queued goes in one POST, up to the server's maxPayload (at least one packet).
  std::vector<engineio::out_packet> batch;
  std::size_t size = 0;
  while (!queue_.empty() &&
         (batch.empty() || size + queue_.front().data_size() + 1 <= handshake_.max_payload)) {
    size += queue_.front().data_size() + 1;
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  frame_.clear();
  engineio::append_payload_v4(batch, frame_);
  std::string reply;
  if (auto ec = co_await http_exchange(post_conn_, http::verb::post, frame_, reply)) co_return ec;
  // socket.io answers "ok", python-engineio "OK".
  if (reply != "ok" && reply != "OK") co_return make_error_code(client_errc::protocol_error);
  co_return error_code{};
}

// One read brings whatever the socket holds (up to the reader's free space, at least 64 KiB):
// with a server streaming many small messages, hundreds of frames. All the events in it are
// handled before the next read, on the raw socket (no timeout: the heartbeat watchdog finds a
// dead server).
asio::awaitable<void> engineio_session::websocket_reader() {
  auto self = shared_from_this();
  for (;;) {
    for (auto e = frames_.next(); e.kind != frame_kind::need_more; e = frames_.next())
      if (!on_frame(e)) co_return;
    auto region = frames_.prepare();
    auto [ec, n] = co_await ws_->socket().async_read_some(
        asio::buffer(region.data(), region.size()), use_tuple);
    if (state_ == state::closed) co_return;
    if (ec) {
      // After close() the end of the connection is the expected end.
      finish(state_ == state::open ? ec : error_code{});
      co_return;
    }
    frames_.commit(n);
  }
}

asio::awaitable<void> engineio_session::polling_reader() {
  auto self = shared_from_this();
  std::string body;
  for (;;) {
    if (auto ec = co_await http_exchange(get_conn_, http::verb::get, {}, body)) {
      if (state_ == state::open) finish(ec);
      co_return;
    }
    auto packets = engineio::decode_payload_v4(body);
    if (!packets) {
      finish(make_error_code(client_errc::protocol_error));
      co_return;
    }
    for (const auto& p : *packets) {
      on_packet(p.type, p.data, p.binary);
      if (state_ == state::closed) co_return;
    }
  }
}

}  // namespace kasocki::client
