// The load driver of `kasocki bench`: opens N socket.io connections to a Kasocki server (at
// most K setting up at once), subscribes each, sets filters, then drives `start` or a window of
// `consume` events and feeds every message to the counters of stats.hpp. Live scenarios
// add a producer process started when every connection is ready, a final check that every
// connection received every offset up to the end it left, a reconnect of every connection at
// once, stalled clients, and samples of the server's memory and threads. Does I/O: network, on
// one io_context thread; a child process; /proc; stderr for Kasocki `err` events.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench/stats.hpp"
#include "client/socketio_client.hpp"

namespace kasocki::bench {

using client::json;

// spread: connection i reads partition i mod P from an offset spread evenly over that
// partition (history.cpp); middle: `{topic, timestamp}` with the timestamp of the message in
// the middle of partition 0, learned by a probe connection.
enum class start_from { end, beginning, timestamp, spread, middle };
enum class drive_mode { start, consume };

struct bench_config {
  std::string url;                // the first of `urls`: probes, stalled clients and SSE use it
  std::vector<std::string> urls;  // connection i uses urls[i mod N] (resume.hpp)
  int clients = 1;
  client::transport_mode transport = client::transport_mode::websocket;
  // Server-Sent Events instead of socket.io: each connection GETs <sse_path><topic> (from the
  // start positions by Last-Event-ID or since=) and its messages flow from the `:ok` on. The
  // probes still use socket.io (websocket).
  bool sse = false;
  std::string sse_path = "/v2/stream/";
  std::string topic;
  start_from from = start_from::end;
  std::int64_t from_timestamp = 0;  // ms since the epoch, for start_from::timestamp
  drive_mode mode = drive_mode::start;
  int outstanding = 1;          // consume events in flight per connection
  json filters;                 // null: none
  std::int64_t messages = 0;    // stop after this many in total; 0: no limit
  double duration = 0;          // stop after this many seconds of driving; 0: no limit
  bool until_end = false;       // stop when every connection passed each partition's last offset
  int connect_concurrency = 0;  // connection setups in flight at once; 0: all at once
  // Shell command started once every connection is set up; when it exits (status 0) the end
  // of every partition is probed and the run ends once every connection has received up to it.
  std::string producer;
  double drain_timeout = 30;     // seconds to wait for that, after the producer has exited
  double reconnect_after = 0;    // seconds after the start: every connection disconnects and
                                 // resubscribes where it stopped; 0: never
  int stalled = 0;               // extra clients that start and then never read
  int server_pid = 0;            // sampled every 100 ms for memory and threads; 0: none
  int max_server_threads = 0;    // safety stop when the server has more threads; 0: no limit
  double max_server_rss_mb = 0;  // safety stop above this resident memory; 0: no limit
  int busy_poll_us = 0;          // the event loop polls this long before it sleeps; 0: never
  // Messages each connection reads, split over its partitions from the offsets its subscribe
  // ack names; a connection that has them all disconnects, and the run ends when all have.
  // 0: no quota.
  std::int64_t per_client = 0;
  // With reconnect_after: a shell command run once every connection has been closed; the
  // connections subscribe again only when it has exited (status 0). The pause of storm_deep.
  std::string pause_producer;
  // Once every connection has received a message produced after its resubscription, the
  // producer is sent SIGTERM (it flushes and exits 0), and the final check follows.
  bool producer_until_live = false;
  // A connection the server closes subscribes again where it stopped (through the same URL:
  // behind a balancer, on another gateway) instead of failing the run.
  bool resume_on_close = false;
  int kill_pid = 0;  // SIGKILL to this process kill_after seconds after the start; 0: none
  double kill_after = 0;
};

struct bench_result {
  int status = 0;  // 0 ok, 1 failure (see `failure`)
  std::string failure;
  std::string stopped_by;      // messages | duration | end | signal | error | closed
  std::uint64_t messages = 0;  // received, all connections
  std::uint64_t bytes = 0;     // message JSON text bytes
  double seconds = 0;          // from the first start/consume sent to the last message counted
  std::unique_ptr<latency_histogram> latency = std::make_unique<latency_histogram>();
  std::uint64_t gaps = 0;
  std::int64_t missing = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t unparsed = 0;  // messages without a readable `_kafka` tail
  std::uint64_t errors = 0;    // `err` events (sse: `event: error`)
  // sse: events whose id does not name the position after their data's `_kafka` offset.
  std::uint64_t id_mismatches = 0;
  // Kafka messages the server went through for these clients: per partition, the last offset
  // received minus the first offset assigned, plus one (exact when the end was reached).
  std::int64_t evaluated = 0;
  std::size_t partitions = 0;  // of the topic, when probed (beginning / until_end)
  bool reached_end = false;
  double setup_seconds = 0;  // connect + subscribe + filter of every connection
  // Connections that received every offset from their subscription up to the final end,
  // exactly once and in order (known once a final end was probed, or with until_end).
  std::optional<std::size_t> clients_complete;
  std::int64_t expected_min = -1, expected_max = -1;  // messages each connection had to get
  std::uint64_t received_min = 0, received_max = 0;   // messages each connection got
  int server_peak_threads = 0;                        // from the samples
  double server_peak_rss_sampled_mb = 0;
  std::optional<int> producer_status;
  // Reconnect: from the disconnect until every connection was subscribed again, and until each
  // received a message produced after its resubscription (max and median over connections).
  std::optional<double> resubscribed_s, recovery_s, recovery_p50_s;
  std::size_t recovered = 0;
  // With resume_on_close: the connections the server closed (a killed gateway's), and the same
  // figures over them alone, counted from the kill (from each close when the bench killed
  // nothing): until the last subscribed again, until each received a message produced after
  // that (max and median).
  std::size_t closed = 0;
  std::size_t closed_recovered = 0;
  std::optional<double> closed_resubscribed_s, closed_recovery_s, closed_recovery_p50_s;
  std::size_t reconnect_retries = 0;  // connects of a resumption that failed and were retried
  std::optional<double> killed_at_s;  // when the kill was sent, seconds after the start
  int stalled_open = 0;               // stalled clients that reached `start`
  // With a per-client quota: the distinct (partition, offset) pairs any connection received,
  // and the key + value bytes of those messages (each counted once): the data asked for.
  std::uint64_t range_messages = 0, range_bytes = 0;
  std::uint64_t received_messages = 0, received_bytes = 0;
  std::optional<std::int64_t> from_timestamp;  // resolved by `middle`
  // With a pause: its length, the messages each connection was behind when it ended (min and
  // max over connections, all partitions), and from its end until every connection was live.
  std::optional<double> pause_s, live_s;
  std::int64_t backlog_min = -1, backlog_max = -1;
};

// Runs one benchmark to completion on its own io_context. `on_begin` is called once when every
// connection is set up, right before the first start/consume is sent (to sample the server).
bench_result run_bench(const bench_config& config, const std::function<void()>& on_begin);

}  // namespace kasocki::bench
