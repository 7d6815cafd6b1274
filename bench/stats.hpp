// The pure bookkeeping of `kasocki bench`, run once per received message and therefore kept
// allocation-free: reading the `_kafka` member the gateway appends at the end of every message,
// checking per partition that offsets arrive in order without gaps or duplicates, and a
// log-linear latency histogram. Header-only so the unit tests can use it without the CLI
// executable. No I/O.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <vector>

namespace kasocki::bench {

// Where a message came from, as written in its trailing `_kafka` object.
struct kafka_tail {
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  std::optional<std::int64_t> timestamp;  // ms since the epoch; absent when `null`
};

namespace detail {

// Reads an optionally negative decimal integer at text[pos]; advances pos past it.
inline std::optional<std::int64_t> read_integer(std::string_view text, std::size_t& pos) {
  bool negative = pos < text.size() && text[pos] == '-';
  if (negative) ++pos;
  std::size_t start = pos;
  std::int64_t value = 0;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
    if (pos - start >= 18) return std::nullopt;  // more digits than an offset can have
    value = value * 10 + (text[pos] - '0');
    ++pos;
  }
  if (pos == start) return std::nullopt;
  return negative ? -value : value;
}

// The last occurrence of `needle` in `text` (npos when none), found by memrchr on its last
// character: std::string_view::rfind compares at every position from the end, which cost more
// than the rest of a message's bookkeeping.
inline std::size_t rfind_string(std::string_view text, std::string_view needle) {
  if (needle.empty() || needle.size() > text.size()) return std::string_view::npos;
  const char last = needle.back();
  std::size_t end = text.size();  // search text[needle.size() - 1, end) for `last`
  while (end >= needle.size()) {
    const std::size_t from = needle.size() - 1;
    const void* hit = memrchr(text.data() + from, last, end - from);
    if (hit == nullptr) return std::string_view::npos;
    const auto at = static_cast<std::size_t>(static_cast<const char*>(hit) - text.data());
    const std::size_t start = at + 1 - needle.size();
    if (text.compare(start, needle.size(), needle) == 0) return start;
    end = at;
  }
  return std::string_view::npos;
}

// Finds `"name":` at or after pos and returns the index just past the colon.
inline std::optional<std::size_t> find_member(std::string_view text, std::string_view quoted_key,
                                              std::size_t pos) {
  std::size_t at = text.find(quoted_key, pos);
  if (at == std::string_view::npos) return std::nullopt;
  return at + quoted_key.size();
}

}  // namespace detail

// Parses the `_kafka` member at the end of an augmented message without building a DOM. The
// last `"_kafka":{` is the gateway's: the sequence cannot occur inside a JSON string (a quote
// there is escaped), and the gateway always appends the member last. The gateway writes the
// keys in a fixed order (topic, partition, offset, timestamp, key) and topic names cannot
// contain quotes, so forward searches from the object's start find the real members before the
// free-form key string. nullopt when the message has no readable `_kafka` tail.
inline std::optional<kafka_tail> parse_kafka_tail(std::string_view message) {
  constexpr std::string_view marker = "\"_kafka\":{";
  std::size_t start = detail::rfind_string(message, marker);
  if (start == std::string_view::npos) return std::nullopt;
  std::size_t pos = start + marker.size();
  kafka_tail tail;
  auto p = detail::find_member(message, "\"partition\":", pos);
  if (!p) return std::nullopt;
  pos = *p;
  auto partition = detail::read_integer(message, pos);
  if (!partition || *partition < 0 || *partition > INT32_MAX) return std::nullopt;
  tail.partition = static_cast<std::int32_t>(*partition);
  auto o = detail::find_member(message, "\"offset\":", pos);
  if (!o) return std::nullopt;
  pos = *o;
  auto offset = detail::read_integer(message, pos);
  if (!offset || *offset < 0) return std::nullopt;
  tail.offset = *offset;
  auto t = detail::find_member(message, "\"timestamp\":", pos);
  if (!t) return std::nullopt;
  pos = *t;
  if (message.substr(pos, 4) != "null") {
    auto timestamp = detail::read_integer(message, pos);
    if (!timestamp) return std::nullopt;
    tail.timestamp = *timestamp;
  }
  return tail;
}

// What one received offset means for its partition.
enum class offset_verdict { in_order, gap, duplicate };

// Checks per partition that offsets arrive in increasing order without holes. An offset below
// the next expected one is counted as a duplicate: without remembering every offset a repeat
// and a reordering look the same, and both break the delivery guarantee. Filters skip offsets
// legitimately, so callers then ignore `gaps()`.
class offset_tracker {
 public:
  // The first offset a partition should deliver (from the subscribe ack); without it the first
  // message received on a partition sets the expectation.
  void expect(std::int32_t partition, std::int64_t first_offset) {
    slot(partition).next = first_offset;
  }

  offset_verdict record(std::int32_t partition, std::int64_t offset) {
    auto& s = slot(partition);
    if (s.first < 0) s.first = offset;
    offset_verdict verdict = offset_verdict::in_order;
    if (s.next >= 0 && offset > s.next) {
      verdict = offset_verdict::gap;
      ++gaps_;
      missing_ += offset - s.next;
    } else if (s.next >= 0 && offset < s.next) {
      ++duplicates_;
      return offset_verdict::duplicate;  // keeps the expectation: the stream went backwards
    }
    s.next = offset + 1;
    s.last = offset;
    return verdict;
  }

  std::uint64_t gaps() const { return gaps_; }       // holes seen (each may span offsets)
  std::int64_t missing() const { return missing_; }  // offsets inside those holes
  std::uint64_t duplicates() const { return duplicates_; }
  // The offset expected next on that partition, -1 when unknown.
  std::int64_t next(std::int32_t partition) const {
    auto index = static_cast<std::size_t>(partition);
    return index < slots_.size() ? slots_[index].next : -1;
  }
  // The highest offset received in order on that partition, -1 when none.
  std::int64_t last(std::int32_t partition) const {
    auto index = static_cast<std::size_t>(partition);
    return index < slots_.size() ? slots_[index].last : -1;
  }

 private:
  struct state {
    std::int64_t next = -1;  // the offset expected next, -1 when unknown
    std::int64_t first = -1;
    std::int64_t last = -1;
  };
  state& slot(std::int32_t partition) {
    auto index = static_cast<std::size_t>(partition);
    if (index >= slots_.size()) slots_.resize(index + 1);  // once per new partition only
    return slots_[index];
  }
  std::vector<state> slots_;
  std::uint64_t gaps_ = 0;
  std::int64_t missing_ = 0;
  std::uint64_t duplicates_ = 0;
};

// Latencies in microseconds, in log-linear buckets: exact below 128 µs, then 64 buckets per
// power of two (under 1.6 % relative error), so p50/p99 cost no allocation per sample and the
// whole range of an int64 fits in a fixed array.
class latency_histogram {
 public:
  static constexpr int sub_bits = 6;                             // 64 buckets per power of two
  static constexpr std::uint64_t linear_limit = 2u << sub_bits;  // 128: exact below this
  static constexpr std::size_t bucket_count = linear_limit + (64 - sub_bits - 1) * (1u << sub_bits);

  static std::size_t bucket_of(std::uint64_t v) {
    if (v < linear_limit) return static_cast<std::size_t>(v);
    int shift = std::bit_width(v) - (sub_bits + 1);  // >= 1 here
    std::uint64_t top = v >> shift;                  // in [64, 128)
    return linear_limit + static_cast<std::size_t>(shift - 1) * (1u << sub_bits) +
           static_cast<std::size_t>(top - (1u << sub_bits));
  }
  // The largest value that falls into bucket b (what a percentile reports: never optimistic).
  static std::uint64_t bucket_upper(std::size_t b) {
    if (b < linear_limit) return b;
    std::size_t k = b - linear_limit;
    int shift = static_cast<int>(k >> sub_bits) + 1;
    std::uint64_t top = (k & ((1u << sub_bits) - 1)) + (1u << sub_bits);
    return ((top + 1) << shift) - 1;
  }

  // Negative latencies (clocks of producer and bench disagreeing) count as zero.
  void record(std::int64_t micros) {
    std::uint64_t v = micros < 0 ? 0 : static_cast<std::uint64_t>(micros);
    ++buckets_[bucket_of(v)];
    ++count_;
    max_ = std::max(max_, v);
  }
  void merge(const latency_histogram& other) {
    for (std::size_t i = 0; i < bucket_count; ++i) buckets_[i] += other.buckets_[i];
    count_ += other.count_;
    max_ = std::max(max_, other.max_);
  }

  std::uint64_t count() const { return count_; }
  std::uint64_t max() const { return max_; }
  // The value at quantile q (0..1]: the upper bound of the bucket holding the ceil(q*count)-th
  // smallest sample, capped at the maximum seen; 0 when empty.
  std::uint64_t percentile(double q) const {
    if (count_ == 0) return 0;
    auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
    rank = std::clamp<std::uint64_t>(rank, 1, count_);
    std::uint64_t seen = 0;
    for (std::size_t b = 0; b < bucket_count; ++b) {
      seen += buckets_[b];
      if (seen >= rank) return std::min(bucket_upper(b), max_);
    }
    return max_;
  }

 private:
  std::array<std::uint64_t, bucket_count> buckets_{};
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
};

}  // namespace kasocki::bench
