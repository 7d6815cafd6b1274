// One Engine.IO session: its send queue, heartbeat and lifecycle. It outlives its transports:
// the polling and websocket adapters (server_polling.cpp, server_websocket.cpp) feed it packets
// and drain its queue. Runs on the single event-loop thread; owns timers, no sockets.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
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
  std::size_t queued_bytes() const { return queued_bytes_; }
  // False while the queue holds more than options.send_queue_limit bytes.
  bool writable() const { return queued_bytes_ < options_.send_queue_limit; }
  // Called (once per registration) when the queue drains below the limit after being full.
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
  void start();                       // sends nothing; arms the heartbeat
  void receive(packet&& p);           // a packet from the client, any transport
  void end(std::string_view reason);  // the session is over now (no close packet)
  // The server's own hook on the end of the session (removes it from the session table).
  void set_end_observer(std::function<void()> observer) { end_observer_ = std::move(observer); }
  // Lazy heartbeat check when a request arrives: ends the session if a pong is overdue.
  void check_heartbeat();
  bool ended() const { return state_ == state::ended; }

  // Whoever writes for the session (a pending GET, the websocket writer) waits on this signal.
  // Woken when packets are queued, the session closes or ends, or `interrupt_poll` is called.
  boost::asio::steady_timer& wake_signal() { return wake_; }
  std::vector<out_packet> take_queue();
  bool has_queued() const { return !queue_.empty(); }
  bool closing() const { return state_ == state::closing; }
  // Polling: at most one GET at a time.
  bool poll_pending() const { return poll_pending_; }
  void set_poll_pending(bool pending) { poll_pending_ = pending; }
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
  void schedule_ping();
  void send_ping();
  void expect_ping_v3();
  void on_drained();

  boost::asio::any_io_executor executor_;
  std::string sid_;
  int protocol_;
  transport_kind transport_;
  const server_options& options_;
  state state_ = state::open;

  std::vector<out_packet> queue_;
  std::size_t queued_bytes_ = 0;
  std::function<void()> on_writable_;

  boost::asio::steady_timer wake_;
  boost::asio::steady_timer heartbeat_;
  bool awaiting_pong_ = false;
  std::chrono::steady_clock::time_point pong_deadline_{};
  bool poll_pending_ = false;
  bool poll_interrupted_ = false;
  bool upgrading_ = false;

  message_handler on_message_;
  close_handler on_close_;
  std::function<void()> end_observer_;
};

}  // namespace kasocki::engineio
