// client_session's delivery loop: Kafka batches -> validate + augment (one parse) -> filters ->
// the consume ack or a `message` event. Messages stay in the batches they came in until
// delivered, so a stop, a full send queue or a filter change never loses or repeats one.
// Event-loop thread only.
#include "libkasocki/gateway/client_session.hpp"

#include "libkasocki/http/metrics.hpp"

namespace kasocki::gateway {

namespace {
constexpr std::string_view message_event_prefix = R"(2["message",)";

// Per-message counters, looked up once (an increment is one relaxed atomic add).
struct delivery_counters {
  metrics::counter& delivered = metrics::global().counter("kasocki_messages_delivered_total");
  metrics::counter& bytes = metrics::global().counter("kasocki_bytes_delivered_total");
  metrics::counter& filtered = metrics::global().counter("kasocki_messages_filtered_total");
  metrics::counter& undecodable = metrics::global().counter("kasocki_deserialization_errors_total");
};
delivery_counters& counters() {
  static delivery_counters c;
  return c;
}
}  // namespace

bool client_session::has_demand() const {
  if (!consumes_.empty()) return true;
  if (!started_) return false;
  auto socket = socket_.lock();
  return socket && socket->session() && socket->session()->writable();
}

void client_session::pump() {
  if (pumping_ || !source_) return;  // re-entered from an ack or error emit
  pumping_ = true;
  while (has_demand()) {
    while (!batches_.empty() && next_in_front_ >= batches_.front().messages().size()) {
      batches_.pop_front();
      next_in_front_ = 0;
    }
    if (batches_.empty()) {
      if (!fetching_) {
        fetching_ = true;
        source_->want_messages(owner_.options_.fetch_batch,
                               [weak = weak_from_this()](kafka::message_batch batch) {
                                 if (auto self = weak.lock()) self->on_batch(std::move(batch));
                               });
      }
      break;
    }
    const auto& message = batches_.front().messages()[next_in_front_++];
    deliver(message);
  }
  pumping_ = false;
  // Started but the send queue is full: continue when it drains (Kafka buffers meanwhile).
  auto socket = socket_.lock();
  if (started_ && consumes_.empty() && !waiting_writable_ && socket && socket->session() &&
      !socket->session()->writable()) {
    waiting_writable_ = true;
    socket->session()->when_writable([weak = weak_from_this()] {
      if (auto self = weak.lock()) {
        self->waiting_writable_ = false;
        self->pump();
      }
    });
  }
}

void client_session::on_batch(kafka::message_batch batch) {
  fetching_ = false;
  for (const auto& e : batch.errors()) {
    json details = json::object();
    auto error = kafka_error(e.error.message, e.error.name);
    if (!e.topic.empty()) error.details["topic"] = e.topic;
    if (e.partition >= 0) error.details["partition"] = e.partition;
    if (e.offset >= 0) error.details["offset"] = e.offset;
    emit_error("message", error);
  }
  if (!batch.messages().empty()) batches_.push_back(std::move(batch));
  pump();
}

void client_session::deliver(const kafka::message_view& m) {
  if (!augmenter_.parse(m.value)) {
    counters().undecodable.inc();
    emit_error("message", deserialization_error(m.topic, m.partition, m.offset));
    return;
  }
  if (!filters_.empty() && !filters_.matches(augmenter_.root())) {
    counters().filtered.inc();
    return;
  }
  kafka_position position{m.topic, m.partition, m.offset, m.timestamp, m.key};
  auto socket = socket_.lock();
  if (!socket) return;
  if (!consumes_.empty()) {
    auto ack = std::move(consumes_.front());
    consumes_.pop_front();
    if (!ack) return;  // a consume sent without an ack: the message is its answer, unseen
    engineio::out_packet p;
    p.body = make_shared_bytes(augmenter_.splice(position, ack.raw_prefix() + "null,", "]"));
    counters().delivered.inc();
    counters().bytes.inc(view(p.body).size());
    ack.send_raw(std::move(p));
    return;
  }
  engineio::out_packet p;
  p.body = make_shared_bytes(augmenter_.splice(position, message_event_prefix, "]"));
  counters().delivered.inc();
  counters().bytes.inc(view(p.body).size());
  socket->send_encoded(std::move(p));
}

}  // namespace kasocki::gateway
