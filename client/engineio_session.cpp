// See engineio_session.hpp: the Engine.IO session logic (handshake, upgrade decision, packet
// handling, heartbeat watchdog, writer loop, close).
#include "client/engineio_session.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

#include "client/client_error.hpp"
#include "libkasocki/engineio/websocket_frame.hpp"

namespace kasocki::client {

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
}

engineio_session::engineio_session(asio::any_io_executor executor, engineio_options options)
    : executor_(executor),
      options_(options),
      get_conn_(executor),
      post_conn_(executor),
      frames_(websocket::role::client, options.max_message_size),
      queue_(options.send_queue_limit),
      write_signal_(executor),
      heartbeat_timer_(executor) {}

bool engineio_session::parse_open_packet(std::string_view json_text) {
  auto j = nlohmann::json::parse(json_text, nullptr, false);
  if (!j.is_object()) return false;
  auto sid = j.find("sid");
  auto interval = j.find("pingInterval");
  auto timeout = j.find("pingTimeout");
  if (sid == j.end() || !sid->is_string() || interval == j.end() ||
      !interval->is_number_unsigned() || timeout == j.end() || !timeout->is_number_unsigned())
    return false;
  handshake_.sid = sid->get<std::string>();
  handshake_.ping_interval = std::chrono::milliseconds(interval->get<std::uint64_t>());
  handshake_.ping_timeout = std::chrono::milliseconds(timeout->get<std::uint64_t>());
  handshake_.upgrades.clear();
  if (auto u = j.find("upgrades"); u != j.end() && u->is_array()) {
    for (const auto& item : *u)
      if (item.is_string()) handshake_.upgrades.push_back(item.get<std::string>());
  }
  if (auto m = j.find("maxPayload"); m != j.end() && m->is_number_unsigned())
    handshake_.max_payload = m->get<std::size_t>();
  return !handshake_.sid.empty();
}

asio::awaitable<error_code> engineio_session::open(endpoint ep) {
  auto self = shared_from_this();
  if (state_ != state::idle) co_return make_error_code(client_errc::not_connected);
  if (ep.secure) co_return make_error_code(client_errc::unsupported_scheme);
  endpoint_ = std::move(ep);
  state_ = state::opening;
  auto fail_open = [&](error_code ec) {
    close_sockets();
    state_ = state::closed;
    return ec;
  };

  asio::ip::tcp::resolver resolver(executor_);
  auto [rec, results] = co_await resolver.async_resolve(endpoint_.host, endpoint_.port, use_tuple);
  if (rec) co_return fail_open(rec);
  addresses_ = std::move(results);

  std::vector<engineio::packet> early;  // packets that came with the open packet
  if (options_.transport == transport_mode::websocket) {
    if (auto ec = co_await open_websocket(request_target(endpoint_, "websocket", "")))
      co_return fail_open(ec);
    std::string_view frame;
    bool text = false;
    if (auto ec = co_await read_message(frame, text)) co_return fail_open(ec);
    bool ok = text && !frame.empty() && frame[0] == '0' && parse_open_packet(frame.substr(1));
    if (!ok) co_return fail_open(make_error_code(client_errc::handshake_failed));
    websocket_active_ = true;
  } else {
    std::string body;
    if (auto ec = co_await http_exchange(get_conn_, beast::http::verb::get, {}, body))
      co_return fail_open(ec);
    auto packets = engineio::decode_payload_v4(body);
    if (!packets || packets->empty() || (*packets)[0].type != engineio::packet_type::open ||
        !parse_open_packet((*packets)[0].data))
      co_return fail_open(make_error_code(client_errc::handshake_failed));
    early.assign(std::make_move_iterator(packets->begin() + 1),
                 std::make_move_iterator(packets->end()));
    bool offered = std::find(handshake_.upgrades.begin(), handshake_.upgrades.end(), "websocket") !=
                   handshake_.upgrades.end();
    if (options_.transport == transport_mode::polling && offered) {
      // A failed probe leaves the session on polling, as the reference client does.
      if (co_await probe_upgrade()) {
        if (ws_) ws_->close();
        ws_.reset();
      }
    }
  }
  if (state_ == state::closed) co_return make_error_code(client_errc::disconnected);
  state_ = state::open;
  ping_deadline_ =
      std::chrono::steady_clock::now() + handshake_.ping_interval + handshake_.ping_timeout;
  for (const auto& p : early) on_packet(p.type, p.data, p.binary);
  start_loops();
  co_return error_code{};
}

void engineio_session::start_loops() {
  auto self = shared_from_this();
  if (websocket_active_) {
    ws_->expires_never();  // the heartbeat watchdog finds dead servers
    asio::co_spawn(executor_, websocket_reader(), asio::detached);
  } else {
    get_conn_.stream.expires_never();
    asio::co_spawn(executor_, polling_reader(), asio::detached);
  }
  asio::co_spawn(executor_, writer_loop(), asio::detached);
  asio::co_spawn(executor_, heartbeat_loop(), asio::detached);
}

void engineio_session::on_text(std::string_view text) {
  if (text.empty() || text[0] < '0' || text[0] > '6') {
    finish(make_error_code(client_errc::protocol_error));
    return;
  }
  on_packet(static_cast<engineio::packet_type>(text[0] - '0'), text.substr(1), false);
}

void engineio_session::on_packet(engineio::packet_type type, std::string_view data, bool binary) {
  if (state_ != state::open && state_ != state::closing) return;
  switch (type) {
    case engineio::packet_type::message:
      if (on_message_) on_message_(data, binary);
      break;
    case engineio::packet_type::ping:
      ping_deadline_ =
          std::chrono::steady_clock::now() + handshake_.ping_interval + handshake_.ping_timeout;
      if (state_ == state::open)
        send(engineio::make_out_packet(engineio::packet_type::pong, std::string(data)));
      break;
    case engineio::packet_type::close:
      finish(make_error_code(client_errc::closed_by_server));
      break;
    default:  // noop (end of a poll cut short by an upgrade), stray pong/open/upgrade
      break;
  }
}

error_code engineio_session::send(engineio::out_packet packet) {
  if (state_ != state::open) return make_error_code(client_errc::not_connected);
  if (!queue_.push(std::move(packet))) return make_error_code(client_errc::send_queue_full);
  wake_writer();
  return {};
}

void engineio_session::close() {
  if (state_ != state::open) return;
  queue_.push_unbounded(engineio::make_out_packet(engineio::packet_type::close));
  state_ = state::closing;
  wake_writer();
}

asio::awaitable<void> engineio_session::heartbeat_loop() {
  auto self = shared_from_this();
  while (state_ == state::open || state_ == state::closing) {
    heartbeat_timer_.expires_at(ping_deadline_);
    co_await heartbeat_timer_.async_wait(use_tuple);
    if (state_ == state::closed) co_return;
    if (std::chrono::steady_clock::now() >= ping_deadline_) {
      finish(make_error_code(client_errc::ping_timeout));
      co_return;
    }
  }
}

asio::awaitable<void> engineio_session::writer_loop() {
  auto self = shared_from_this();
  while (state_ == state::open || state_ == state::closing) {
    if (queue_.empty() && control_frames_.empty()) {
      if (state_ == state::closing) break;  // the close packet went out last
      write_signal_.expires_at(asio::steady_timer::time_point::max());
      co_await write_signal_.async_wait(use_tuple);
      continue;
    }
    error_code ec;
    if (websocket_active_) {
      // Everything queued goes out as masked frames in one write (one syscall for a burst of
      // emits, as the server does for its frames). First let the handlers that are ready run:
      // a wake-up may come from the first of several handlers about to queue a packet (the
      // reader dispatches a whole read's messages in one go, but other completions may be
      // ready too). Each post lets them through; once a round adds nothing, nothing is ready
      // and waiting longer would only add latency.
      for (std::size_t seen = 0; seen != queue_.size() && state_ != state::closed;) {
        seen = queue_.size();
        co_await asio::post(executor_, asio::use_awaitable);
      }
      if (state_ == state::closed) co_return;
      // Pongs and a close reply first; after the server's close no data frame may follow.
      frame_.assign(control_frames_);
      control_frames_.clear();
      if (!server_closed_)
        for (const auto& p : queue_) engineio::append_packet_frame(frame_, p, 4, masks_.next());
      queue_.clear();
      ec = co_await write_frames(frame_);
      frame_.clear();
      // Don't keep a huge buffer around after a burst.
      if (frame_.capacity() > (1 << 20)) std::string().swap(frame_);
      // The server's close may have come during a batch: its answer goes out next, then end.
      if (server_closed_ && (ec || control_frames_.empty())) {
        finish(close_reason_);
        co_return;
      }
    } else {
      ec = co_await post_queued();
    }
    if (state_ == state::closed) co_return;
    if (ec) {
      finish(ec);
      co_return;
    }
  }
  if (state_ != state::closing) co_return;
  if (websocket_active_ && ws_) co_await close_websocket();
  finish(error_code{});
}

asio::awaitable<void> engineio_session::close_websocket() {
  auto self = shared_from_this();
  std::string payload{static_cast<char>(1000 >> 8), static_cast<char>(1000 & 0xff)};
  queue_control_frame(0x8, payload);
  frame_.assign(control_frames_);
  control_frames_.clear();
  close_sent_ = true;
  ws_->expires_after(options_.open_timeout);
  auto ec = co_await write_frames(frame_);
  if (ec || state_ == state::closed) co_return;
  // The reader ends the session when the server's close (or the end of the connection) comes.
  write_signal_.expires_after(options_.open_timeout);
  co_await write_signal_.async_wait(use_tuple);
}

void engineio_session::queue_control_frame(unsigned opcode, std::string_view payload) {
  websocket::append_frame(control_frames_, static_cast<websocket::opcode>(opcode), payload,
                          masks_.next());
  wake_writer();
}

bool engineio_session::on_frame(const frame_event& e) {
  switch (e.kind) {
    case frame_kind::text:
      on_text(e.payload);
      break;
    case frame_kind::binary:
      on_packet(engineio::packet_type::message, e.payload, true);
      break;
    case frame_kind::ping:
      if (!close_sent_) queue_control_frame(0xa, e.payload);  // a pong echoes the ping
      break;
    case frame_kind::pong:
    case frame_kind::need_more:
      break;
    case frame_kind::close:
      if (state_ == state::open || !close_sent_) {
        // The server closes first: echo its code (RFC 6455 5.5.1), then end; the writer sends
        // the answer after a batch in flight and finishes the session.
        std::string code;
        if (e.close_code != 1005)
          code = {static_cast<char>(e.close_code >> 8), static_cast<char>(e.close_code & 0xff)};
        close_reason_ =
            state_ == state::open ? make_error_code(client_errc::closed_by_server) : error_code{};
        state_ = state::closing;
        server_closed_ = true;
        queue_control_frame(0x8, code);
      } else {
        finish(error_code{});  // the answer to the client's close
      }
      return false;
    case frame_kind::error:
      finish(frame_error_code(e.error));
      return false;
  }
  return state_ != state::closed;
}

void engineio_session::finish(error_code reason) {
  if (state_ == state::closed) return;
  state_ = state::closed;
  close_sockets();
  write_signal_.cancel();
  heartbeat_timer_.cancel();
  queue_.clear();
  if (on_close_) {
    // Reported from a fresh handler so that the close handler may destroy the client.
    asio::post(executor_, [self = shared_from_this(), reason] {
      if (auto handler = std::move(self->on_close_)) handler(reason);
    });
  }
}

}  // namespace kasocki::client
