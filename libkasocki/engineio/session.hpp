// One Engine.IO session: its send queue, heartbeat and lifecycle. It outlives its transports:
// the polling and websocket adapters (server_polling.cpp, server_websocket.cpp) feed it packets
// and drain its queue. Runs on the single event-loop thread; owns timers (the heartbeat is a
// coroutine on one of them), no sockets.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "libkasocki/engineio/options.hpp"
#include "libkasocki/engineio/packet.hpp"

namespace kasocki::engineio {

enum class transport_kind { polling, websocket };

class session : public std::enable_shared_from_this<session> {
 public:
  using message_handler = std::function<void(packet&&)>;
  using close_handler = std::function<void(std::string_view reason)>;

  session(boost::asio::any_io_executor executor, std::string sid, int protocol,
          transport_kind transport, const server_options& options);
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  // ---- application side ----
  // Message packets from the client, and the end of the session (called once).
  void set_handlers(message_handler on_message, close_handler on_close);
  // Queues a packet for the client (ignored once the session is closing).
  void send(out_packet p);
  // Closes from the server side: queued packets and a close packet are flushed first.
  void close(std::string_view reason = "forced close");
  bool open() const { return state_ == state::open; }
  // Bytes of the packets queued for the client and not yet written by the transport: those in
  // the queue and those a writer has taken (take_queue) until it reports them written. Every
  // packet counts: messages, acks, events, pings, pongs, the close packet.
  std::size_t queued_bytes() const { return queue_bytes_ + unwritten_bytes_; }
  // The most queued_bytes() has been since the session started (for metrics).
  std::size_t peak_queued_bytes() const { return peak_bytes_; }
  // False while queued_bytes() is at or over options.send_queue_limit. The application feeds
  // no more data then, and the transports read nothing more from the client (see room_signal).
  bool writable() const { return queued_bytes() < options_.send_queue_limit; }
  // False while queued_bytes() is at or over the feed limit (options.feed_limit, at most
  // send_queue_limit): the application holds its data back then.
  bool feedable() const { return queued_bytes() < feed_limit(); }
  std::size_t feed_limit() const {
    const auto f = options_.feed_limit;
    return f == 0 || f > options_.send_queue_limit ? options_.send_queue_limit : f;
  }
  // Called (once per registration) when the queue drains below the feed limit after being full.
  void when_writable(std::function<void()> callback);
  // Drops the packets not yet handed to the transport (the batch a write has taken stays), so
  // that what is sent next goes out right after it: for a client being let go for reading too
  // slowly, the reason why should not wait behind the messages it could not take.
  void discard_queued();

  const std::string& sid() const { return sid_; }
  int protocol() const { return protocol_; }
  transport_kind transport() const { return transport_; }
  const server_options& options() const { return options_; }

  // ---- transport side ----
  void start();                       // sends nothing; starts the heartbeat
  void receive(packet&& p);           // a packet from the client, any transport
  void end(std::string_view reason);  // the session is over now (no close packet)
  // The server's own hook on the end of the session (removes it from the session table).
  void set_end_observer(std::function<void()> observer) { end_observer_ = std::move(observer); }
  // Lazy heartbeat check when a request arrives: ends the session if a pong is overdue.
  void check_heartbeat();
  // When the pong to the last ping is due (meaningful while one is awaited).
  std::chrono::steady_clock::time_point pong_deadline() const { return pong_deadline_; }
  bool ended() const { return state_ == state::ended; }

  // Whoever writes for the session (a pending GET, the websocket writer) waits on this signal.
  // Woken when packets are queued, the session closes or ends, or `interrupt_poll` is called.
  boost::asio::steady_timer& wake_signal() { return wake_; }
  // Hands the first queued packets to the writer: at most `max_packets` of them (0: any number),
  // and no more once their queued_size() reaches `max_bytes` (0: any size; the packet that
  // reaches it is taken). Their bytes stay counted until written(). A writer that takes a slice
  // at a time holds a slice's packets besides the queue, not a second copy of a long queue.
  std::vector<out_packet> take_queue(std::size_t max_packets = 0, std::size_t max_bytes = 0);
  // The writer is done with `bytes` (sum of queued_size()) of the packets it took: written, or
  // given up on. Drops them from queued_bytes(); may wake room_signal and when_writable.
  void written(std::size_t bytes);
  // A transport's reader waits on this while !writable(): reading no more from a client whose
  // queue is full bounds what the client can make the server queue (TCP pushes back on it).
  // Woken when the queue drops below the limit and when the session ends. Waiters only
  // async_wait (never re-arm it): several may wait at once.
  boost::asio::steady_timer& room_signal() { return room_; }
  bool has_queued() const { return !queue_.empty(); }
  bool closing() const { return state_ == state::closing; }
  // Polling: at most one GET at a time.
  bool poll_pending() const { return poll_pending_; }
  void set_poll_pending(bool pending) { poll_pending_ = pending; }
  // And at most one POST: its packets are handled only while the queue has room, so a second
  // one would only wait beside it (the reference server also ends the session then).
  bool post_pending() const { return post_pending_; }
  void set_post_pending(bool pending) { post_pending_ = pending; }
  // Makes the pending GET return `6` (noop): on upgrade and on a client close.
  void interrupt_poll();
  bool take_poll_interrupt();
  // Upgrade to websocket: from now on only the websocket carries the session.
  void upgrade_to_websocket();
  bool upgrading() const { return upgrading_; }
  void set_upgrading(bool upgrading) { upgrading_ = upgrading; }

 private:
  enum class state { open, closing, ended };
  void wake();
  // The heartbeat: one coroutine waits on heartbeat_, whose expiry is the next deadline; events
  // (a pong, a v3 ping, close) move the deadline, end() cancels it. It holds the session weakly.
  static boost::asio::awaitable<void> heartbeat(std::weak_ptr<session> weak);
  void heartbeat_due();
  void on_drained();
  void add_queued(const out_packet& p);
  void release(std::size_t& counter, std::size_t bytes);

  boost::asio::any_io_executor executor_;
  std::string sid_;
  int protocol_;
  transport_kind transport_;
  const server_options& options_;
  state state_ = state::open;

  // A deque, not a vector: its storage follows the packets queued (blocks are freed as the
  // writer takes them), where a vector's stays at the next power of two above the longest the
  // queue has been, for a busy client up to twice what its bound lets it queue.
  std::deque<out_packet> queue_;
  std::size_t queue_bytes_ = 0;      // of the queued packets
  std::size_t unwritten_bytes_ = 0;  // of the packets a writer took and has not written yet
  std::size_t peak_bytes_ = 0;
  std::function<void()> on_writable_;

  boost::asio::steady_timer wake_;
  boost::asio::steady_timer room_;
  boost::asio::steady_timer heartbeat_;
  std::string close_reason_;  // why close() was called: the end's reason if the client is gone
  bool awaiting_pong_ = false;
  std::chrono::steady_clock::time_point pong_deadline_{};
  bool poll_pending_ = false;
  bool post_pending_ = false;
  bool poll_interrupted_ = false;
  bool upgrading_ = false;

  message_handler on_message_;
  close_handler on_close_;
  std::function<void()> end_observer_;
};

}  // namespace kasocki::engineio
