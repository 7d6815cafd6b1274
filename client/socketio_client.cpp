// See socketio_client.hpp: the public face of socketio_session.
#include "client/socketio_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "client/client_error.hpp"
#include "client/socketio_session.hpp"

namespace kasocki::client {

namespace {

json event_array(std::string_view event, json args) {
  json data = json::array();
  data.push_back(event);
  if (args.is_array()) {
    for (auto& item : args) data.push_back(std::move(item));
  } else {
    data.push_back(std::move(args));
  }
  return data;
}

}  // namespace

socketio_client::socketio_client(boost::asio::any_io_executor executor, socketio_options options)
    : session_(std::make_shared<socketio_session>(std::move(executor), std::move(options))) {
  session_->attach();
}

socketio_client::~socketio_client() {
  session_->shutdown();
}

void socketio_client::on(std::string event, event_handler handler) {
  session_->handlers_[std::move(event)] = std::move(handler);
}

void socketio_client::on_raw(std::string event, raw_event_handler handler) {
  session_->raw_handlers_[std::move(event)] = std::move(handler);
}

void socketio_client::on_disconnect(disconnect_handler handler) {
  session_->on_disconnect_ = std::move(handler);
}

boost::asio::awaitable<connect_result> socketio_client::connect(std::string_view url) {
  auto session = session_;
  co_return co_await session->connect(url);
}

boost::system::error_code socketio_client::emit(std::string_view event, json args) {
  if (!connected()) return make_error_code(client_errc::not_connected);
  return session_->send_packet(socketio::packet{.type = socketio::packet_type::event,
                                                .nsp = session_->options_.nsp,
                                                .data = event_array(event, std::move(args))});
}

void socketio_client::emit(std::string_view event, json args, ack_handler handler,
                           std::optional<milliseconds> timeout) {
  auto id = session_->add_ack(std::move(handler), nullptr, timeout);
  if (!id) return;
  if (auto ec =
          session_->send_packet(socketio::packet{.type = socketio::packet_type::event,
                                                 .nsp = session_->options_.nsp,
                                                 .id = id,
                                                 .data = event_array(event, std::move(args))}))
    session_->fail_ack(*id, ec);
}

boost::system::error_code socketio_client::emit_raw(std::string_view event,
                                                    std::string_view args_json) {
  if (!connected()) return make_error_code(client_errc::not_connected);
  return session_->send_raw_event(event, args_json, std::nullopt);
}

void socketio_client::emit_raw(std::string_view event, std::string_view args_json,
                               raw_ack_handler handler, std::optional<milliseconds> timeout) {
  auto id = session_->add_ack(nullptr, std::move(handler), timeout);
  if (!id) return;
  if (auto ec = session_->send_raw_event(event, args_json, id)) session_->fail_ack(*id, ec);
}

boost::asio::awaitable<ack_result> socketio_client::call(std::string_view event, json args,
                                                         std::optional<milliseconds> timeout) {
  auto session = session_;
  struct waiter {
    explicit waiter(boost::asio::any_io_executor ex) : signal(ex) {}
    boost::asio::steady_timer signal;
    bool done = false;
    ack_result result;
  };
  auto w = std::make_shared<waiter>(session->executor_);
  w->signal.expires_at(boost::asio::steady_timer::time_point::max());
  emit(
      event, std::move(args),
      [w](boost::system::error_code ec, json reply) {
        w->done = true;
        w->result = ack_result{ec, std::move(reply)};
        w->signal.cancel();
      },
      timeout);
  // The handler always runs later (even not_connected is posted), and it ends the wait.
  while (!w->done) co_await w->signal.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  co_return std::move(w->result);
}

void socketio_client::disconnect() {
  session_->disconnect();
}

boost::asio::awaitable<boost::system::error_code> socketio_client::wait_closed() {
  auto session = session_;
  while (session->state_ != socketio_session::state::closed) {
    if (session->closed_signal_.expiry() != boost::asio::steady_timer::time_point::max())
      session->closed_signal_.expires_at(boost::asio::steady_timer::time_point::max());
    co_await session->closed_signal_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }
  co_return session->close_reason_;
}

bool socketio_client::connected() const {
  return session_->state_ == socketio_session::state::connected;
}

const std::string& socketio_client::sid() const {
  return session_->sid_;
}

const engineio_client& socketio_client::engine() const {
  return session_->engine_;
}

}  // namespace kasocki::client
