// history_store: the two budgets and the eviction order. Pure.
#include "libkasocki/kafka/history_store.hpp"

#include <algorithm>

namespace kasocki::kafka {

const partition_store* history_store::find(const std::string& topic, std::int32_t partition) const {
  auto it = partitions_.find(key(topic, partition));
  return it == partitions_.end() ? nullptr : &it->second.store;
}

history_store::entry& history_store::at(const std::string& topic, std::int32_t partition) {
  auto it = partitions_.find(key(topic, partition));
  if (it != partitions_.end()) return it->second;
  return partitions_
      .emplace(key(topic, partition), entry{partition_store(options_.chunks), {}, 0, {}})
      .first->second;
}

void history_store::to_cache(entry& e, stored_chunk& c) {
  c.live = false;
  c.lru = ++clock_;
  lru_.emplace(c.lru, &e, c.begin);
  stats_.cache_bytes += c.bytes;
}

void history_store::touch(entry& e, stored_chunk& c) {
  if (c.lru == 0) return;  // in a window
  lru_.erase(lru_key(c.lru, &e, c.begin));
  c.lru = ++clock_;
  lru_.emplace(c.lru, &e, c.begin);
}

append_result history_store::append(const std::string& topic, std::int32_t partition,
                                    std::int64_t at, std::span<const message_view> messages,
                                    bool live, const partition_store::prepare_hook& prepare) {
  auto& e = this->at(topic, partition);
  protect_from_ = clock_ + 1;
  auto out = e.store.append(at, messages, live, prepare);
  for (auto begin : out.created) {
    auto* c = e.store.chunk_at(begin);
    ++stats_.chunks;
    if (live) {
      stats_.window_messages += c->messages.size();
      e.live.push_back(begin);
      e.live_bytes += c->bytes;
      stats_.window_bytes += c->bytes;
    } else {
      to_cache(e, *c);
    }
  }
  // What left a window for this append's room is protected with it: a live append that is
  // larger than its window goes straight to the cache, and its waiters are yet to read it.
  enforce_windows();
  protect_to_ = clock_;
  enforce_cache();
  return out;
}

store_read history_store::read(const std::string& topic, std::int32_t partition, std::int64_t from,
                               std::size_t max) {
  auto it = partitions_.find(key(topic, partition));
  if (it == partitions_.end()) return store_read{{}, from, {}, {}};
  auto& e = it->second;
  auto out = e.store.read(from, max);
  for (auto begin : out.touched)
    if (auto* c = e.store.chunk_at(begin)) touch(e, *c);
  return out;
}

std::optional<std::int64_t> history_store::mark_reset(const std::string& topic,
                                                      std::int32_t partition, std::int64_t at,
                                                      std::int64_t to, std::int64_t reset_to) {
  auto& e = this->at(topic, partition);
  auto begin = e.store.mark_reset(at, to, reset_to);
  if (begin) {
    ++stats_.chunks;
    protect_from_ = clock_ + 1;  // kept like an append, until its readers jumped
    to_cache(e, *e.store.chunk_at(*begin));
    protect_to_ = clock_;
    enforce();
  }
  return begin;
}

void history_store::end_live(const std::string& topic, std::int32_t partition) {
  auto it = partitions_.find(key(topic, partition));
  if (it == partitions_.end()) return;
  auto& e = it->second;
  for (auto begin : e.live) {
    if (auto* c = e.store.chunk_at(begin)) {
      stats_.window_bytes -= c->bytes;
      to_cache(e, *c);
    }
  }
  e.live.clear();
  e.live_bytes = 0;
  enforce();
}

void history_store::enforce() {
  enforce_windows();
  enforce_cache();
}

// The largest window's oldest chunk moves to the history cache, until the windows fit.
void history_store::enforce_windows() {
  while (stats_.window_bytes > options_.window_bytes) {
    entry* largest = nullptr;
    for (auto& [k, e] : partitions_)
      if (!e.live.empty() && (!largest || e.live_bytes > largest->live_bytes)) largest = &e;
    if (largest == nullptr) break;
    auto* c = largest->store.chunk_at(largest->live.front());
    largest->live.pop_front();
    if (c == nullptr) continue;
    largest->live_bytes -= c->bytes;
    stats_.window_bytes -= c->bytes;
    to_cache(*largest, *c);
  }
}

void history_store::enforce_cache() {
  while (stats_.cache_bytes > options_.cache_bytes && !lru_.empty()) {
    auto it = victim();
    if (it == lru_.end()) break;
    evict(it);
  }
}

std::optional<std::int64_t> history_store::need(const entry& e, const stored_chunk& c) const {
  auto it = e.readers.lower_bound(c.end);  // the nearest cursor before the chunk's end
  if (it == e.readers.begin()) return std::nullopt;
  const auto at = *--it;
  if (at < c.begin - options_.reach) return std::nullopt;
  return std::max<std::int64_t>(0, c.begin - at);
}

std::optional<std::uint64_t> history_store::protected_until(std::uint64_t tick) const {
  if (tick >= protect_from_ && tick <= protect_to_) return protect_to_;
  for (const auto& h : held_)
    if (tick >= h.from && tick <= h.to) return h.to;
  return std::nullopt;
}

std::set<history_store::lru_key>::iterator history_store::victim() {
  // The least recently read, except the newest append and the held ones, which stay until their
  // readers had them (a chunk read since has a newer tick). Choosing among the oldest by the
  // readers' positions (unneeded first, or the one read last) fetched more in the history bench,
  // not less: see docs/PERFORMANCE.md.
  auto it = lru_.begin();
  while (it != lru_.end()) {
    const auto until = protected_until(std::get<0>(*it));
    if (!until) break;
    it = lru_.lower_bound(lru_key(*until + 1, nullptr, 0));
  }
  return it;
}

std::uint64_t history_store::hold_last_append() {
  const auto token = ++next_hold_;
  if (protect_from_ <= protect_to_) held_.push_back({token, protect_from_, protect_to_});
  return token;
}

void history_store::release(std::uint64_t token) {
  std::erase_if(held_, [token](const held_ticks& h) { return h.token == token; });
  enforce();
}

void history_store::evict(std::set<lru_key>::iterator it) {
  auto [tick, e, begin] = *it;
  lru_.erase(it);
  const auto freed = e->store.erase(begin);
  stats_.cache_bytes -= freed;
  --stats_.chunks;
  ++stats_.evicted_chunks;
  stats_.evicted_bytes += freed;
}

void history_store::add_reader(const std::string& topic, std::int32_t partition,
                               std::int64_t offset) {
  at(topic, partition).readers.insert(offset);
}

void history_store::remove_reader(const std::string& topic, std::int32_t partition,
                                  std::int64_t offset) {
  auto it = partitions_.find(key(topic, partition));
  if (it == partitions_.end()) return;
  auto& readers = it->second.readers;
  if (auto r = readers.find(offset); r != readers.end()) readers.erase(r);
}

void history_store::move_reader(const std::string& topic, std::int32_t partition, std::int64_t from,
                                std::int64_t to) {
  if (from == to) return;
  auto& e = at(topic, partition);
  if (auto r = e.readers.find(from); r != e.readers.end()) e.readers.erase(r);
  e.readers.insert(to);
  if (to < from) return;
  // The fetched chunks it passed, that no one else needs, are of no use any more. What left a
  // live window stays for clients coming back (reconnects) until the budget wants its room.
  const auto& chunks = e.store.all();
  auto it = chunks.upper_bound(from);
  if (it != chunks.begin()) --it;
  std::vector<std::uint64_t> passed;
  for (; it != chunks.end() && it->first < to; ++it) {
    const auto& c = it->second;
    if (c.end > to || !c.fetched || c.lru == 0 || need(e, c)) continue;
    passed.push_back(c.lru);
  }
  for (auto tick : passed) {
    auto found = lru_.lower_bound(lru_key(tick, nullptr, 0));
    if (found == lru_.end() || std::get<0>(*found) != tick) continue;
    ++stats_.passed_chunks;
    evict(found);
  }
}

std::size_t history_store::ranges() const {
  std::size_t n = 0;
  for (const auto& [k, e] : partitions_) n += e.store.ranges();
  return n;
}

}  // namespace kasocki::kafka
