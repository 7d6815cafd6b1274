// client_session as a plain stream's session (SSE): no events nor acks, started at once, and
// the few places where delivery reaches its client, which go to the socket's Engine.IO session
// or to the stream_output. Event-loop thread only.
#include "libkasocki/common/metrics.hpp"
#include "libkasocki/gateway/client_session.hpp"

namespace kasocki::gateway {

client_session::client_session(gateway& owner, std::weak_ptr<stream_output> stream,
                               auth::identity identity, subject_ticket ticket)
    : owner_(owner),
      stream_(std::move(stream)),
      is_stream_(true),
      identity_(std::move(identity)),
      subject_ticket_(std::move(ticket)) {
  ++owner_.sessions_;
}

void client_session::start_stream(const std::vector<kafka::resolved_assignment>& assignments,
                                  filter::filter_set filters) {
  if (!is_stream_ || phase_ != phase::waiting_for_metadata) return;
  filters_ = std::move(filters);
  filter_id_ = owner_.acquire_filter(filters_);
  source_ = owner_.tail_.open(assignments);
  metrics::global().gauge("kasocki_sessions_subscribed").inc();
  metrics::global().gauge("kasocki_sessions_started").inc();
  phase_ = phase::started;
  if (owner_.authenticator_) watch_expiry();
  pump();
}

bool client_session::output_attached() const {
  if (is_stream_) return !stream_.expired();
  auto socket = socket_.lock();
  return socket && socket->session();
}

bool client_session::output_writable() const {
  if (is_stream_) {
    auto stream = stream_.lock();
    return stream && stream->writable();
  }
  auto socket = socket_.lock();
  return socket && socket->session() && socket->session()->feedable();
}

void client_session::when_output_writable(std::function<void()> callback) {
  if (is_stream_) {
    if (auto stream = stream_.lock()) stream->when_writable(std::move(callback));
    return;
  }
  if (auto socket = socket_.lock(); socket && socket->session())
    socket->session()->when_writable(std::move(callback));
}

void client_session::discard_output() {
  if (is_stream_) {
    if (auto stream = stream_.lock()) stream->discard_queued();
    return;
  }
  if (auto socket = socket_.lock(); socket && socket->session())
    socket->session()->discard_queued();
}

void client_session::disconnect_client() {
  if (is_stream_) {
    if (auto stream = stream_.lock()) stream->end();
    return;
  }
  if (auto socket = socket_.lock()) socket->disconnect(true);
}

}  // namespace kasocki::gateway
