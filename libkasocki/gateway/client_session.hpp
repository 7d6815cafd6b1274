// One client's Kasocki session: its subscription (a kafka::message_source), filters, the
// outstanding consumes and its phase (one state value), and the delivery loop that moves messages
// from Kafka to the client in order, without gaps or duplicates, as fast as the client reads.
// Event-loop thread only; sends through its socket.io socket, or, for a plain stream (SSE), through
// a stream_output.
#pragma once

#include <boost/asio/steady_timer.hpp>

#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "libkasocki/filter/filter_set.hpp"
#include "libkasocki/gateway/augment.hpp"
#include "libkasocki/gateway/errors.hpp"
#include "libkasocki/gateway/gateway.hpp"
#include "libkasocki/gateway/idle_watch.hpp"
#include "libkasocki/gateway/outage_notice.hpp"
#include "libkasocki/gateway/prepared_message.hpp"
#include "libkasocki/gateway/session_cursor.hpp"
#include "libkasocki/gateway/session_recovery.hpp"
#include "libkasocki/gateway/stream_output.hpp"
#include "libkasocki/kafka/message_source.hpp"
#include "libkasocki/kafka/offset_resolver.hpp"
#include "libkasocki/socketio/socket.hpp"

namespace kasocki::gateway {

class client_session : public std::enable_shared_from_this<client_session> {
 public:
  client_session(gateway& owner, std::shared_ptr<socketio::socket> socket);
  // A plain stream's session: no events, no acks; started at once by start_stream().
  client_session(gateway& owner, std::weak_ptr<stream_output> stream, auth::identity identity = {},
                 subject_ticket ticket = {});
  ~client_session();
  // Registers the event handlers and sends `ready` once Kafka metadata is known.
  void start();
  // A stream's subscription (resolved positions) and filters; delivery starts at once.
  void start_stream(const std::vector<kafka::resolved_assignment>& assignments,
                    filter::filter_set filters);

 private:
  using handler = void (client_session::*)(socketio::json, socketio::ack_sender);
  void handle(const char* event, handler h);
  void on_ready(const kafka::snapshot_ptr& metadata);

  void subscribe(socketio::json args, socketio::ack_sender ack);
  void subscribe_checked(std::vector<assignment_request> requests, socketio::ack_sender ack);
  void filter(socketio::json args, socketio::ack_sender ack);
  void consume(socketio::json args, socketio::ack_sender ack);
  void start_pushing(socketio::json args, socketio::ack_sender ack);
  void stop_pushing(socketio::json args, socketio::ack_sender ack);
  // In-band renewal (auth.cpp): a fresh token of the same subject replaces the one in force.
  void renew(socketio::json args, socketio::ack_sender ack);

  // Delivery: takes messages from the pending batches (fetching more when empty) while a
  // consume waits or the client is started and its send queue has room.
  void pump();
  bool has_demand() const;
  void on_batch(kafka::message_batch batch);
  void deliver(const kafka::message_view& m);
  void deliver_prepared(const kafka::message_view& m, prepared_message& prepared);
  void send_message(const kafka::message_view& m, shared_bytes body);

  void reply(socketio::ack_sender& ack, const char* event, socketio::json result);
  void fail(socketio::ack_sender& ack, const char* event, const kasocki_error& error);
  void emit_error(const char* event, const kasocki_error& error);
  void close_source();

  // Connection state recovery (on when the socket has a pid): the cursor every `message` carries,
  // and the `cursor` event after a change of state that no message shows.
  std::unique_ptr<session_cursor> cursor_;
  void emit_cursor();
  void restore(const restored_session& restored);

  gateway& owner_;
  std::weak_ptr<socketio::socket> socket_;
  // The output of a plain stream instead of socket_ (stream_ set: a stream session).
  std::weak_ptr<stream_output> stream_;
  bool is_stream_ = false;
  // Flow control and ending, of the socket's Engine.IO session or of the stream.
  bool output_attached() const;
  bool output_writable() const;
  void when_output_writable(std::function<void()> callback);
  void discard_output();
  void disconnect_client();

  // Where the client is in the contract. Each event handler checks this one value:
  //   waiting_for_metadata --ready--> ready --subscribe--> subscribing --ack--> subscribed
  //   subscribing --refused--> ready ; subscribed <--start/stop--> started ; any --> closed.
  enum class phase { waiting_for_metadata, ready, subscribing, subscribed, started, closed };
  phase phase_ = phase::waiting_for_metadata;
  bool subscribed() const { return phase_ == phase::subscribed || phase_ == phase::started; }

  // Events that came before `ready` or during a subscribe, handled after it in order; at most
  // gateway_options::max_pending_events of them (more: TooManyPendingEventsError, disconnect).
  std::deque<std::function<void()>> deferred_;
  bool defers_events() const;
  void defer(const char* event, std::function<void()> run, socketio::ack_sender& ack);
  void run_deferred();
  void end_subscribe();

  std::unique_ptr<kafka::message_source> source_;  // set in the phases subscribed and started
  filter::filter_set filters_;
  std::uint32_t filter_id_ = 0;  // the gateway's id of filters_ (0: none)
  std::deque<socketio::ack_sender> consumes_;

  std::deque<kafka::message_batch> batches_;  // read from Kafka, not yet delivered
  std::size_t next_in_front_ = 0;             // index of the next message of batches_.front()
  // Facts of the delivery loop, apart from phase_ because they are independent of it and of
  // each other: a Kafka fetch may be outstanding in any subscribed phase (a stop does not cancel
  // it), the wait for room in the send queue may outlive a stop, and pumping_ only guards pump()
  // against being re-entered from an ack or error it sends.
  bool fetching_ = false;          // want_messages() asked, its batch not yet come
  bool waiting_writable_ = false;  // a when_writable() callback is registered
  bool pumping_ = false;
  std::unique_ptr<boost::asio::steady_timer> stall_timer_;
  void watch_stall();
  // One KafkaUnavailableError per outage, however many times the brokers' failure is reported.
  outage_notice outage_;
  void report_kafka_error(const kafka::message_error& e);
  augmenter augmenter_;
  // The idle-session limit: subscribe, consume and start are activity; started or a consume
  // waiting is never idle.
  std::unique_ptr<idle_watch> idle_;
  void on_idle();

  // Who the client is (its token; unrestricted when the server takes none), and the timer of the
  // token's end: TokenExpiringError 60 s before it, TokenExpiredError and a disconnect at it.
  auth::identity identity_;
  subject_ticket subject_ticket_;  // its place in --max-connections-per-subject
  std::unique_ptr<boost::asio::steady_timer> expiry_timer_;
  void watch_expiry(bool notice_due = true);
};

}  // namespace kasocki::gateway
