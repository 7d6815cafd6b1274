// See session.hpp.
#include "libkasocki/engineio/session.hpp"

#include <algorithm>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace kasocki::engineio {

session::session(boost::asio::any_io_executor executor, std::string sid, int protocol,
                 transport_kind transport, const server_options& options)
    : executor_(executor),
      sid_(std::move(sid)),
      protocol_(protocol),
      transport_(transport),
      options_(options),
      wake_(executor, std::chrono::steady_clock::time_point::max()),
      room_(executor, std::chrono::steady_clock::time_point::max()),
      heartbeat_(executor) {}

void session::set_handlers(message_handler on_message, close_handler on_close) {
  on_message_ = std::move(on_message);
  on_close_ = std::move(on_close);
}

void session::start() {
  // v4: the server pings every ping_interval; v3: the client pings, and must within
  // ping_interval + ping_timeout.
  heartbeat_.expires_after(protocol_ >= 4 ? options_.ping_interval
                                          : options_.ping_interval + options_.ping_timeout);
  boost::asio::co_spawn(executor_, heartbeat(weak_from_this()), boost::asio::detached);
}

void session::send(out_packet p) {
  if (state_ != state::open) return;
  add_queued(p);
  queue_.push_back(std::move(p));
  wake();
}

void session::add_queued(const out_packet& p) {
  queue_bytes_ += p.queued_size();
  peak_bytes_ = std::max(peak_bytes_, queued_bytes());
}

void session::close(std::string_view reason) {
  if (state_ != state::open) return;
  state_ = state::closing;
  auto close_packet = make_out_packet(packet_type::close);
  add_queued(close_packet);
  queue_.push_back(std::move(close_packet));
  wake();
  // A polling client that never comes back for the close packet must not keep the session.
  close_reason_ = reason;
  heartbeat_.expires_after(options_.ping_timeout);
}

void session::end(std::string_view reason) {
  if (state_ == state::ended) return;
  auto keep_alive = shared_from_this();  // the end observer drops the table's reference
  state_ = state::ended;
  heartbeat_.cancel();
  queue_.clear();
  queue_bytes_ = 0;
  unwritten_bytes_ = 0;
  wake();
  room_.cancel();
  on_writable_ = nullptr;
  auto on_close = std::move(on_close_);
  on_message_ = nullptr;
  if (on_close) on_close(reason);
  if (auto observer = std::move(end_observer_)) observer();
}

void session::receive(packet&& p) {
  if (state_ == state::ended) return;
  switch (p.type) {
    case packet_type::message:
      if (on_message_ && state_ == state::open) on_message_(std::move(p));
      break;
    case packet_type::pong:
      if (protocol_ >= 4 && awaiting_pong_) {
        awaiting_pong_ = false;
        if (state_ == state::open) heartbeat_.expires_after(options_.ping_interval);
      }
      break;
    case packet_type::ping:
      if (protocol_ < 4) {  // v3: the client pings, the server answers with the same data
        send(make_out_packet(packet_type::pong, std::move(p.data)));
        if (state_ == state::open)
          heartbeat_.expires_after(options_.ping_interval + options_.ping_timeout);
      }
      break;
    case packet_type::close:
      interrupt_poll();  // a pending GET is answered `6`
      end("transport close");
      break;
    default:  // open, upgrade, noop: nothing to do
      break;
  }
}

void session::check_heartbeat() {
  if (awaiting_pong_ && std::chrono::steady_clock::now() > pong_deadline_) end("ping timeout");
}

boost::asio::awaitable<void> session::heartbeat(std::weak_ptr<session> weak) {
  for (;;) {
    {
      auto s = weak.lock();
      if (!s || s->ended()) co_return;
      // Only a reference to the timer is kept while waiting: a session dropped meanwhile
      // cancels the wait as its timer goes, and is not locked again.
      auto& timer = s->heartbeat_;
      s.reset();
      co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }
    if (auto s = weak.lock()) s->heartbeat_due();
  }
}

void session::heartbeat_due() {
  // A wait also ends when an event moved the deadline: then there is nothing to do yet.
  if (state_ == state::ended || heartbeat_.expiry() > std::chrono::steady_clock::now()) return;
  if (state_ == state::closing) return end(close_reason_);
  if (protocol_ >= 4 && awaiting_pong_ && std::chrono::steady_clock::now() < pong_deadline_) {
    heartbeat_.expires_at(pong_deadline_);  // the client drained writes meanwhile (written())
    return;
  }
  if (protocol_ < 4 || awaiting_pong_) return end("ping timeout");
  // The pong deadline starts when the ping is queued, even if no GET is there to carry it.
  send(make_out_packet(packet_type::ping));
  awaiting_pong_ = true;
  pong_deadline_ = std::chrono::steady_clock::now() + options_.ping_timeout;
  heartbeat_.expires_after(options_.ping_timeout);
}

std::vector<out_packet> session::take_queue(std::size_t max_packets, std::size_t max_bytes) {
  std::size_t count = 0;
  std::size_t bytes = 0;
  while (count < queue_.size() && (max_packets == 0 || count < max_packets) &&
         (max_bytes == 0 || bytes < max_bytes))
    bytes += queue_[count++].queued_size();
  const auto end = queue_.begin() + static_cast<std::ptrdiff_t>(count);
  std::vector<out_packet> taken(std::make_move_iterator(queue_.begin()),
                                std::make_move_iterator(end));
  queue_.erase(queue_.begin(), end);
  queue_bytes_ -= bytes;
  unwritten_bytes_ += bytes;
  return taken;
}

void session::written(std::size_t bytes) {
  // The ping waits in the queue behind what was queued before it, and while the queue is full
  // the transports read nothing (room_signal), so a client that reads as fast as it can but is
  // far behind gets the ping, or has its pong read, long after ping_timeout. A write that
  // completes is the client draining its socket: it is alive, so the pong may come later. A
  // client that stopped reading, or vanished, stops completing writes once the socket buffers
  // are full, and the deadline passes.
  if (bytes > 0 && awaiting_pong_ && state_ == state::open)
    pong_deadline_ = std::chrono::steady_clock::now() + options_.ping_timeout;
  release(unwritten_bytes_, bytes);
}

void session::discard_queued() {
  queue_.clear();
  release(queue_bytes_, queue_bytes_);
}

void session::release(std::size_t& counter, std::size_t bytes) {
  const bool was_full = !writable();
  const bool was_fed = !feedable();
  counter -= std::min(counter, bytes);  // after end() both counters are 0 already
  if (was_full && writable()) room_.cancel();
  if (was_fed && feedable()) on_drained();
}

void session::when_writable(std::function<void()> callback) {
  if (feedable()) {
    callback();
    return;
  }
  on_writable_ = std::move(callback);
}

void session::on_drained() {
  if (!on_writable_) return;
  // Run it on a fresh stack: the caller is in the middle of a write.
  boost::asio::post(executor_, [callback = std::move(on_writable_)] { callback(); });
  on_writable_ = nullptr;
}

void session::interrupt_poll() {
  poll_interrupted_ = true;
  wake();
}

bool session::take_poll_interrupt() {
  return std::exchange(poll_interrupted_, false);
}

void session::upgrade_to_websocket() {
  transport_ = transport_kind::websocket;
  upgrading_ = false;
  wake();
}

void session::wake() {
  wake_.cancel();
}

}  // namespace kasocki::engineio
