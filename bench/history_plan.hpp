// The pure arithmetic of the history scenarios of `kasocki bench`: where each connection of
// `--from spread` starts, how a `--per-client` quota splits over partitions, the key + value
// bytes of an augmented message, and the set of offsets received by any connection (to count
// the data asked for once). Header-only so the unit tests can use it without the CLI
// executable. No I/O.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace kasocki::bench {

// Connection `index` of `clients` reads partition index mod `partitions`; the k-th of the n
// connections of a partition starts k/(n-1) of the way from offset 0 to end - quota, so the
// last one ends at the partition's end and the starts are spread evenly (0 when the partition
// holds less than the quota).
inline std::int64_t spread_offset(std::size_t index, std::size_t clients, std::size_t partitions,
                                  std::int64_t end, std::int64_t quota) {
  if (partitions == 0 || clients == 0) return 0;
  auto p = index % partitions;
  auto k = static_cast<std::int64_t>(index / partitions);
  auto n = static_cast<std::int64_t>((clients + partitions - 1 - p) / partitions);
  std::int64_t room = std::max<std::int64_t>(0, end - std::max<std::int64_t>(0, quota));
  return n > 1 ? room * k / (n - 1) : 0;
}

// The share of a quota of `quota` messages of the i-th of `count` partitions: equal shares, the
// first ones one more until the remainder is used up.
inline std::int64_t quota_share(std::int64_t quota, std::int64_t i, std::int64_t count) {
  if (count <= 0 || i < 0 || i >= count) return 0;
  return quota / count + (i < quota % count ? 1 : 0);
}

// The key + value bytes of a message as the gateway augments it: the value is the text before
// the `,` that precedes the last `"_kafka":{` plus its closing brace (so the marker's position),
// the key the last member of `_kafka` (escapes counted as written). A text without the member
// counts whole.
inline std::uint64_t message_bytes(std::string_view text) {
  constexpr std::string_view kafka_marker = "\"_kafka\":{";
  constexpr std::string_view key_marker = "\"key\":\"";
  auto marker = text.rfind(kafka_marker);
  if (marker == std::string_view::npos) return text.size();
  std::uint64_t bytes = marker;
  auto key = text.find(key_marker, marker);
  auto key_end = text.rfind('"');
  if (key != std::string_view::npos && key_end != std::string_view::npos &&
      key_end >= key + key_marker.size())
    bytes += key_end - (key + key_marker.size());
  return bytes;
}

// A set of (partition, offset), a bit per offset: 20 KB per partition of 166,000 offsets.
class offset_set {
 public:
  // True when the pair was not in the set yet (and adds it).
  bool insert(std::int32_t partition, std::int64_t offset) {
    if (partition < 0 || offset < 0) return false;
    auto p = static_cast<std::size_t>(partition);
    if (p >= bits_.size()) bits_.resize(p + 1);
    auto& words = bits_[p];
    auto word = static_cast<std::size_t>(offset / 64);
    if (word >= words.size()) words.resize(std::max(word + 1, words.size() * 2), 0);
    std::uint64_t bit = std::uint64_t{1} << (offset % 64);
    if (words[word] & bit) return false;
    words[word] |= bit;
    return true;
  }

 private:
  std::vector<std::vector<std::uint64_t>> bits_;
};

}  // namespace kasocki::bench
