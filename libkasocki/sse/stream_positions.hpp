// The position of an SSE stream, as its event ids carry it: for every partition of the stream,
// the offset after the last message sent from it and that message's timestamp + 1 (KafkaSSE's
// id format, or the timestamp variant that survives a move to another Kafka cluster). The id is
// rendered once and then kept: a message moves one entry, so only that entry's digits are
// rewritten in place (an SSE stream sends one id per event). Pure, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libkasocki/sse/stream_request.hpp"

namespace kasocki::sse {

class stream_positions {
 public:
  struct entry {
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t next_offset = 0;     // the offset the stream resumes from
    std::int64_t next_timestamp = 0;  // ms: the time it resumes from
  };

  stream_positions() = default;
  explicit stream_positions(std::vector<entry> entries);

  // A message of (topic, partition) was sent: the stream resumes after it. A partition the
  // stream does not have is ignored; a message without timestamp keeps the previous one.
  // Returns the index of the entry that moved (nullopt: none).
  std::optional<std::size_t> advance(std::string_view topic, std::int32_t partition,
                                     std::int64_t offset,
                                     const std::optional<std::int64_t>& timestamp);
  // Entry `index` resumes from these (a copy of the positions replaying another's advances).
  void set(std::size_t index, std::int64_t next_offset, std::int64_t next_timestamp);

  // The id: [{"topic":"t","partition":0,"offset":13},...] or with "timestamp" instead.
  std::string render(id_format format) const;
  // The same, kept: the view is valid until the next call of a non-const member.
  std::string_view id(id_format format);
  // The id's length, kept by counting digits as entries move: a stream that only needs to know
  // how long its next event's head is renders nothing per message.
  std::size_t id_size(id_format format);

  const std::vector<entry>& entries() const { return entries_; }

 private:
  void render_into(std::string& out, id_format format, std::vector<std::size_t>* number_at) const;
  std::int64_t number_of(const entry& e, id_format format) const {
    return format == id_format::offset ? e.next_offset : e.next_timestamp;
  }
  void rewrite_number(std::size_t index);

  std::vector<entry> entries_;
  std::vector<std::string> quoted_topics_;  // each topic as a JSON string, escaped once
  // The id as last rendered (in rendered_format_), and where each entry's number starts in it;
  // it ends before the entry's closing `}`.
  std::string rendered_;
  std::vector<std::size_t> number_at_;
  id_format rendered_format_ = id_format::offset;
  bool rendered_valid_ = false;
  std::size_t size_ = 0;  // id_size() in size_format_, while size_valid_
  id_format size_format_ = id_format::offset;
  bool size_valid_ = false;
};

}  // namespace kasocki::sse
