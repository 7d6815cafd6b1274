// The cached offset ranges of one partition: immutable chunks, each covering [begin, end) of
// offsets with the messages Kafka had there (offsets missing inside a chunk, compacted away or
// transaction markers, are simply absent; a chunk may even hold none). Adjacent chunks form a
// range, so a reader crosses from history into the live range without a seam; the live reader
// and the history fetchers append to the same store. Chunks are small (chunk_limits) so that a
// reader holding one message does not pin megabytes; a chunk lives on while a batch read from it
// is alive, after the store dropped it. Pure, no I/O; event-loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "libkasocki/kafka/message_source.hpp"

namespace kasocki::kafka {

// The bytes of one chunk: the values, keys and topic name its views point into, and a slot per
// message for what the gateway prepares once for every reader (message_view::annotation).
struct chunk_storage {
  std::string bytes;
  std::vector<annotation_slot> slots;
};

struct chunk_limits {
  std::size_t max_messages = 256;     // messages per chunk
  std::size_t max_bytes = 64u << 10;  // bytes of values and keys per chunk (one bigger message
                                      // gets a chunk of its own)
};

// One chunk. `tag` is the owner's (history_store: its place in the eviction order).
struct stored_chunk {
  std::int64_t begin = 0;
  std::int64_t end = 0;  // covers [begin, end)
  std::vector<message_view> messages;
  std::shared_ptr<chunk_storage> storage;
  std::size_t bytes = 0;  // what it costs: copies, views, slots, what the prepare hook attached
  // Offsets in [begin, end) were lost to retention: a reader there jumps to reset_to.
  std::optional<std::int64_t> reset_to;
  bool live = false;      // appended by the live reader and still in its window
  bool fetched = false;   // appended by a history fetch (not by the live reader)
  std::uint64_t lru = 0;  // the owner's bookkeeping (0: none)
};

// What an append did.
struct append_result {
  std::int64_t position = 0;          // the offset after what is covered now from `at` on
  bool reached_cached = false;        // it ran into offsets already cached (stop fetching there)
  std::vector<std::int64_t> created;  // begins of the chunks it created, in order
};

// A read: the messages, and where the reader's cursor goes (past the last message handed over,
// or past the covered offsets after it when the whole rest of the range was read).
struct store_read {
  message_batch batch;
  std::int64_t next = 0;
  std::vector<std::int64_t> touched;     // begins of the chunks read
  std::optional<std::int64_t> reset_to;  // the cursor was in a reset gap: it goes there
};

class partition_store {
 public:
  using prepare_hook = std::function<std::size_t(const message_view&)>;

  explicit partition_store(chunk_limits limits = {}) : limits_(limits) {}

  // Whether `offset` is inside a chunk.
  bool covers(std::int64_t offset) const { return find(offset) != nullptr; }
  const stored_chunk* find(std::int64_t offset) const;
  stored_chunk* find(std::int64_t offset);
  stored_chunk* chunk_at(std::int64_t begin);

  // The end of the range that holds `offset` (`offset` itself when it is not covered), looking
  // at most `max_chunks` chunks ahead (then the end so far).
  std::int64_t range_end(std::int64_t offset, std::size_t max_chunks) const;

  // The first chunk begin after `offset`, if any.
  std::optional<std::int64_t> next_begin(std::int64_t offset) const;

  // Copies `messages` (this partition's, ascending offsets), fetched in one go from `at`: the
  // offsets [at, last + 1) had no other messages. Offsets already covered are skipped (another
  // appender got there first); `prepare` runs on each new message, its bytes charged to its
  // chunk. `live` marks the chunks as the live reader's.
  append_result append(std::int64_t at, std::span<const message_view> messages, bool live,
                       const prepare_hook& prepare);

  // Marks [at, to) as lost to retention (where nothing is cached): a reader there jumps to
  // `reset_to`. Returns the chunk's begin, or nothing when there was nothing to mark.
  std::optional<std::int64_t> mark_reset(std::int64_t at, std::int64_t to, std::int64_t reset_to);

  // The messages from `from` on (covers(from) must hold, else an empty read at `from`), at most
  // `max`, within its range.
  store_read read(std::int64_t from, std::size_t max) const;

  // Drops the chunk that begins at `begin`; returns its bytes (0 when there is none).
  std::size_t erase(std::int64_t begin);

  std::size_t bytes() const { return bytes_; }
  std::size_t chunks() const { return chunks_.size(); }
  // The ranges (maximal runs of adjacent chunks), counted.
  std::size_t ranges() const;
  const std::map<std::int64_t, stored_chunk>& all() const { return chunks_; }

 private:
  // One new chunk from [at, ...) with messages[0..n) (n >= 0, offsets >= at), ending at `end`.
  stored_chunk& add(std::int64_t at, std::int64_t end, std::span<const message_view> messages,
                    bool live, const prepare_hook& prepare);

  chunk_limits limits_;
  std::map<std::int64_t, stored_chunk> chunks_;  // by begin; never overlapping
  std::size_t bytes_ = 0;
};

}  // namespace kasocki::kafka
