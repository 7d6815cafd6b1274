// See driver.hpp. A gateway lost in the middle of a run: the bench SIGKILLs a process
// (--kill-pid, --kill-after), and with --resume-on-close every connection the server closed
// connects again through the same URL (behind a balancer: to another gateway) and subscribes
// after the last offset it received, as a real client would. The recovery of those connections
// is counted from the kill. Does I/O: a signal, network.
#include <signal.h>

#include <iostream>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bench/driver.hpp"
#include "bench/resume.hpp"

namespace kasocki::bench {
namespace {

// A resumption connects at most this often, this far apart: the balancer needs a moment
// (its health checks) to stop offering a dead gateway; a refused connection it retries on
// the other one by itself, so more than one attempt is rare.
constexpr int resume_attempts = 10;
constexpr auto resume_retry_delay = std::chrono::milliseconds(500);

double since(steady::time_point t) {
  return std::chrono::duration<double>(steady::now() - t).count();
}

}  // namespace

void driver::schedule_kill() {
  kill_timer_.expires_after(std::chrono::duration_cast<steady::duration>(
      std::chrono::duration<double>(config_.kill_after)));
  kill_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopping_) return;
    kill_at_ = steady::now();
    result_.killed_at_s = since(start_);
    if (::kill(config_.kill_pid, SIGKILL) != 0)
      return fail("cannot kill process " + std::to_string(config_.kill_pid));
    std::cerr << "kasocki bench: process " << config_.kill_pid << " killed after "
              << *result_.killed_at_s << " s\n";
  });
}

// The server closed the connection (and the run resumes such connections).
void driver::note_closed(connection& c) {
  if (!c.closed_by_server) ++result_.closed;
  c.closed_by_server = true;
  c.awaiting_recovery = false;
  c.lost_at = kill_at_.value_or(steady::now());
}

// A fresh socket.io connection to the connection's URL, subscribed where it stopped. A
// connection the server closed retries a failed connect or subscribe; a deliberate reconnect
// does not (nothing was lost there).
asio::awaitable<bool> driver::connect_again(connection& c) {
  client::socketio_options options;
  options.engine.transport = config_.transport;
  int attempts = c.closed_by_server ? resume_attempts : 1;
  std::string last_error;
  for (int attempt = 0; attempt < attempts && !stopping_; ++attempt) {
    if (attempt > 0) {
      ++result_.reconnect_retries;
      asio::steady_timer pause(ioc_, resume_retry_delay);
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      if (stopping_) break;
    }
    c.sio = std::make_unique<client::socketio_client>(ioc_.get_executor(), options);
    install_handlers(c);
    auto connected = co_await c.sio->connect(url_for(c));
    if (connected.error) {
      last_error = connected.error.message();
      continue;
    }
    json spec = resume_assignment(config_.topic, c.first_offsets, c.tracker);
    json args = json::array();
    args.push_back(std::move(spec));
    auto reply = co_await c.sio->call("subscribe", args);
    if (reply.error && attempt + 1 < attempts) {  // lost again on the way: once more
      last_error = reply.error.message();
      c.sio->disconnect();
      continue;
    }
    co_return check_reply(reply, "resubscribe");
  }
  if (!stopping_) fail("reconnect: " + last_error);
  co_return false;
}

void driver::note_resubscribed(connection& c) {
  double seconds = since(c.lost_at);
  if (!result_.closed_resubscribed_s || seconds > *result_.closed_resubscribed_s)
    result_.closed_resubscribed_s = seconds;
}

// A message produced after the resubscription of a connection the server had closed.
void driver::note_closed_recovery(connection& c) {
  c.closed_by_server = false;
  closed_recovery_seconds_.push_back(since(c.lost_at));
  result_.closed_recovered = closed_recovery_seconds_.size();
}

void driver::collect_failover() {
  if (auto summary = summarize_recovery(closed_recovery_seconds_)) {
    result_.closed_recovery_s = summary->max;
    result_.closed_recovery_p50_s = summary->p50;
  }
}

}  // namespace kasocki::bench
