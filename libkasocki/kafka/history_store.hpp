// The store of every partition's cached offset ranges (partition_store.hpp) under two byte
// budgets: the live window, the newest chunks the live readers appended (the largest window
// gives up its oldest chunk first, into the history cache, not out of memory), and the history
// cache, everything else, which forgets its least recently read chunk first (never what the
// latest append brought). It knows where every reader's cursor is: a chunk is needed while a
// cursor is in it or at most store_options::reach offsets before it, and a fetched chunk that a
// reader passed and nobody else needs is dropped at once: a lone replay does not fill the cache.
// One store, one idea: a chunk leaving the window stays where it is, in the same range, and readers
// never notice. Pure, no I/O; event-loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "libkasocki/kafka/partition_store.hpp"

namespace kasocki::kafka {

struct store_options {
  // Bytes of the live windows, all partitions together (the newest messages the live readers
  // appended, kept whatever history does). 64 MiB.
  std::size_t window_bytes = 64u << 20;
  // Bytes of everything else cached: history fetched for readers behind the windows, and what
  // left the windows. Least recently read chunks go first. 512 MiB.
  std::size_t cache_bytes = 512u << 20;
  // A reader this many offsets before a chunk (or in it) needs it.
  std::int64_t reach = 20'000;
  chunk_limits chunks;
};

// What the store holds and did (for /metrics).
struct store_stats {
  std::size_t window_bytes = 0;  // in the live windows
  std::size_t cache_bytes = 0;   // in the history cache
  std::size_t chunks = 0;
  std::uint64_t window_messages = 0;  // appended by the live readers, in total
  std::uint64_t evicted_chunks = 0;
  std::uint64_t evicted_bytes = 0;
  std::uint64_t passed_chunks = 0;  // of the evicted: fetched, passed, needed by nobody
};

class history_store {
 public:
  explicit history_store(store_options options) : options_(options) {}

  // The partition's store, or nullptr when nothing was ever cached there.
  const partition_store* find(const std::string& topic, std::int32_t partition) const;

  // partition_store::append, then the budgets are enforced (which may drop what was just
  // appended to the history cache, when it is the least recently read: it is counted as read).
  append_result append(const std::string& topic, std::int32_t partition, std::int64_t at,
                       std::span<const message_view> messages, bool live,
                       const partition_store::prepare_hook& prepare);

  // partition_store::read; the chunks read become the most recently read.
  store_read read(const std::string& topic, std::int32_t partition, std::int64_t from,
                  std::size_t max);

  std::optional<std::int64_t> mark_reset(const std::string& topic, std::int32_t partition,
                                         std::int64_t at, std::int64_t to, std::int64_t reset_to);

  // A reader's cursor in the partition: appears at `offset`, moves (forward or back), is gone.
  // Moving forward drops the fetched chunks it passed that no other reader needs.
  void add_reader(const std::string& topic, std::int32_t partition, std::int64_t offset);
  void move_reader(const std::string& topic, std::int32_t partition, std::int64_t from,
                   std::int64_t to);
  void remove_reader(const std::string& topic, std::int32_t partition, std::int64_t offset);

  // The live reader of the partition is gone: its window joins the history cache.
  void end_live(const std::string& topic, std::int32_t partition);

  // Keeps what the last append brought from eviction until release(token), past the next
  // appends: the appender releases it once the readers it woke have run. With several
  // appenders (fetchers, live readers) another append can come between an append and its
  // readers' turn; a reader that found its messages evicted every time would fetch them again
  // forever. What is held is at most the appends of one turn of the event loop.
  std::uint64_t hold_last_append();
  void release(std::uint64_t token);

  const store_stats& stats() const { return stats_; }
  std::size_t ranges() const;
  std::size_t partitions() const { return partitions_.size(); }

 private:
  struct entry {
    partition_store store;
    std::deque<std::int64_t> live;  // begins of the chunks in the window, oldest first
    std::size_t live_bytes = 0;
    std::multiset<std::int64_t> readers;  // the cursors in this partition
  };
  using key = std::pair<std::string, std::int32_t>;
  // The history cache in eviction order: (last read, partition, chunk begin).
  using lru_key = std::tuple<std::uint64_t, entry*, std::int64_t>;

  entry& at(const std::string& topic, std::int32_t partition);
  void to_cache(entry& e, stored_chunk& c);
  void touch(entry& e, stored_chunk& c);
  void enforce();  // the windows, then the cache
  void enforce_windows();
  void enforce_cache();
  // How far behind the chunk its nearest reader is (0: one is in it), or nothing when no
  // reader is within reach.
  std::optional<std::int64_t> need(const entry& e, const stored_chunk& c) const;
  // The history-cache chunk to evict: the least recently read, not protected.
  std::set<lru_key>::iterator victim();
  // The last tick of the protected run of ticks that holds `tick`, if it is protected.
  std::optional<std::uint64_t> protected_until(std::uint64_t tick) const;
  void evict(std::set<lru_key>::iterator it);

  store_options options_;
  std::map<key, entry> partitions_;  // nodes are stable: lru_ points at them
  std::set<lru_key> lru_;
  std::uint64_t clock_ = 0;
  // The ticks of what the last append brought: not evicted (the cache may exceed its budget by
  // that much) until the next append, so that the readers it woke find it even with a cache
  // smaller than one fetch. A chunk read since has a newer tick.
  std::uint64_t protect_from_ = 1;
  std::uint64_t protect_to_ = 0;
  struct held_ticks {
    std::uint64_t token = 0, from = 0, to = 0;
  };
  std::vector<held_ticks> held_;  // hold_last_append() until release()
  std::uint64_t next_hold_ = 0;
  store_stats stats_;
};

}  // namespace kasocki::kafka
