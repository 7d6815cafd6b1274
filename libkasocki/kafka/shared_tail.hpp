// The shared reads of Kafka: one store of cached offset ranges per partition (history_store.hpp),
// which one live reader per topic keeps extending at the live end (started a little before it,
// so that reconnecting clients find their offsets) and a small pool of history fetchers
// (fetcher_pool.hpp) fills on demand behind it. Every client's source is a set of cursors over
// the store: it reads what is cached, waits on the live reader at the live end, and has the
// fetchers fill what is missing. Each partition is handed over in order, without gaps or
// duplicates, across every range, eviction and reset. Does network I/O through librdkafka;
// event-loop thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "libkasocki/kafka/fetcher_pool.hpp"
#include "libkasocki/kafka/history_store.hpp"
#include "libkasocki/kafka/message_source.hpp"
#include "libkasocki/kafka/offset_resolver.hpp"

namespace kasocki::kafka {

class client_context;
class metadata_cache;

struct tail_options {
  // The live windows, all partitions together, in bytes of kept messages: the newest messages
  // the live readers appended stay in memory whatever history does (older ones join the history
  // cache). 0: none reserved, the live readers' messages are cached like history. 64 MiB.
  std::size_t window_bytes = 64u << 20;
  // The history cache, in bytes: what the fetchers read and what left the windows; the least
  // recently read goes first. 512 MiB.
  std::size_t cache_bytes = 512u << 20;
  // A reader this many offsets (or fewer) before the end of a cached range that is not live has
  // the next offsets fetched while it reads (at most fetch.lead ahead of it).
  std::int64_t readahead = 64;
  fetch_options fetch;  // the history fetchers
  // Messages per partition a new tail reads from before the end, so that clients which resolved
  // the end a moment before it started (or reconnect to recent offsets) find them in memory.
  std::int64_t backfill = 1024;
  // A tail that no client reads is closed after this long (a reconnecting client finds it).
  std::chrono::milliseconds linger{30000};
  std::size_t fetch_batch = 4096;  // messages the tail asks for at a time
};

// What the shared reads hold and did so far (for /metrics).
struct tail_stats {
  std::size_t tails = 0;  // topics with a live reader
  store_stats store;      // bytes, chunks, evictions
  std::size_t ranges = 0;
  fetch_stats fetch;         // fetchers, jobs, bytes fetched for history
  std::uint64_t hits = 0;    // reads served from the store
  std::uint64_t misses = 0;  // reads that had to wait for a history fetch
  std::uint64_t resets = 0;  // cursors moved by a reset (retention deleted their position)
};

class shared_tail {
 public:
  // Called once for every message appended to the store, before any client reads it: the
  // gateway prepares what all readers share. Returns the bytes it attached (counted in the
  // store's budgets).
  using prepare_hook = partition_store::prepare_hook;

  shared_tail(client_context& ctx, metadata_cache& metadata, tail_options options);
  ~shared_tail();
  shared_tail(const shared_tail&) = delete;
  shared_tail& operator=(const shared_tail&) = delete;

  void set_prepare_hook(prepare_hook hook);

  // A source over `assignments` (concrete offsets). Never fails here: Kafka errors come in
  // batches.
  std::unique_ptr<message_source> open(const std::vector<resolved_assignment>& assignments);

  tail_stats stats() const;

  // Closes every live reader and fetcher (at shutdown); sources opened before get nothing more.
  void close();

  class impl;

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace kasocki::kafka
