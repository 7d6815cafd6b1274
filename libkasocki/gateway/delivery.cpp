// client_session's delivery loop: Kafka batches -> validate + augment (one parse) -> filters ->
// the consume ack or a `message` event. Messages stay in the batches they came in until
// delivered, so a stop, a full send queue or a filter change never loses or repeats one.
// Event-loop thread only.
#include "libkasocki/gateway/client_session.hpp"

#include "libkasocki/common/metrics.hpp"
#include "libkasocki/gateway/prepared_message.hpp"
#include "libkasocki/socketio/packet.hpp"

namespace kasocki::gateway {

namespace {
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

// A waiting consume or a start asks for messages; either is served only while the send queue
// has room: a client with a thousand consumes outstanding that reads nothing gets a queue's
// worth of answers, not a thousand messages.
bool client_session::has_demand() const {
  if (consumes_.empty() && phase_ != phase::started) return false;
  return output_writable();
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
  // Started or consumes waiting, but the send queue is full: continue when it drains (Kafka
  // buffers meanwhile).
  if ((phase_ == phase::started || !consumes_.empty()) && !waiting_writable_ && output_attached() &&
      !output_writable()) {
    waiting_writable_ = true;
    watch_stall();
    when_output_writable([weak = weak_from_this()] {
      if (auto self = weak.lock()) {
        self->waiting_writable_ = false;
        if (self->stall_timer_) self->stall_timer_->cancel();
        self->pump();
      }
    });
  }
}

// The client reads nothing while messages wait: the server holds only its bounded send queue
// (Kafka or the shared window keeps the rest), and after stall_timeout lets it go. The queued
// messages are dropped first, so a client that reads again (in time for the close) finds the
// reason, then the disconnect, right after what it was receiving; the messages it missed it can
// resume from its last offsets.
void client_session::watch_stall() {
  const auto timeout = owner_.options_.stall_timeout;
  if (timeout.count() == 0) return;
  if (!stall_timer_)
    stall_timer_ = std::make_unique<boost::asio::steady_timer>(owner_.kafka_.loop());
  stall_timer_->expires_after(timeout);
  stall_timer_->async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || !self->waiting_writable_) return;
    self->discard_output();
    // Counted in kasocki_limit_rejections_total{limit="stall-timeout"}, like every limit error.
    self->emit_error("message", stalled_client_error(self->owner_.options_.stall_timeout.count()));
    self->disconnect_client();
  });
}

void client_session::on_batch(kafka::message_batch batch) {
  fetching_ = false;
  for (const auto& e : batch.errors()) report_kafka_error(e);
  if (!batch.messages().empty()) {
    outage_.reachable();  // after this batch's errors: they may be the outage it ends
    batches_.push_back(std::move(batch));
  }
  pump();
}

// What a client learns of a Kafka error met while reading: the error's own message (the Kafka
// layer's words, never librdkafka's text, which names brokers), once per outage when it says
// Kafka cannot be reached.
void client_session::report_kafka_error(const kafka::message_error& e) {
  // Retention deleted the position: the cursor moved where auto.offset.reset says.
  if (e.error.kind() == kafka::kafka_errc::offset_out_of_range && e.partition >= 0) {
    if (cursor_ && e.reset_to) cursor_->advance(e.topic, e.partition, *e.reset_to);
    return emit_error("message", offset_reset_error(e.topic, e.partition, e.offset, e.reset_to));
  }
  if (e.error.kind() == kafka::kafka_errc::unavailable) {
    auto snapshot = owner_.metadata_.snapshot();
    if (!outage_.should_tell(snapshot ? snapshot->recoveries : 0)) return;
    // The cache notices the outage now, not at its next refresh: /healthz and new clients see
    // it, and its end (the recovery count this client's next notice waits for) is seen.
    owner_.metadata_.refresh([](const kafka::snapshot_ptr&) {});
    return emit_error("message", kafka_unavailable_error());
  }
  auto error = kafka_error(e.error.message, e.error.name);
  if (!e.topic.empty()) error.details["topic"] = e.topic;
  if (e.partition >= 0) error.details["partition"] = e.partition;
  if (e.offset >= 0) error.details["offset"] = e.offset;
  emit_error("message", error);
}

void client_session::deliver(const kafka::message_view& m) {
  // Delivered, filtered out or undecodable, the message is behind the client now.
  if (cursor_) cursor_->advance(m.topic, m.partition, m.offset + 1);
  // A message of the shared tail's window was prepared once for every reader.
  if (m.annotation != nullptr) {
    if (!m.annotation->value) owner_.prepare(m);
    return deliver_prepared(m, *static_cast<prepared_message*>(m.annotation->value.get()));
  }
  if (!augmenter_.parse(m.value)) {
    counters().undecodable.inc();
    emit_error("message", deserialization_error(m.topic, m.partition, m.offset));
    return;
  }
  if (!filters_.empty() && !filters_.matches(augmenter_.root())) {
    counters().filtered.inc();
    return;
  }
  send_message(m, make_shared_bytes(augmenter_.splice(position_of(m))));
}

void client_session::deliver_prepared(const kafka::message_view& m, prepared_message& prepared) {
  if (!prepared.valid) {
    counters().undecodable.inc();
    emit_error("message", deserialization_error(m.topic, m.partition, m.offset));
    return;
  }
  if (!filters_.empty()) {
    auto matched = prepared.match(filter_id_);
    if (!matched) {  // a filter set newer than the message: evaluated once, then shared
      matched = augmenter_.parse(m.value) && filters_.matches(augmenter_.root());
      prepared.matches.emplace_back(filter_id_, *matched);
    }
    if (!*matched) {
      counters().filtered.inc();
      return;
    }
  }
  send_message(m, prepared.body);
}

// The frame is a head and tail around the augmented value, which a prepared message shares with
// every client: no copy per client. A waiting consume takes it before the `message` event.
void client_session::send_message(const kafka::message_view& m, shared_bytes body) {
  if (is_stream_) {
    if (auto stream = stream_.lock()) {
      counters().delivered.inc();
      counters().bytes.inc(view(body).size());
      stream->send_message(m, body);
    }
    return;
  }
  auto socket = socket_.lock();
  if (!socket) return;
  engineio::out_packet p;
  p.body = std::move(body);
  if (!consumes_.empty()) {
    auto ack = std::move(consumes_.front());
    consumes_.pop_front();
    if (!ack) return;  // a consume sent without an ack: the message is its answer, unseen
    p.set_around(ack.raw_prefix() + "null,", "]");
    counters().delivered.inc();
    counters().bytes.inc(p.data_size());
    ack.send_raw(std::move(p));
    // The client keeps a cursor only from events, not from acks.
    emit_cursor();
    return;
  }
  if (cursor_) {
    // The client's cursor is the last string argument of an event: base64url needs no escaping.
    std::string tail = ",\"";
    tail += cursor_->text(true, std::chrono::system_clock::now());
    tail += "\"]";
    p.set_around(socketio::event_head(socket->nsp(), "message"), tail);
  } else {
    p.set_around(socketio::event_head(socket->nsp(), "message"), "]");
  }
  counters().delivered.inc();
  counters().bytes.inc(p.data_size());
  socket->send_encoded(std::move(p));
}

}  // namespace kasocki::gateway
