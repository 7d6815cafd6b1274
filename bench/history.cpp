// See driver.hpp. The parts of `kasocki bench` for the history scenarios: connections spread
// over a topic's partitions and offsets (`--from spread`), the timestamp in the middle of a topic
// (`--from middle`), a quota of messages per connection after which it leaves
// (`--per-client`), the bytes of the distinct messages asked for (what a server that shares
// its reads needs to fetch from Kafka), and the pause between a disconnect of every connection
// and their resubscription while a command produces a backlog (`--pause-producer`).
#include <algorithm>
#include <iostream>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bench/driver.hpp"
#include "bench/history_plan.hpp"
#include "bench/process.hpp"

namespace kasocki::bench {
namespace {

constexpr auto pause_poll_interval = std::chrono::milliseconds(50);

double since(steady::time_point t) {
  return std::chrono::duration<double>(steady::now() - t).count();
}

json one_arg(json value) {
  json args = json::array();
  args.push_back(std::move(value));
  return args;
}

}  // namespace

// Connection i reads partition i mod P from an offset spread over it (history_plan.hpp).
json driver::subscription_of(const connection& c) const {
  auto p = c.index % ends_.size();
  auto offset =
      spread_offset(c.index, connections_.size(), ends_.size(), ends_[p], config_.per_client);
  json spec = json::array();
  spec.push_back(json{{"topic", config_.topic}, {"partition", p}, {"offset", offset}});
  return spec;
}

// The timestamp of the message in the middle of partition 0: with messages spread round-robin
// (as the preload does), the middle of every partition.
asio::awaitable<bool> driver::probe_middle() {
  client::socketio_options options;
  options.engine.transport = config_.transport;
  client::socketio_client sio(ioc_.get_executor(), options);
  auto connected = co_await sio.connect(config_.url);
  if (connected.error) {
    fail("probe connect: " + connected.error.message());
    co_return false;
  }
  json spec = json::array();
  spec.push_back(json{{"topic", config_.topic}, {"partition", 0}, {"offset", ends_.at(0) / 2}});
  bool ok = check_reply(co_await sio.call("subscribe", one_arg(spec)), "probe subscribe");
  if (ok) {
    auto reply = co_await sio.call("consume", one_arg(nullptr));
    ok = check_reply(reply, "probe consume");
    if (ok) {
      auto text = reply.args.size() > 1 ? reply.args[1].dump() : std::string();
      auto tail = parse_kafka_tail(text);
      if (tail && tail->timestamp) {
        result_.from_timestamp = *tail->timestamp;
      } else {
        ok = false;
        fail("probe consume: the middle message has no timestamp");
      }
    }
  }
  sio.disconnect();
  co_await sio.wait_closed();
  co_return ok;
}

// Splits the quota over the partitions the ack assigned (the first ones get the remainder),
// each capped by what lies before the probed end.
void driver::set_quota(connection& c) {
  std::vector<std::size_t> assigned;
  for (std::size_t p = 0; p < c.first_offsets.size(); ++p)
    if (c.first_offsets[p] >= 0) assigned.push_back(p);
  c.stop_at.assign(c.first_offsets.size(), -1);
  c.at_end.assign(c.first_offsets.size(), 1);
  c.partitions_left = 0;
  auto count = static_cast<std::int64_t>(assigned.size());
  for (std::int64_t i = 0; i < count; ++i) {
    auto p = assigned[static_cast<std::size_t>(i)];
    std::int64_t share = quota_share(config_.per_client, i, count);
    std::int64_t end = p < ends_.size() ? ends_[p] : c.first_offsets[p];
    c.stop_at[p] = std::min(c.first_offsets[p] + share, std::max(end, c.first_offsets[p]));
    if (c.stop_at[p] > c.first_offsets[p]) {
      c.at_end[p] = 0;
      ++c.partitions_left;
    }
  }
  if (c.partitions_left == 0) {
    c.done = true;
    ++connections_at_end_;
  }
}

bool driver::in_quota(const connection& c, const kafka_tail& tail) const {
  auto p = static_cast<std::size_t>(tail.partition);
  return p < c.stop_at.size() && tail.offset < c.stop_at[p];
}

// Counts a message of the quota: once per (partition, offset) over every connection for the
// range figures, and the connection's end of that partition.
void driver::note_quota(connection& c, const kafka_tail& tail, std::string_view text) {
  auto p = static_cast<std::size_t>(tail.partition);
  if (seen_.insert(tail.partition, tail.offset)) {
    ++result_.range_messages;
    result_.range_bytes += message_bytes(text);
  }
  if (c.at_end[p] || tail.offset < c.stop_at[p] - 1) return;
  c.at_end[p] = 1;
  if (--c.partitions_left > 0) return;
  c.done = true;
  // Leaves like a client that has read what it wanted; outside the message handler.
  asio::post(ioc_, [&c] { c.sio->disconnect(); });
  if (++connections_at_end_ == connections_.size()) {
    result_.reached_end = true;
    finish("end");
  }
}

void driver::start_pause() {
  paused_ = true;
  pause_pid_ = spawn_shell(config_.pause_producer);
  if (pause_pid_ < 0) return fail("cannot start the pause command: " + config_.pause_producer);
  std::cerr << "kasocki bench: every connection is closed; pause: " << config_.pause_producer
            << "\n";
  watch_pause();
}

void driver::watch_pause() {
  pause_timer_.expires_after(pause_poll_interval);
  pause_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopping_) return;
    auto status = child_exited(pause_pid_);
    if (!status) return watch_pause();
    pause_pid_ = -1;
    if (*status != 0)
      return fail("the pause command exited with status " + std::to_string(*status));
    asio::co_spawn(ioc_, resume(), asio::detached);
  });
}

// The backlog each connection resubscribes into (from a probe of the ends), then every waiting
// resubscription goes at once.
asio::awaitable<void> driver::resume() {
  std::vector<std::int64_t> ends;
  if (!co_await probe(ends) || stopping_) co_return;
  bool first = true;
  for (auto& c : connections_) {
    std::int64_t behind = 0;
    for (std::size_t p = 0; p < ends.size() && p < c->first_offsets.size(); ++p) {
      std::int64_t next = c->tracker.next(static_cast<std::int32_t>(p));
      if (next < 0) next = c->first_offsets[p];
      if (next >= 0) behind += std::max<std::int64_t>(0, ends[p] - next);
    }
    result_.backlog_min = first ? behind : std::min(result_.backlog_min, behind);
    result_.backlog_max = std::max(result_.backlog_max, behind);
    first = false;
  }
  result_.pause_s = since(reconnect_at_);
  std::cerr << "kasocki bench: pause over after " << *result_.pause_s << " s, each connection "
            << result_.backlog_min << "-" << result_.backlog_max << " messages behind\n";
  resume_at_ = steady::now();
  paused_ = false;
  resume_gate_.cancel();
}

asio::awaitable<void> driver::wait_resume() {
  while (paused_ && !stopping_)
    co_await resume_gate_.async_wait(asio::as_tuple(asio::use_awaitable));
}

// Every connection has received a message produced after its resubscription.
void driver::note_live() {
  result_.live_s = since(resume_at_);
  if (config_.producer_until_live && producer_pid_ > 0) terminate_child(producer_pid_);
}

}  // namespace kasocki::bench
