// Reading the offset ids Kasocki puts on every SSE event (`[{"topic":"t","partition":0,
// "offset":13},...]`, kasocki-api.md "Server-Sent Events") in `kasocki bench --transport sse`,
// once per received event and therefore without a JSON parse: an entry laid out exactly as the
// gateway writes it is read in one pass (literal member names between the numbers); any other
// entry by a search for its members. Both ways read the same numbers from the same text (the
// fuzz target checks it). A stream's consecutive ids differ in one entry: offset_id_reader
// compares an id with the one before and reads only the entry where they differ. Header-only so
// the unit tests and the fuzz target use it. No I/O.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/stats.hpp"

namespace kasocki::bench {

namespace detail {

struct id_entry {
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::size_t end = 0;  // just past the entry's `}`
};

// The entry at id[open] (a `{`) by searching its members: the entry ends at the first `}` (Kafka
// topic names hold neither quotes nor braces, so the member names found are the real ones).
inline std::optional<id_entry> search_id_entry(std::string_view id, std::size_t open) {
  auto close = id.find('}', open);
  if (close == std::string_view::npos) return std::nullopt;
  auto entry = id.substr(0, close);
  auto p = find_member(entry, "\"partition\":", open);
  if (!p) return std::nullopt;
  std::size_t pos = *p;
  auto partition = read_integer(entry, pos);
  auto o = find_member(entry, "\"offset\":", open);
  if (!o || !partition || *partition < 0 || *partition > INT32_MAX) return std::nullopt;
  std::size_t at = *o;
  auto offset = read_integer(entry, at);
  if (!offset || *offset < 0) return std::nullopt;
  return id_entry{static_cast<std::int32_t>(*partition), *offset, close + 1};
}

// The entry at id[open] when it is exactly `{"topic":"<name>","partition":N,"offset":M}` with a
// name free of `}` (then the search above would read the same), else nullopt.
inline std::optional<id_entry> exact_id_entry(std::string_view id, std::size_t open) {
  constexpr std::string_view topic_key = "{\"topic\":\"";
  constexpr std::string_view partition_key = ",\"partition\":";
  constexpr std::string_view offset_key = ",\"offset\":";
  if (id.compare(open, topic_key.size(), topic_key) != 0) return std::nullopt;
  const std::size_t name = open + topic_key.size();
  const auto* quote = static_cast<const char*>(
      std::memchr(id.data() + name, '"', id.size() - std::min(name, id.size())));
  if (quote == nullptr) return std::nullopt;
  std::size_t pos = static_cast<std::size_t>(quote - id.data());
  if (std::memchr(id.data() + name, '}', pos - name) != nullptr) return std::nullopt;
  ++pos;
  if (id.compare(pos, partition_key.size(), partition_key) != 0) return std::nullopt;
  pos += partition_key.size();
  auto partition = read_integer(id, pos);
  if (!partition || *partition < 0 || *partition > INT32_MAX) return std::nullopt;
  if (id.compare(pos, offset_key.size(), offset_key) != 0) return std::nullopt;
  pos += offset_key.size();
  auto offset = read_integer(id, pos);
  if (!offset || *offset < 0 || pos >= id.size() || id[pos] != '}') return std::nullopt;
  return id_entry{static_cast<std::int32_t>(*partition), *offset, pos + 1};
}

template <bool Exact>
std::optional<id_entry> read_id_entry(std::string_view id, std::size_t open) {
  std::optional<id_entry> entry;
  if constexpr (Exact) entry = exact_id_entry(id, open);
  if (!entry) entry = search_id_entry(id, open);
  return entry;
}

// on_entry(open, entry) for each entry.
template <bool Exact, class OnEntry>
bool read_offset_id(std::string_view id, OnEntry& on_entry) {
  std::size_t pos = id.find_first_not_of(" \t");
  if (pos == std::string_view::npos || id[pos] != '[') return false;
  bool any = false;
  for (;;) {
    auto open = id.find('{', pos);
    if (open == std::string_view::npos) return any;
    auto entry = read_id_entry<Exact>(id, open);
    if (!entry) return false;
    on_entry(open, *entry);
    any = true;
    pos = entry->end;
  }
}

}  // namespace detail

// Calls on_entry(partition, offset) for each entry of an offset id, in order; the entries' other
// members (the topic) are skipped. False when the id is not an array of such entries (a
// timestamp id, or garbage); entries before the bad one have been handed out then.
template <class OnEntry>
bool for_each_offset_id_entry(std::string_view id, OnEntry&& on_entry) {
  auto each = [&](std::size_t, const detail::id_entry& e) { on_entry(e.partition, e.offset); };
  return detail::read_offset_id<true>(id, each);
}

// The same, every entry by the member search (what for_each_offset_id_entry must agree with).
template <class OnEntry>
bool for_each_offset_id_entry_searched(std::string_view id, OnEntry&& on_entry) {
  auto each = [&](std::size_t, const detail::id_entry& e) { on_entry(e.partition, e.offset); };
  return detail::read_offset_id<false>(id, each);
}

// Reads the ids of one stream, each as for_each_offset_id_entry would, but keeps the last id and
// its entries: when the next differs from it inside one entry only (what the gateway sends:
// one partition moved), only that entry is read again. Reading an entry looks at nothing before
// its `{` nor after its `}`, so the entries around it read as before. Unlike
// for_each_offset_id_entry, an id that does not read hands out no entry at all.
class offset_id_reader {
 public:
  template <class OnEntry>
  bool read(std::string_view id, OnEntry&& on_entry) {
    if (!(valid_ && reread_changed(id))) read_all(id);
    if (valid_)
      for (const auto& e : entries_) on_entry(e.partition, e.offset);
    return valid_;
  }

 private:
  struct kept {
    std::size_t open;  // where its `{` is in last_
    std::size_t end;   // just past its `}`
    std::int32_t partition;
    std::int64_t offset;
  };

  void read_all(std::string_view id) {
    entries_.clear();
    auto keep = [&](std::size_t open, const detail::id_entry& e) {
      entries_.push_back({open, e.end, e.partition, e.offset});
    };
    valid_ = detail::read_offset_id<true>(id, keep);
    last_.assign(id);
  }

  // False when the difference is not inside one entry (or that entry no longer reads alike).
  bool reread_changed(std::string_view id) {
    const std::size_t common = std::min(id.size(), last_.size());
    std::size_t first = 0;  // the first byte that differs
    while (first + 16 <= common && std::memcmp(id.data() + first, last_.data() + first, 16) == 0)
      first += 16;
    while (first < common && id[first] == last_[first]) ++first;
    if (first == id.size() && first == last_.size()) return true;  // the same id
    std::size_t k = 0;
    while (k < entries_.size() && entries_[k].end <= first) ++k;
    if (k == entries_.size() || first <= entries_[k].open) return false;
    auto& changed = entries_[k];
    const std::size_t after = last_.size() - changed.end;  // the text after its `}`
    if (id.size() < after || id.size() - after <= changed.open) return false;
    const std::size_t new_end = id.size() - after;
    if (id.compare(new_end, after, last_, changed.end, after) != 0) return false;
    auto entry = detail::read_id_entry<true>(id, changed.open);
    if (!entry || entry->end != new_end) return false;
    const auto shift =
        static_cast<std::ptrdiff_t>(new_end) - static_cast<std::ptrdiff_t>(changed.end);
    changed.end = new_end;
    changed.partition = entry->partition;
    changed.offset = entry->offset;
    for (std::size_t i = k + 1; i < entries_.size(); ++i) {
      entries_[i].open += static_cast<std::size_t>(shift);  // modulo: a shift back works too
      entries_[i].end += static_cast<std::size_t>(shift);
    }
    last_.assign(id);
    return true;
  }

  std::string last_;
  std::vector<kept> entries_;
  bool valid_ = false;
};

}  // namespace kasocki::bench
