// The shared tail: one Kafka reader per topic at the live end, whose messages go into a bounded
// in-memory window per partition (partition_window.hpp), read by every client positioned inside
// it. A client behind the window reads from a private consumer until it is back inside; a client
// that falls behind (slow, stalled, or far back in history) moves to a private consumer from its
// own position. Every switch keeps each partition in order, without gaps or duplicates: each
// client's source delivers a partition's messages from its own next offset, whichever way they
// come. Does network I/O through librdkafka; event-loop thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "libkasocki/kafka/message_source.hpp"
#include "libkasocki/kafka/offset_resolver.hpp"

namespace kasocki::kafka {

class client_context;
class metadata_cache;

struct tail_options {
  // All windows together, in bytes of kept messages. 0: no shared tail, every client has its own
  // consumer. 64 MiB.
  std::size_t window_bytes = 64u << 20;
  // Messages per partition a new tail reads from before the end, so that clients which resolved
  // the end a moment before it started (or reconnect to recent offsets) find them in memory.
  std::int64_t backfill = 1024;
  // A tail that no client reads is closed after this long (a reconnecting client finds it).
  std::chrono::milliseconds linger{30000};
  std::size_t fetch_batch = 4096;  // messages the tail asks for at a time
};

// What the shared tail did so far (for /metrics).
struct tail_stats {
  std::size_t tails = 0;            // topics with a live tail
  std::size_t window_bytes = 0;     // kept in all windows
  std::size_t window_messages = 0;  // appended in total
  std::size_t private_readers = 0;  // clients' private consumers open now
  std::uint64_t to_private = 0;     // partitions moved from a window to a private consumer
  std::uint64_t to_window = 0;      // partitions moved from a private consumer to a window
};

class shared_tail {
 public:
  // Called once for every message appended to a window, before any client reads it: the
  // gateway prepares what all readers share. Returns the bytes it attached (counted in the
  // window's budget).
  using prepare_hook = std::function<std::size_t(const message_view&)>;

  shared_tail(client_context& ctx, metadata_cache& metadata, tail_options options);
  ~shared_tail();
  shared_tail(const shared_tail&) = delete;
  shared_tail& operator=(const shared_tail&) = delete;

  void set_prepare_hook(prepare_hook hook);

  // A source over `assignments` (concrete offsets). Never fails here: a private consumer that
  // cannot be created reports its error in a batch.
  std::unique_ptr<message_source> open(const std::vector<resolved_assignment>& assignments);

  tail_stats stats() const;

  // Closes every tail (at shutdown); sources opened before keep working on private consumers.
  void close();

  class impl;

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace kasocki::kafka
