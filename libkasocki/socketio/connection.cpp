// See connection.hpp.
#include "libkasocki/socketio/connection.hpp"

#include "libkasocki/socketio/query_auth.hpp"

namespace kasocki::socketio {

namespace {

// The credentials of "Authorization: Bearer <token>" (the scheme case-insensitive), else "".
std::string bearer_credentials(std::string_view authorization) {
  constexpr std::string_view scheme = "bearer ";
  if (authorization.size() <= scheme.size()) return {};
  for (std::size_t i = 0; i < scheme.size(); ++i)
    if ((authorization[i] | 0x20) != scheme[i]) return {};
  auto token = authorization.substr(scheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  return std::string(token);
}

}  // namespace

connection::connection(server& srv, std::shared_ptr<engineio::session> session)
    : server_(srv), session_(std::move(session)), connect_timer_(srv.executor()) {}

void connection::start(const engineio::http_request& handshake) {
  // The session's handlers own this connection; the cycle ends when the session ends.
  auto self = shared_from_this();
  if (server_.guard()) {
    auto authorization = handshake[boost::beast::http::field::authorization];
    handshake_token_ =
        bearer_credentials(std::string_view(authorization.data(), authorization.size()));
    if (handshake_token_.empty()) {
      auto query = query_auth(handshake.target());
      if (auto t = query.find("access_token"); t != query.end() && t->is_string())
        handshake_token_ = t->get<std::string>();
    }
  }
  session_->set_handlers([self](engineio::packet&& p) { self->on_message(std::move(p)); },
                         [self](std::string_view reason) { self->on_close(reason); });
  if (protocol() < 4) {
    // socket.io 2.x: "/" is connected by the server at once; auth comes as query parameters.
    connect("/", query_auth(handshake.target()));
    return;
  }
  connect_timer_.expires_after(server_.options().connect_timeout);
  connect_timer_.async_wait([weak = weak_from_this()](auto ec) {
    auto c = weak.lock();
    if (!ec && c && !c->ever_connected_) c->fail("connect timeout");
  });
}

void connection::send(packet p) {
  auto encoded = encode_packet(p);
  session_->send(
      engineio::make_out_packet(engineio::packet_type::message, std::move(encoded.text)));
  for (auto& attachment : encoded.attachments)
    session_->send(engineio::make_out_packet(engineio::packet_type::message, std::move(attachment),
                                             /*binary=*/true));
}

void connection::remove_socket(const std::string& nsp) {
  sockets_.erase(nsp);
}

void connection::close() {
  session_->close("server disconnect");
}

void connection::fail(std::string_view reason) {
  // An invalid packet (or no CONNECT in time) closes the whole connection.
  session_->close(reason);
}

void connection::on_message(engineio::packet&& p) {
  if (p.binary) {
    if (!partial_) return fail("unexpected binary attachment");
    attachments_.push_back(std::move(p.data));
    if (attachments_.size() < partial_->attachments) return;
    packet complete = std::move(*partial_);
    partial_.reset();
    auto attachments = std::move(attachments_);
    attachments_.clear();
    if (!complete.data || !reconstruct(*complete.data, attachments))
      return fail("invalid binary attachments");
    return on_packet(std::move(complete));
  }
  if (partial_) return fail("text packet while waiting for binary attachments");
  decode_limits limits;
  limits.max_attachments = server_.options().max_attachments;
  auto decoded = decode_packet(p.data, limits);
  if (!decoded) return fail("invalid packet");
  if (decoded->type == packet_type::binary_event || decoded->type == packet_type::binary_ack) {
    partial_ = std::move(*decoded);
    return;
  }
  on_packet(std::move(*decoded));
}

void connection::on_packet(packet&& p) {
  switch (p.type) {
    case packet_type::connect: {
      json auth = p.data ? std::move(*p.data) : json::object();
      if (auto q = p.nsp.find('?'); q != std::string::npos && protocol() < 4) {
        // socket.io 2.x: `40/nsp?key=value,` carries its auth as a query.
        auth = query_auth(std::string_view(p.nsp).substr(q));
        p.nsp.resize(q);
      }
      return connect(p.nsp, std::move(auth));
    }
    case packet_type::disconnect:
      if (auto it = sockets_.find(p.nsp); it != sockets_.end()) {
        auto s = it->second;
        sockets_.erase(it);
        s->handle_disconnect("client namespace disconnect");
      }
      return;
    case packet_type::event:
    case packet_type::binary_event:
      if (auto it = sockets_.find(p.nsp); it != sockets_.end()) {
        auto s = it->second;  // the handler may disconnect it
        s->dispatch_event(p.data ? std::move(*p.data) : json::array(), p.id);
      }
      return;
    case packet_type::ack:
    case packet_type::binary_ack:
      return;  // the server asks clients for no acks: nothing waits for one
    case packet_type::connect_error:
      return fail("CONNECT_ERROR from a client");
  }
}

void connection::connect(const std::string& nsp, json auth) {
  const auto* on_connection = server_.find_namespace(nsp);
  if (!on_connection) {
    json error =
        protocol() >= 4 ? json{{"message", "Invalid namespace"}} : json("Invalid namespace");
    send(packet{packet_type::connect_error, nsp, std::nullopt, 0, std::move(error)});
    return;
  }
  if (sockets_.count(nsp) || connecting_.count(nsp)) return;  // already connected to it
  auto s = std::make_shared<socket>(*this, nsp, engineio::make_session_id(), std::move(auth));
  if (const auto& guard = server_.guard()) {
    // A refused CONNECT does not count as connected: the connect timeout still closes a session
    // that never gets admitted.
    if (auto refused = guard(*s, s->auth(), handshake_token_)) {
      send(packet{packet_type::connect_error, nsp, std::nullopt, 0, std::move(*refused)});
      return;
    }
  }
  ever_connected_ = true;
  connect_timer_.cancel();
  const auto& recovery = server_.recovery();
  if (!recovery || protocol() < 4) return accept(s, std::nullopt);
  // The client sends nothing on this namespace until it has the answer (it buffers its emits).
  // Recovery comes after the guard: what a recovered session may read is what the guard admitted.
  connecting_.insert(nsp);
  recovery(*s, [weak = weak_from_this(), s](connect_recovery r) {
    auto self = weak.lock();
    if (!self || !self->connecting_.erase(s->nsp())) return;  // closed meanwhile
    self->accept(s, std::move(r));
  });
}

void connection::accept(const std::shared_ptr<socket>& s,
                        std::optional<connect_recovery> recovery) {
  const auto* on_connection = server_.find_namespace(s->nsp());
  if (!on_connection) return;
  std::optional<json> reply;
  if (protocol() >= 4) reply = json{{"sid", s->id()}};
  if (recovery) {
    (*reply)["pid"] = recovery->pid;
    s->set_recovery(std::move(*recovery));
  }
  sockets_[s->nsp()] = s;
  send(packet{packet_type::connect, s->nsp(), std::nullopt, 0, std::move(reply)});
  (*on_connection)(s);
}

void connection::on_close(std::string_view reason) {
  connect_timer_.cancel();
  connecting_.clear();
  auto sockets = std::move(sockets_);
  sockets_.clear();
  for (auto& [nsp, s] : sockets) s->handle_disconnect(reason);
}

}  // namespace kasocki::socketio
