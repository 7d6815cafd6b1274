// See session_state.hpp.
#include "libkasocki/recovery/session_state.hpp"

#include <limits>

namespace kasocki::recovery {

namespace {

constexpr std::uint8_t version = 1;
constexpr std::uint8_t started_bit = 0x04;
constexpr std::uint8_t filters_bit = 0x08;
constexpr std::uint64_t inline_topic_counts = 15;  // 0..14 in the head byte; 15: a varint follows

std::uint64_t zigzag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
std::int64_t unzigzag(std::uint64_t v) {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

bool is_dense(const std::vector<partition_offset>& partitions) {
  for (std::size_t i = 0; i < partitions.size(); ++i)
    if (partitions[i].partition != static_cast<std::int32_t>(i)) return false;
  return true;
}

recovery_error malformed() {
  return {recovery_errc::malformed};
}

}  // namespace

std::uint32_t topic_hash(std::string_view topic) noexcept {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : topic) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

void put_varint(std::uint64_t value, std::string& out) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

std::optional<std::uint64_t> get_varint(std::string_view bytes, std::size_t& pos) {
  std::uint64_t value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos >= bytes.size()) return std::nullopt;
    const auto b = static_cast<std::uint8_t>(bytes[pos++]);
    if (shift == 63 && b > 1) return std::nullopt;  // over 64 bits
    value |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return value;
  }
  return std::nullopt;
}

void encode_state(const session_state& state, std::string& out) {
  std::uint8_t head = version;
  if (state.started) head |= started_bit;
  if (state.filters) head |= filters_bit;
  const std::uint64_t topics = state.topics.size();
  head |= static_cast<std::uint8_t>(std::min(topics, inline_topic_counts) << 4);
  out.push_back(static_cast<char>(head));
  if (topics >= inline_topic_counts) put_varint(topics, out);
  put_varint(state.age_minutes, out);
  if (state.filters) {
    put_varint(state.filters->size(), out);
    out += *state.filters;
  }
  for (const auto& t : state.topics) {
    for (int shift = 24; shift >= 0; shift -= 8)
      out.push_back(static_cast<char>((t.topic_hash >> shift) & 0xff));
    const bool dense = is_dense(t.partitions);
    put_varint((static_cast<std::uint64_t>(t.partitions.size()) << 1) | (dense ? 1 : 0), out);
    if (!dense)
      for (const auto& p : t.partitions) put_varint(static_cast<std::uint64_t>(p.partition), out);
    std::int64_t previous = 0;
    for (std::size_t i = 0; i < t.partitions.size(); ++i) {
      const auto offset = t.partitions[i].next_offset;
      if (i == 0)
        put_varint(static_cast<std::uint64_t>(offset), out);
      else  // both are >= 0, so the difference cannot overflow
        put_varint(zigzag(offset - previous), out);
      previous = offset;
    }
  }
}

recovery_result<session_state> decode_state(std::string_view bytes) {
  session_state state;
  std::size_t pos = 0;
  if (bytes.empty()) return malformed();
  const auto head = static_cast<std::uint8_t>(bytes[pos++]);
  if ((head & 0x03) != version) return malformed();
  state.started = (head & started_bit) != 0;
  std::uint64_t topics = head >> 4;
  if (topics == inline_topic_counts) {
    auto count = get_varint(bytes, pos);
    if (!count || *count < inline_topic_counts) return malformed();
    topics = *count;
  }
  auto age = get_varint(bytes, pos);
  if (!age || *age > std::numeric_limits<std::uint32_t>::max()) return malformed();
  state.age_minutes = static_cast<std::uint32_t>(*age);
  if (head & filters_bit) {
    auto length = get_varint(bytes, pos);
    if (!length || *length > bytes.size() - pos) return malformed();
    state.filters = std::string(bytes.substr(pos, *length));
    pos += *length;
  }
  // Every topic takes at least 5 bytes: no count can make us allocate more than the input.
  if (topics > (bytes.size() - pos) / 5) return malformed();
  state.topics.reserve(topics);
  for (std::uint64_t t = 0; t < topics; ++t) {
    topic_positions positions;
    if (bytes.size() - pos < 4) return malformed();
    for (int i = 0; i < 4; ++i)
      positions.topic_hash = (positions.topic_hash << 8) | static_cast<std::uint8_t>(bytes[pos++]);
    auto layout = get_varint(bytes, pos);
    if (!layout) return malformed();
    const bool dense = (*layout & 1) != 0;
    const std::uint64_t count = *layout >> 1;
    // Every partition takes at least one byte (its offset).
    if (count > bytes.size() - pos) return malformed();
    positions.partitions.resize(count);
    for (std::uint64_t i = 0; i < count; ++i) {
      std::uint64_t partition = i;
      if (!dense) {
        auto p = get_varint(bytes, pos);
        if (!p) return malformed();
        partition = *p;
      }
      if (partition > static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max()))
        return malformed();
      positions.partitions[i].partition = static_cast<std::int32_t>(partition);
    }
    std::int64_t previous = 0;
    for (std::uint64_t i = 0; i < count; ++i) {
      auto v = get_varint(bytes, pos);
      if (!v) return malformed();
      std::int64_t offset = 0;
      if (i == 0) {
        if (*v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
          return malformed();
        offset = static_cast<std::int64_t>(*v);
      } else {
        const std::int64_t delta = unzigzag(*v);
        // previous >= 0: only a positive delta can overflow, only a negative one go below 0.
        if (delta > 0 && previous > std::numeric_limits<std::int64_t>::max() - delta)
          return malformed();
        offset = previous + delta;
        if (offset < 0) return malformed();
      }
      positions.partitions[i].next_offset = offset;
      previous = offset;
    }
    state.topics.push_back(std::move(positions));
  }
  if (pos != bytes.size()) return malformed();
  return state;
}

}  // namespace kasocki::recovery
