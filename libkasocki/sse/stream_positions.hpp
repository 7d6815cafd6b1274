// The position of an SSE stream, as its event ids carry it: for every partition of the stream,
// the offset after the last message sent from it and that message's timestamp + 1 (KafkaSSE's
// id format, or the timestamp variant that survives a move to another Kafka cluster). Pure, no
// I/O.
#pragma once

#include <cstdint>
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
  void advance(std::string_view topic, std::int32_t partition, std::int64_t offset,
               const std::optional<std::int64_t>& timestamp);

  // The id: [{"topic":"t","partition":0,"offset":13},...] or with "timestamp" instead.
  std::string render(id_format format) const;
  // The same, appended to `out` (a stream builds each event's head in one string).
  void render_to(std::string& out, id_format format) const;
  // An upper bound of the id's length, to reserve for it once.
  std::size_t render_bound() const;

  const std::vector<entry>& entries() const { return entries_; }

 private:
  std::vector<entry> entries_;
  std::vector<std::string> quoted_topics_;  // each topic as a JSON string, escaped once
};

}  // namespace kasocki::sse
