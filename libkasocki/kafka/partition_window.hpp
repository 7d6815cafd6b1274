// The bounded in-memory window of one partition's recent messages, kept by the shared tail
// (shared_tail.hpp) so that every client positioned inside it reads from memory instead of from
// Kafka. Messages are copied out of librdkafka into chunks (one per appended run) that tile the
// offsets [first_offset(), end_offset()) without holes; a chunk lives on while a batch read from
// it is alive, after the window evicted it. Pure, no I/O; event-loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
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

class partition_window {
 public:
  // An empty window whose first appended message will be at or after `start`.
  explicit partition_window(std::int64_t start) : first_(start), end_(start) {}

  std::int64_t first_offset() const { return first_; }
  std::int64_t end_offset() const { return end_; }
  std::size_t bytes() const { return bytes_; }
  std::size_t chunks() const { return chunks_.size(); }
  // Whether a reader whose next offset is `next` can read from here (at the end: waits here).
  bool covers(std::int64_t next) const { return next >= first_ && next <= end_; }

  // Copies `messages` (this partition's, ascending offsets, each >= end_offset()) into a new
  // chunk; returns the views of the copies, in order (their annotation slots are empty).
  std::span<const message_view> append(std::span<const message_view> messages);

  // Adds `extra` bytes (what was attached to its messages) to the newest chunk's cost.
  void charge_last(std::size_t extra);

  // Drops the oldest chunk; returns the bytes freed (0 when the window is empty).
  std::size_t evict_oldest();

  // The messages from the first one at or after `from` (covers(from) must hold), at most `max`.
  // Empty when `from` is the end.
  message_batch read(std::int64_t from, std::size_t max) const;

 private:
  struct chunk {
    std::int64_t begin = 0;  // the window's end when it was appended
    std::int64_t end = 0;    // its last offset + 1
    std::vector<message_view> messages;
    std::shared_ptr<chunk_storage> storage;
    std::size_t bytes = 0;
  };
  std::deque<chunk> chunks_;
  std::int64_t first_;
  std::int64_t end_;
  std::size_t bytes_ = 0;
};

}  // namespace kasocki::kafka
