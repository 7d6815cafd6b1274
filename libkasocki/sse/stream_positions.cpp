// See stream_positions.hpp.
#include "libkasocki/sse/stream_positions.hpp"

#include <charconv>
#include <cstring>

namespace kasocki::sse {

stream_positions::stream_positions(std::vector<entry> entries) : entries_(std::move(entries)) {
  for (const auto& e : entries_)
    quoted_topics_.push_back(json(e.topic).dump(-1, ' ', false, json::error_handler_t::replace));
}

std::optional<std::size_t> stream_positions::advance(std::string_view topic, std::int32_t partition,
                                                     std::int64_t offset,
                                                     const std::optional<std::int64_t>& timestamp) {
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const auto& e = entries_[i];
    if (e.partition != partition || e.topic != topic) continue;
    set(i, offset + 1, timestamp ? *timestamp + 1 : e.next_timestamp);
    return i;
  }
  return std::nullopt;
}

namespace {
// Decimal digits of a number into `digits` (24 bytes), without a temporary string.
std::size_t format_number(char* digits, std::int64_t value) {
  return static_cast<std::size_t>(std::to_chars(digits, digits + 24, value).ptr - digits);
}
std::size_t digit_count(std::int64_t value) {
  char digits[24];
  return format_number(digits, value);
}
void append_number(std::string& out, std::int64_t value) {
  char digits[24];
  out.append(digits, format_number(digits, value));
}
}  // namespace

void stream_positions::set(std::size_t index, std::int64_t next_offset,
                           std::int64_t next_timestamp) {
  if (index >= entries_.size()) return;
  auto& e = entries_[index];
  const std::size_t before = size_valid_ ? digit_count(number_of(e, size_format_)) : 0;
  e.next_offset = next_offset;
  e.next_timestamp = next_timestamp;
  if (size_valid_) size_ = size_ - before + digit_count(number_of(e, size_format_));
  if (rendered_valid_) rewrite_number(index);
}

std::size_t stream_positions::id_size(id_format format) {
  if (!size_valid_ || size_format_ != format) {
    size_ = render(format).size();
    size_format_ = format;
    size_valid_ = true;
  }
  return size_;
}

// The entry's digits in place; when their count changed, the rest of the id moves (rare: once
// per power of ten of an offset).
void stream_positions::rewrite_number(std::size_t index) {
  char digits[24];
  const std::size_t n = format_number(digits, number_of(entries_[index], rendered_format_));
  const std::size_t at = number_at_[index];
  const std::size_t old = rendered_.find('}', at) - at;
  if (n == old) {
    std::memcpy(rendered_.data() + at, digits, n);
    return;
  }
  rendered_.replace(at, old, digits, n);
  for (std::size_t i = index + 1; i < number_at_.size(); ++i) number_at_[i] += n - old;
}

std::string_view stream_positions::id(id_format format) {
  if (!rendered_valid_ || rendered_format_ != format) {
    rendered_.clear();
    render_into(rendered_, format, &number_at_);
    rendered_format_ = format;
    rendered_valid_ = true;
  }
  return rendered_;
}

std::string stream_positions::render(id_format format) const {
  if (rendered_valid_ && rendered_format_ == format) return rendered_;
  std::string out;
  render_into(out, format, nullptr);
  return out;
}

void stream_positions::render_into(std::string& out, id_format format,
                                   std::vector<std::size_t>* number_at) const {
  if (number_at) number_at->clear();
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
    if (number_at) number_at->push_back(out.size());
    append_number(out, number_of(e, format));
    out += '}';
  }
  out += ']';
}

}  // namespace kasocki::sse
