// See driver.hpp. The phases of live scenarios around the message path: samples of the
// server's memory and threads (with safety stops, so a server that spends a thread or a Kafka
// consumer per client cannot exhaust the machine), the producer process and the final check
// that every connection received every offset up to the end, the reconnect of every connection
// at once, and the stalled clients.
#include <signal.h>

#include <algorithm>
#include <iostream>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bench/driver.hpp"
#include "bench/process.hpp"
#include "bench/resume.hpp"

namespace kasocki::bench {
namespace {

constexpr auto sample_interval = std::chrono::milliseconds(100);
constexpr auto producer_poll_interval = std::chrono::milliseconds(50);

steady::duration seconds(double s) {
  return std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(s));
}

double since(steady::time_point t) {
  return std::chrono::duration<double>(steady::now() - t).count();
}

}  // namespace

asio::awaitable<void> limiter::acquire() {
  if (limit_ <= 0 || in_use_ < limit_) {
    ++in_use_;
    co_return;
  }
  auto timer = std::make_shared<asio::steady_timer>(executor_, steady::time_point::max());
  waiters_.push_back(timer);
  co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));  // release() hands its slot
}

void limiter::release() {
  if (!waiters_.empty()) {
    waiters_.front()->cancel();
    waiters_.pop_front();
    return;
  }
  if (in_use_ > 0) --in_use_;
}

void limiter::cancel_all() {
  for (auto& w : waiters_) w->cancel();
  waiters_.clear();
}

void driver::sample_server() {
  if (stopping_) return;
  if (auto s = sample_process(config_.server_pid)) {
    result_.server_peak_threads = std::max(result_.server_peak_threads, s->threads);
    result_.server_peak_rss_sampled_mb = std::max(result_.server_peak_rss_sampled_mb, s->rss_mb);
    auto where = " with " + std::to_string(ready_) + " of " + std::to_string(config_.clients) +
                 " connections set up";
    std::string over;
    if (config_.max_server_threads > 0 && s->threads > config_.max_server_threads)
      over = std::to_string(s->threads) + " threads";
    else if (config_.max_server_rss_mb > 0 && s->rss_mb > config_.max_server_rss_mb)
      over = std::to_string(static_cast<int>(s->rss_mb)) + " MB";
    if (!over.empty()) {
      // Killed at once: a server that grows this fast would keep growing through a graceful
      // shutdown (its consumers keep fetching), on a machine other work shares.
      ::kill(config_.server_pid, SIGKILL);
      return fail("safety stop: the server reached " + over + where + "; killed", "safety");
    }
  }
  sampler_.expires_after(sample_interval);
  sampler_.async_wait([this](boost::system::error_code ec) {
    if (!ec) sample_server();
  });
}

void driver::start_producer() {
  producer_pid_ = spawn_shell(config_.producer);
  if (producer_pid_ < 0) return fail("cannot start the producer: " + config_.producer);
  watch_producer();
}

void driver::watch_producer() {
  producer_timer_.expires_after(producer_poll_interval);
  producer_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopping_) return;
    auto status = child_exited(producer_pid_);
    if (!status) return watch_producer();
    producer_pid_ = -1;
    result_.producer_status = *status;
    if (*status != 0) return fail("the producer exited with status " + std::to_string(*status));
    asio::co_spawn(ioc_, final_check(), asio::detached);
  });
}

// The producer has flushed and exited: the ends are final. Every connection must now receive
// up to them; the count check in complete() then compares what each got with what it had to.
asio::awaitable<void> driver::final_check() {
  std::vector<std::int64_t> ends;
  if (!co_await probe(ends) || stopping_) co_return;
  ends_ = std::move(ends);
  ends_final_ = true;
  mark_ends();
  if (connections_at_end_ == connections_.size()) {
    result_.reached_end = true;
    co_return finish("end");
  }
  drain_timer_.expires_after(seconds(config_.drain_timeout));
  drain_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    fail(std::to_string(connections_.size() - connections_at_end_) + " of " +
             std::to_string(connections_.size()) + " connections did not reach the end " +
             std::to_string(config_.drain_timeout) + " s after the producer finished",
         "drain-timeout");
  });
}

void driver::mark_ends() {
  connections_at_end_ = 0;
  for (auto& c : connections_) {
    c->at_end.assign(ends_.size(), 1);
    c->partitions_left = 0;
    for (std::size_t p = 0; p < ends_.size(); ++p) {
      std::int64_t first = p < c->first_offsets.size() ? c->first_offsets[p] : -1;
      bool done = (first >= 0 && first >= ends_[p]) ||
                  c->tracker.last(static_cast<std::int32_t>(p)) >= ends_[p] - 1;
      if (!done) {
        c->at_end[p] = 0;
        ++c->partitions_left;
      }
    }
    if (c->partitions_left == 0) ++connections_at_end_;
  }
}

void driver::reconnect_all() {
  reconnect_at_ = resume_at_ = steady::now();
  std::cerr << "kasocki bench: every connection disconnects and resubscribes\n";
  if (!config_.pause_producer.empty()) paused_ = true;  // before any resubscription can start
  for (auto& c : connections_) {
    c->reconnecting = true;
    c->awaiting_recovery = false;
    c->sio->disconnect();
  }
  if (!config_.pause_producer.empty()) start_pause();
}

// A fresh connection subscribed at the offset after the last one received, per partition.
asio::awaitable<bool> driver::resubscribe(connection& c) {
  co_await wait_resume();
  co_await setups_.acquire();
  struct release_guard {
    limiter& l;
    ~release_guard() { l.release(); }
  } guard{setups_};
  if (stopping_) co_return false;
  bool connected = co_await connect_again(c);
  if (!connected) co_return false;
  if (!filter_args_.is_null() &&
      !check_reply(co_await c.sio->call("filter", filter_args_), "filter"))
    co_return false;
  c.resubscribed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  c.awaiting_recovery = true;
  if (c.closed_by_server) {
    note_resubscribed(c);
  } else {
    c.reconnecting = false;
    if (++resubscribed_ == connections_.size()) result_.resubscribed_s = since(reconnect_at_);
  }
  co_return !stopping_;
}

const std::string& driver::url_for(const connection& c) const {
  return config_.urls.empty() ? config_.url : url_of(config_.urls, c.index);
}

void driver::note_recovery(connection& c, const kafka_tail& tail) {
  if (*tail.timestamp < c.resubscribed_ms) return;  // produced before it resubscribed
  c.awaiting_recovery = false;
  if (c.closed_by_server) return note_closed_recovery(c);
  recovery_seconds_.push_back(since(reconnect_at_));
  result_.recovered = recovery_seconds_.size();
  if (recovery_seconds_.size() == connections_.size()) {
    result_.recovery_s = recovery_seconds_.back();
    note_live();
  }
}

asio::awaitable<void> driver::open_stalled() {
  for (int i = 0; i < config_.stalled && !stopping_; ++i) {
    auto s = std::make_unique<stalled_client>(ioc_.get_executor());
    auto error = co_await s->open(endpoint_, config_.topic);
    if (!error.empty()) co_return fail("stalled client: " + error);
    stalled_.push_back(std::move(s));
    ++result_.stalled_open;
    ready();
  }
}

// What a connection had to receive: its quota, or every offset from its subscription to the end.
std::int64_t driver::expected_of(const connection& c) const {
  std::int64_t expected = 0;
  for (std::size_t p = 0; p < c.first_offsets.size(); ++p) {
    if (c.first_offsets[p] < 0) continue;
    if (config_.per_client > 0)
      expected += std::max<std::int64_t>(0, c.stop_at[p] - c.first_offsets[p]);
    else if (p < ends_.size())
      expected += std::max<std::int64_t>(0, ends_[p] - c.first_offsets[p]);
  }
  return expected;
}

bool driver::complete(const connection& c) const {
  if (c.tracker.gaps() || c.tracker.duplicates() || c.partitions_left) return false;
  return static_cast<std::int64_t>(c.messages) == expected_of(c);
}

void driver::collect() {
  bool counted =
      (ends_final_ || config_.until_end || config_.per_client > 0) && config_.filters.is_null();
  std::size_t complete_count = 0;
  bool first = true;
  for (auto& c : connections_) {
    result_.gaps += c->tracker.gaps();
    result_.missing += c->tracker.missing();
    result_.duplicates += c->tracker.duplicates();
    std::int64_t expected = expected_of(*c);
    for (std::size_t p = 0; p < c->first_offsets.size(); ++p) {
      std::int64_t last = c->tracker.last(static_cast<std::int32_t>(p));
      if (last >= 0 && c->first_offsets[p] >= 0)
        result_.evaluated += last - c->first_offsets[p] + 1;
    }
    if (counted && complete(*c)) ++complete_count;
    result_.received_min = first ? c->messages : std::min(result_.received_min, c->messages);
    result_.received_max = std::max(result_.received_max, c->messages);
    if (counted) {
      result_.expected_min = first ? expected : std::min(result_.expected_min, expected);
      result_.expected_max = std::max(result_.expected_max, expected);
    }
    first = false;
  }
  if (counted) result_.clients_complete = complete_count;
  result_.partitions = ends_.size();
  if (auto summary = summarize_recovery(recovery_seconds_)) result_.recovery_p50_s = summary->p50;
  collect_failover();
}

}  // namespace kasocki::bench
