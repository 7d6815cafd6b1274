// The driver of one `kasocki bench` run, shared by run.cpp (setup, driving, the message
// path) and phases.cpp (producer, final end check, reconnect, stalled clients, server
// samples). Internal to `kasocki bench`. Everything runs on one io_context thread, so nothing
// here needs synchronisation. Does I/O: network, a child process, /proc.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bench/history_plan.hpp"
#include "bench/offset_id_reader.hpp"
#include "bench/run.hpp"
#include "bench/sse_scan.hpp"
#include "bench/stalled.hpp"
#include "client/sse_reader.hpp"
#include "client/url.hpp"

namespace kasocki::bench {

namespace asio = boost::asio;
using steady = std::chrono::steady_clock;

struct connection {
  std::unique_ptr<client::socketio_client> sio;  // null with --transport sse
  std::unique_ptr<client::sse_reader> sse;       // --transport sse: the stream
  sse_scanner scanner;
  offset_id_reader id_reader;         // sse: the ids of the stream
  std::vector<std::int64_t> id_next;  // sse: by partition, the next offset the last id named
  bool opened = false;                // sse: `:ok` received
  offset_tracker tracker;
  std::vector<std::int64_t> first_offsets;  // by partition, from the first subscribe ack
  std::vector<char> at_end;                 // by partition: its last offset was received
  std::size_t partitions_left = 0;          // partitions still to reach their end
  std::uint64_t messages = 0;               // received over every reconnect
  bool reconnecting = false;                // closed on purpose, to subscribe again
  bool awaiting_recovery = false;           // resubscribed, no fresh message yet
  std::int64_t resubscribed_ms = 0;         // wall clock of the resubscription
  std::size_t index = 0;                    // in the driver's list: picks a spread offset
  std::vector<std::int64_t> stop_at;        // by partition: the quota's end offset (exclusive)
  bool done = false;                        // quota received: closed on purpose, ignores more
  bool closed_by_server = false;            // resuming after the server closed it, not yet live
  steady::time_point lost_at;               // the kill (or the close) its recovery counts from
};

// Bounds how many coroutines hold a slot at once (connection setups); 0 means no bound.
class limiter {
 public:
  limiter(asio::any_io_executor executor, int limit) : executor_(executor), limit_(limit) {}
  asio::awaitable<void> acquire();
  void release();
  void cancel_all();  // wakes every waiter (the run is ending)

 private:
  asio::any_io_executor executor_;
  int limit_;
  int in_use_ = 0;
  std::deque<std::shared_ptr<asio::steady_timer>> waiters_;
};

class driver {
 public:
  driver(asio::io_context& ioc, const bench_config& config, bench_result& result,
         const std::function<void()>& on_begin);
  asio::awaitable<void> run();
  void abort(const std::string& why) { fail(why); }
  // Totals over every connection, once the io_context has run out of work.
  void collect();

 private:
  // run.cpp
  asio::awaitable<bool> probe(std::vector<std::int64_t>& ends);
  json subscription() const;
  void install_handlers(connection& c);
  asio::awaitable<void> lifecycle(connection& c);
  asio::awaitable<bool> set_up(connection& c);
  asio::awaitable<void> drive(connection& c);
  void seed(connection& c, const json& assignment);
  void ready();
  void begin();
  void consume(connection& c);
  void on_message(connection& c, std::string_view text);
  void note_end(connection& c, const kafka_tail& tail);
  bool check_reply(const client::ack_result& reply, std::string_view what);
  void fail(const std::string& why, const char* reason = "error");
  void finish(const char* reason);
  void close(connection& c);

  // sse.cpp
  client::sse_request sse_request_of() const;
  asio::awaitable<void> sse_lifecycle(connection& c);
  bool on_sse_bytes(connection& c, std::string_view bytes);
  void on_sse_open(connection& c);
  void on_sse_event(connection& c, std::string_view type, std::string_view id,
                    std::string_view data, std::int64_t now_us);
  void check_ids(connection& c, std::string_view id, const std::optional<kafka_tail>& tail);

  // phases.cpp
  void sample_server();
  void start_producer();
  void watch_producer();
  asio::awaitable<void> final_check();
  void mark_ends();
  void reconnect_all();
  asio::awaitable<bool> resubscribe(connection& c);
  void note_recovery(connection& c, const kafka_tail& tail);
  const std::string& url_for(const connection& c) const;
  asio::awaitable<void> open_stalled();
  std::int64_t expected_of(const connection& c) const;
  bool complete(const connection& c) const;

  // failover.cpp
  void schedule_kill();
  void note_closed(connection& c);
  asio::awaitable<bool> connect_again(connection& c);
  void note_resubscribed(connection& c);
  void note_closed_recovery(connection& c);
  void collect_failover();

  // history.cpp
  json subscription_of(const connection& c) const;
  asio::awaitable<bool> probe_middle();
  void set_quota(connection& c);
  bool in_quota(const connection& c, const kafka_tail& tail) const;
  void note_quota(connection& c, const kafka_tail& tail, std::string_view text);
  void start_pause();
  void watch_pause();
  asio::awaitable<void> resume();
  asio::awaitable<void> wait_resume();
  void note_live();

  asio::io_context& ioc_;
  const bench_config& config_;
  bench_result& result_;
  const std::function<void()>& on_begin_;
  client::endpoint endpoint_;
  asio::steady_timer gate_;  // every connection waits here until all are set up
  asio::steady_timer deadline_, sampler_, producer_timer_, reconnect_timer_, drain_timer_;
  asio::steady_timer pause_timer_, resume_gate_, kill_timer_;
  asio::signal_set signals_;
  limiter setups_;
  json subscribe_args_, filter_args_;
  std::vector<std::int64_t> ends_;  // by partition: the high watermark probed
  bool ends_final_ = false;         // ends_ probed after the producer, for the count check
  std::vector<std::unique_ptr<connection>> connections_;
  std::vector<std::unique_ptr<stalled_client>> stalled_;
  std::size_t ready_ = 0, connections_at_end_ = 0;
  bool go_ = false, stopping_ = false;
  steady::time_point setup_start_, start_, reconnect_at_;
  int producer_pid_ = -1;
  std::size_t resubscribed_ = 0;
  std::vector<double> recovery_seconds_;
  int pause_pid_ = -1;
  bool paused_ = false;               // resubscriptions wait for the pause command to end
  std::size_t closed_for_pause_ = 0;  // connections closed since the reconnect began
  steady::time_point resume_at_;
  offset_set seen_;      // what any connection received (per-client quota only)
  offset_set seen_all_;  // the same, past the quotas too
  std::optional<steady::time_point> kill_at_;
  std::vector<double> closed_recovery_seconds_;  // of connections the server closed
};

}  // namespace kasocki::bench
