// Reading the offset ids Kasocki puts on every SSE event (`[{"topic":"t","partition":0,
// "offset":13},...]`, kasocki-api.md "Server-Sent Events") in `kasocki bench --transport sse`,
// once per received event and therefore without a JSON parse: an entry laid out exactly as the
// gateway writes it is read in one pass (literal member names between the numbers); any other
// entry by a search for its members. Both ways read the same numbers from the same text (the
// fuzz target checks it). Header-only so the unit tests and the fuzz target use it. No I/O.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

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

template <bool Exact, class OnEntry>
bool read_offset_id(std::string_view id, OnEntry& on_entry) {
  std::size_t pos = id.find_first_not_of(" \t");
  if (pos == std::string_view::npos || id[pos] != '[') return false;
  bool any = false;
  for (;;) {
    auto open = id.find('{', pos);
    if (open == std::string_view::npos) return any;
    std::optional<id_entry> entry;
    if constexpr (Exact) entry = exact_id_entry(id, open);
    if (!entry) entry = search_id_entry(id, open);
    if (!entry) return false;
    on_entry(entry->partition, entry->offset);
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
  return detail::read_offset_id<true>(id, on_entry);
}

// The same, every entry by the member search (what for_each_offset_id_entry must agree with).
template <class OnEntry>
bool for_each_offset_id_entry_searched(std::string_view id, OnEntry&& on_entry) {
  return detail::read_offset_id<false>(id, on_entry);
}

}  // namespace kasocki::bench
