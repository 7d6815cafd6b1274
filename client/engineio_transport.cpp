// See engineio_session.hpp: the transport plumbing of the Engine.IO client session — HTTP
// long-polling requests (one connection for GETs, one for POSTs), the websocket, the upgrade
// probe and the two reader loops.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "client/client_error.hpp"
#include "client/engineio_session.hpp"

namespace kasocki::client {

namespace http = beast::http;
namespace websocket = beast::websocket;

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr const char* user_agent = "kasocki-client/" KASOCKI_VERSION;
}  // namespace

void engineio_session::close_sockets() {
  error_code ignored;
  if (ws_) beast::get_lowest_layer(*ws_).socket().close(ignored);
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
  auto& lowest = beast::get_lowest_layer(*ws_);
  lowest.expires_after(options_.open_timeout);
  auto [cec, ep] = co_await lowest.async_connect(addresses_, use_tuple);
  if (cec) co_return cec;
  lowest.socket().set_option(asio::ip::tcp::no_delay(true), cec);
  ws_->set_option(websocket::stream_base::decorator(
      [](websocket::request_type& req) { req.set(http::field::user_agent, user_agent); }));
  ws_->read_message_max(options_.max_message_size);
  ws_->auto_fragment(false);
  auto [hec] = co_await ws_->async_handshake(host_header(endpoint_), target, use_tuple);
  co_return hec;
}

asio::awaitable<error_code> engineio_session::read_frame(std::string_view& data, bool& text) {
  auto self = shared_from_this();
  auto [ec, n] = co_await ws_->async_read(ws_buffer_, use_tuple);
  if (ec) co_return ec;
  data = std::string_view(static_cast<const char*>(ws_buffer_.cdata().data()), ws_buffer_.size());
  text = ws_->got_text();
  co_return error_code{};
}

asio::awaitable<error_code> engineio_session::write_frame(std::string_view data, bool text) {
  auto self = shared_from_this();
  ws_->text(text);
  auto [ec, n] = co_await ws_->async_write(asio::buffer(data.data(), data.size()), use_tuple);
  co_return ec;
}

// Beast's websocket stream writes one message per call; the writer loop writes its batches of
// frames to the stream's next layer instead, once the handshake and the upgrade probe are done
// (they go through Beast). Beast keeps reading, and answers a websocket ping by writing a pong
// itself: none of the servers the client talks to sends websocket pings to a connection that
// keeps talking (Engine.IO has its own heartbeat), and a pong could only be misplaced when it
// lands between two partial writes of a batch.
asio::awaitable<error_code> engineio_session::write_frames(std::string_view frames) {
  auto self = shared_from_this();
  auto [ec, n] = co_await asio::async_write(ws_->next_layer(),
                                            asio::buffer(frames.data(), frames.size()), use_tuple);
  co_return ec;
}

asio::awaitable<error_code> engineio_session::probe_upgrade() {
  auto self = shared_from_this();
  if (auto ec = co_await open_websocket(request_target(endpoint_, "websocket", handshake_.sid)))
    co_return ec;
  if (auto ec = co_await write_frame("2probe", true)) co_return ec;
  std::string_view frame;
  bool text = false;
  if (auto ec = co_await read_frame(frame, text)) co_return ec;
  bool ok = text && frame == "3probe";
  ws_buffer_.consume(ws_buffer_.size());
  if (!ok) co_return make_error_code(client_errc::protocol_error);
  // No GET is pending (the probe runs right after the handshake), so nothing is lost by
  // switching now; the server flushes what it queued meanwhile to the websocket.
  if (auto ec = co_await write_frame("5", true)) co_return ec;
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

asio::awaitable<void> engineio_session::websocket_reader() {
  auto self = shared_from_this();
  for (;;) {
    std::string_view frame;
    bool text = false;
    if (auto ec = co_await read_frame(frame, text)) {
      if (state_ == state::open)
        finish(ec == websocket::error::closed ? make_error_code(client_errc::closed_by_server)
                                              : ec);
      co_return;
    }
    if (text) {
      on_text(frame);
    } else {
      on_packet(engineio::packet_type::message, frame, true);
    }
    ws_buffer_.consume(ws_buffer_.size());
    if (state_ == state::closed) co_return;
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
