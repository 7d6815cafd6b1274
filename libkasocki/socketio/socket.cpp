// See socket.hpp.
#include "libkasocki/socketio/socket.hpp"

#include "libkasocki/socketio/connection.hpp"

namespace kasocki::socketio {

socket::socket(connection& owner, std::string nsp, std::string id, json auth)
    : owner_(&owner), nsp_(std::move(nsp)), id_(std::move(id)), auth_(std::move(auth)) {}

void socket::on(std::string event, event_handler handler) {
  handlers_[std::move(event)] = std::move(handler);
}

void socket::on_disconnect(std::function<void(std::string_view)> handler) {
  on_disconnect_ = std::move(handler);
}

engineio::session* socket::session() const {
  return connected_ ? owner_->session() : nullptr;
}

void socket::send_packet(packet p) {
  if (!connected_) return;
  p.nsp = nsp_;
  owner_->send(std::move(p));
}

void socket::emit(std::string_view event, json args) {
  json data = json::array();
  data.push_back(event);
  for (auto& a : args) data.push_back(std::move(a));
  send_packet(packet{packet_type::event, nsp_, std::nullopt, 0, std::move(data)});
}

void socket::send_encoded(engineio::out_packet p) {
  if (connected_) owner_->send_raw(std::move(p));
}

void socket::disconnect(bool close_transport) {
  if (!connected_) return;
  send_packet(packet{packet_type::disconnect, nsp_, std::nullopt, 0, std::nullopt});
  auto self = shared_from_this();
  auto* owner = owner_;
  handle_disconnect("server namespace disconnect");
  owner->remove_socket(nsp_);
  if (close_transport) owner->close();
}

void socket::dispatch_event(json data, std::optional<std::uint64_t> ack_id) {
  if (!connected_ || !data.is_array() || data.empty() || !data[0].is_string()) return;
  ack_sender ack;
  if (ack_id) ack = ack_sender(weak_from_this(), *ack_id);
  json args = json::array();
  for (std::size_t i = 1; i < data.size(); ++i) args.push_back(std::move(data[i]));
  const auto& name = data[0].get_ref<const std::string&>();
  auto it = handlers_.find(name);
  if (it == handlers_.end()) {
    // Unknown events are ignored, as the reference does, unless the application wants them.
    if (on_unknown_) on_unknown_(name, std::move(args), std::move(ack));
    return;
  }
  auto handler = it->second;  // the handler may replace itself
  handler(std::move(args), std::move(ack));
}

void ack_sender::operator()(json args) {
  auto s = owner_.lock();
  if (!s || !id_ || sent_) return;
  sent_ = true;
  if (!args.is_array()) args = json::array({std::move(args)});
  s->send_packet(packet{packet_type::ack, s->nsp_, *id_, 0, std::move(args)});
}

std::string ack_sender::raw_prefix() const {
  std::string prefix = "3";
  if (auto s = owner_.lock(); s && s->nsp_ != "/") prefix += s->nsp_ + ",";
  if (id_) prefix += std::to_string(*id_);
  prefix += '[';
  return prefix;
}

void ack_sender::send_raw(engineio::out_packet p) {
  auto s = owner_.lock();
  if (!s || !id_ || sent_) return;
  sent_ = true;
  s->send_encoded(std::move(p));
}

void socket::handle_disconnect(std::string_view reason) {
  if (!connected_) return;
  connected_ = false;
  handlers_.clear();
  if (auto handler = std::move(on_disconnect_)) handler(reason);
}

}  // namespace kasocki::socketio
