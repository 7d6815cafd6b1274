// See stream_positions.hpp.
#include "libkasocki/sse/stream_positions.hpp"

#include <charconv>

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
  std::string out;
  out.reserve(render_bound());
  render_to(out, format);
  return out;
}

namespace {
// Decimal digits of a number, appended without a temporary string (once per entry per event).
void append_number(std::string& out, std::int64_t value) {
  char digits[24];
  auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, end);
}
// `{"topic":` + `,"partition":` + `,"timestamp":` + `}` + `,` and two numbers of 20 digits.
constexpr std::size_t entry_overhead = 9 + 13 + 13 + 2 + 40;
}  // namespace

std::size_t stream_positions::render_bound() const {
  std::size_t bound = 2;
  for (const auto& topic : quoted_topics_) bound += topic.size() + entry_overhead;
  return bound;
}

void stream_positions::render_to(std::string& out, id_format format) const {
  out += '[';
  std::string_view key = format == id_format::offset ? ",\"offset\":" : ",\"timestamp\":";
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const auto& e = entries_[i];
    if (i) out += ',';
    out += "{\"topic\":";
    out += quoted_topics_[i];
    out += ",\"partition\":";
    append_number(out, e.partition);
    out += key;
    append_number(out, format == id_format::offset ? e.next_offset : e.next_timestamp);
    out += '}';
  }
  out += ']';
}

}  // namespace kasocki::sse
