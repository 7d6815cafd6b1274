// See socketio_session.hpp: connecting to the namespace, dispatching received packets (with the
// raw fast path for plain events and acks), acks and their timeouts, ending the connection.
#include "client/socketio_session.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "client/client_error.hpp"
#include "client/raw_packet.hpp"

namespace kasocki::client {

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
}

socketio_session::socketio_session(asio::any_io_executor executor, socketio_options options)
    : executor_(executor),
      options_(std::move(options)),
      engine_(executor, options_.engine),
      closed_signal_(executor),
      connect_signal_(executor),
      ack_timer_(executor) {}

void socketio_session::attach() {
  // The engine is a member: its handlers never outlive this object (shutdown() clears them).
  engine_.on_message([this](std::string_view data, bool binary) { on_message(data, binary); });
  engine_.on_close([this](error_code ec) { on_engine_close(ec); });
}

void socketio_session::shutdown() {
  on_disconnect_ = nullptr;
  handlers_.clear();
  raw_handlers_.clear();
  acks_.clear();
  engine_.on_message(nullptr);
  engine_.on_close(nullptr);
  engine_.close();
  on_engine_close(make_error_code(client_errc::disconnected));
}

asio::awaitable<connect_result> socketio_session::connect(std::string_view url) {
  auto self = shared_from_this();
  if (state_ != state::idle) co_return connect_result{make_error_code(client_errc::not_connected)};
  auto ep = parse_url(url);
  if (!ep) co_return connect_result{make_error_code(client_errc::bad_url)};
  state_ = state::connecting;
  connect_signal_.expires_after(options_.connect_timeout);
  if (auto ec = co_await engine_.open(*ep)) {
    state_ = state::closed;
    close_reason_ = ec;
    closed_signal_.cancel();
    co_return connect_result{ec};
  }
  socketio::packet p{.type = socketio::packet_type::connect, .nsp = options_.nsp};
  if (!options_.auth.is_null()) p.data = options_.auth;
  send_packet(p);
  if (!connect_done_) co_await connect_signal_.async_wait(use_tuple);
  if (!connect_done_) {
    abort(make_error_code(client_errc::connect_timeout));
    finish_connect(make_error_code(client_errc::connect_timeout), nullptr);
  }
  co_return connect_result_;
}

void socketio_session::finish_connect(error_code ec, json data) {
  if (connect_done_) return;
  connect_done_ = true;
  connect_result_ = connect_result{ec, std::move(data)};
  connect_signal_.cancel();
}

error_code socketio_session::send_packet(const socketio::packet& p) {
  auto encoded = socketio::encode_packet(p);
  std::size_t total = encoded.text.size();
  for (const auto& attachment : encoded.attachments) total += attachment.size();
  if (!engine_.is_open()) return make_error_code(client_errc::not_connected);
  if (!engine_.has_room(total)) return make_error_code(client_errc::send_queue_full);
  engine_.send(encoded.text);
  for (const auto& attachment : encoded.attachments) engine_.send(attachment, true);
  return {};
}

error_code socketio_session::send_raw_event(std::string_view event, std::string_view args_json,
                                            std::optional<std::uint64_t> id) {
  out_.assign("2");
  if (options_.nsp != "/") out_.append(options_.nsp).append(",");
  if (id) out_.append(std::to_string(*id));
  out_.append("[").append(json(event).dump());
  if (!args_json.empty()) out_.append(",").append(args_json);
  out_.append("]");
  return engine_.send(out_);
}

void socketio_session::post_ack_error(socketio_client::ack_handler json_handler,
                                      socketio_client::raw_ack_handler raw_handler, error_code ec) {
  asio::post(executor_,
             [json_handler = std::move(json_handler), raw_handler = std::move(raw_handler), ec] {
               if (json_handler) json_handler(ec, json::array());
               if (raw_handler) raw_handler(ec, {});
             });
}

void socketio_session::fail_ack(std::uint64_t id, error_code ec) {
  auto it = acks_.find(id);
  if (it == acks_.end()) return;
  pending_ack ack = std::move(it->second);
  acks_.erase(it);
  post_ack_error(std::move(ack.json_handler), std::move(ack.raw_handler), ec);
}

std::optional<std::uint64_t> socketio_session::add_ack(socketio_client::ack_handler json_handler,
                                                       socketio_client::raw_ack_handler raw_handler,
                                                       std::optional<milliseconds> timeout) {
  if (state_ != state::connected || acks_.size() >= options_.max_pending_acks) {
    post_ack_error(
        std::move(json_handler), std::move(raw_handler),
        make_error_code(state_ != state::connected ? client_errc::not_connected
                                                   : client_errc::too_many_pending_acks));
    return std::nullopt;
  }
  milliseconds limit = timeout.value_or(options_.ack_timeout);
  auto deadline = limit.count() > 0 ? clock::now() + limit : clock::time_point::max();
  std::uint64_t id = next_ack_id_++;
  acks_.emplace(id, pending_ack{deadline, std::move(json_handler), std::move(raw_handler)});
  if (deadline < ack_timer_at_) ack_timer_.cancel();  // the sweeper re-arms earlier
  return id;
}

asio::awaitable<void> socketio_session::ack_sweeper() {
  auto self = shared_from_this();
  while (state_ == state::connected) {
    ack_timer_at_ = clock::time_point::max();
    for (const auto& [id, ack] : acks_) ack_timer_at_ = std::min(ack_timer_at_, ack.deadline);
    ack_timer_.expires_at(ack_timer_at_);
    co_await ack_timer_.async_wait(use_tuple);
    auto now = clock::now();
    for (auto it = acks_.begin(); it != acks_.end() && state_ == state::connected;) {
      if (it->second.deadline > now) {
        ++it;
        continue;
      }
      pending_ack ack = std::move(it->second);
      it = acks_.erase(it);
      auto ec = make_error_code(client_errc::ack_timeout);
      if (ack.json_handler) ack.json_handler(ec, json::array());
      if (ack.raw_handler) ack.raw_handler(ec, {});
    }
  }
}

void socketio_session::on_message(std::string_view data, bool binary) {
  if (state_ == state::closed) return;
  if (binary) {
    if (!partial_) return abort(make_error_code(client_errc::protocol_error));
    attachments_.emplace_back(data);
    if (attachments_.size() < partial_->attachments) return;
    socketio::packet p = std::move(*partial_);
    partial_.reset();
    if (!p.data || !socketio::reconstruct(*p.data, attachments_))
      return abort(make_error_code(client_errc::protocol_error));
    attachments_.clear();
    return dispatch(p);
  }
  auto header = scan_header(data);
  if (!header) return abort(make_error_code(client_errc::protocol_error));
  if (header->nsp != options_.nsp) return;  // another namespace on this session: not ours
  if (state_ == state::connecting && header->type != '0' && header->type != '4') {
    // Held until the CONNECT answer: a server that sends much before it is not followed.
    early_bytes_ += data.size();
    if (early_bytes_ > options_.engine.max_message_size)
      return abort(make_error_code(client_errc::receive_queue_full));
    early_.emplace_back(std::string(data), binary);
    return;
  }
  // Fast path: plain events for a raw handler, and acks awaited by a raw handler.
  if (header->type == '2') {
    if (auto ev = scan_event(header->payload)) {
      auto raw = raw_handlers_.find(ev->name);
      if (raw != raw_handlers_.end() && (!header->id || !handlers_.contains(ev->name))) {
        raw->second(ev->args);
        return;
      }
    }
  } else if (header->type == '3' && header->id) {
    auto it = acks_.find(*header->id);
    if (it != acks_.end() && it->second.raw_handler) {
      if (auto items = array_items(header->payload)) {
        auto handler = std::move(it->second.raw_handler);
        acks_.erase(it);
        handler(error_code{}, *items);
        return;
      }
    }
  }
  auto p = socketio::decode_packet(data);
  if (!p) return abort(make_error_code(client_errc::protocol_error));
  if (p->attachments > 0) {
    partial_ = std::move(*p);
    attachments_.clear();
    return;
  }
  dispatch(*p);
}

void socketio_session::dispatch(socketio::packet& p) {
  using socketio::packet_type;
  switch (p.type) {
    case packet_type::connect: {
      if (state_ != state::connecting) return;
      json data = p.data.value_or(json::object());
      if (data.is_object() && data.contains("sid") && data["sid"].is_string())
        sid_ = data["sid"].get<std::string>();
      state_ = state::connected;
      asio::co_spawn(executor_, ack_sweeper(), asio::detached);
      finish_connect(error_code{}, std::move(data));
      // Events the server sent before its CONNECT answer arrived, in order.
      auto early = std::move(early_);
      early_.clear();
      early_bytes_ = 0;
      for (auto& [text, bin] : early) on_message(text, bin);
      return;
    }
    case packet_type::connect_error:
      if (state_ != state::connecting) return;
      finish_connect(make_error_code(client_errc::connect_refused),
                     p.data.value_or(json::object()));
      abort(make_error_code(client_errc::connect_refused));
      return;
    case packet_type::disconnect:
      abort(make_error_code(client_errc::closed_by_server));
      return;
    case packet_type::event:
    case packet_type::binary_event:
      return dispatch_event(p);
    case packet_type::ack:
    case packet_type::binary_ack:
      return dispatch_ack(p);
  }
}

void socketio_session::dispatch_event(socketio::packet& p) {
  if (!p.data || !p.data->is_array() || p.data->empty() || !(*p.data)[0].is_string()) return;
  std::string name = (*p.data)[0].get<std::string>();
  p.data->erase(p.data->begin());
  socketio_client::ack_reply reply;
  if (p.id) {
    reply = [self = weak_from_this(), id = *p.id](json args) {
      auto s = self.lock();
      if (!s || s->state_ != state::connected) return;
      if (!args.is_array()) args = json::array({std::move(args)});
      s->send_packet(socketio::packet{.type = socketio::packet_type::ack,
                                      .nsp = s->options_.nsp,
                                      .id = id,
                                      .data = std::move(args)});
    };
  }
  if (auto it = handlers_.find(name); it != handlers_.end()) {
    it->second(std::move(*p.data), std::move(reply));
  } else if (auto raw = raw_handlers_.find(name); raw != raw_handlers_.end()) {
    std::string text = p.data->dump();
    raw->second(array_items(text).value_or(std::string_view{}));
  }
}

void socketio_session::dispatch_ack(socketio::packet& p) {
  if (!p.id || !p.data || !p.data->is_array()) return;
  auto it = acks_.find(*p.id);
  if (it == acks_.end()) return;  // timed out already
  pending_ack ack = std::move(it->second);
  acks_.erase(it);
  if (ack.json_handler) {
    ack.json_handler(error_code{}, std::move(*p.data));
  } else if (ack.raw_handler) {
    std::string text = p.data->dump();
    ack.raw_handler(error_code{}, array_items(text).value_or(std::string_view{}));
  }
}

void socketio_session::fail_acks(error_code ec) {
  auto acks = std::move(acks_);
  acks_.clear();
  for (auto& [id, ack] : acks) {
    if (ack.json_handler) ack.json_handler(ec, json::array());
    if (ack.raw_handler) ack.raw_handler(ec, {});
  }
}

void socketio_session::disconnect() {
  if (state_ == state::connected) {
    send_packet(socketio::packet{.type = socketio::packet_type::disconnect, .nsp = options_.nsp});
  }
  engine_.close();
}

void socketio_session::abort(error_code reason) {
  if (state_ == state::closed || abort_reason_) return;
  abort_reason_ = reason;
  engine_.close();
}

void socketio_session::on_engine_close(error_code ec) {
  if (state_ == state::closed) return;
  bool was_connected = state_ == state::connected;
  state_ = state::closed;
  close_reason_ = abort_reason_ ? *abort_reason_ : ec;
  finish_connect(close_reason_ ? close_reason_ : make_error_code(client_errc::disconnected),
                 nullptr);
  ack_timer_.cancel();
  fail_acks(make_error_code(client_errc::disconnected));
  closed_signal_.cancel();
  if (was_connected && on_disconnect_) on_disconnect_(close_reason_);
}

}  // namespace kasocki::client
