// See stream_positions.hpp.
#include "libkasocki/sse/stream_positions.hpp"

namespace kasocki::sse {

stream_positions::stream_positions(std::vector<entry> entries) : entries_(std::move(entries)) {
  for (const auto& e : entries_)
    quoted_topics_.push_back(json(e.topic).dump(-1, ' ', false, json::error_handler_t::replace));
}

void stream_positions::advance(std::string_view topic, std::int32_t partition, std::int64_t offset,
                               const std::optional<std::int64_t>& timestamp) {
  for (auto& e : entries_) {
    if (e.partition != partition || e.topic != topic) continue;
    e.next_offset = offset + 1;
    if (timestamp) e.next_timestamp = *timestamp + 1;
    return;
  }
}

std::string stream_positions::render(id_format format) const {
  std::string out = "[";
  const char* key = format == id_format::offset ? ",\"offset\":" : ",\"timestamp\":";
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const auto& e = entries_[i];
    if (i) out += ',';
    out += "{\"topic\":";
    out += quoted_topics_[i];
    out += ",\"partition\":";
    out += std::to_string(e.partition);
    out += key;
    out += std::to_string(format == id_format::offset ? e.next_offset : e.next_timestamp);
    out += '}';
  }
  out += ']';
  return out;
}

}  // namespace kasocki::sse
