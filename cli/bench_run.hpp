// The load driver of `kasocki bench`: opens N socket.io connections to a Kasocki server,
// subscribes each, sets filters, then drives `start` or a window of `consume` events and feeds
// every message to the counters of bench_stats.hpp. Does I/O: network, on one io_context
// thread; stderr for Kasocki `err` events.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "cli/bench_stats.hpp"
#include "client/socketio_client.hpp"

namespace kasocki::cli::bench {

using client::json;

enum class start_from { end, beginning, timestamp };
enum class drive_mode { start, consume };

struct bench_config {
  std::string url;
  int clients = 1;
  client::transport_mode transport = client::transport_mode::websocket;
  std::string topic;
  start_from from = start_from::end;
  std::int64_t from_timestamp = 0;  // ms since the epoch, for start_from::timestamp
  drive_mode mode = drive_mode::start;
  int outstanding = 1;        // consume events in flight per connection
  json filters;               // null: none
  std::int64_t messages = 0;  // stop after this many in total; 0: no limit
  double duration = 0;        // stop after this many seconds of driving; 0: no limit
  bool until_end = false;     // stop when every connection passed each partition's last offset
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
  std::uint64_t errors = 0;    // `err` events
  // Kafka messages the server went through for these clients: per partition, the last offset
  // received minus the first offset assigned, plus one (exact when the end was reached).
  std::int64_t evaluated = 0;
  std::size_t partitions = 0;  // of the topic, when probed (beginning / until_end)
  bool reached_end = false;
  double setup_seconds = 0;  // connect + subscribe + filter of every connection
};

// Runs one benchmark to completion on its own io_context. `on_begin` is called once when every
// connection is set up, right before the first start/consume is sent (to sample the server).
bench_result run_bench(const bench_config& config, const std::function<void()>& on_begin);

}  // namespace kasocki::cli::bench
