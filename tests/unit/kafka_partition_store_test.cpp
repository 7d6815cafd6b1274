// partition_store and history_store: ranges that never overlap, appends that skip what is cached,
// reads within a range (gaps of compacted offsets included), reset gaps, the two budgets and the
// least-recently-read eviction, and chunks that outlive the store while a batch holds them.
#include "libkasocki/kafka/history_store.hpp"
#include "libkasocki/kafka/partition_store.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kasocki::kafka {
namespace {

// Messages of partition 0 of "t" at `offsets`, each valued "v<offset>" (padded to `size`).
struct run {
  std::vector<std::string> values, keys;
  std::vector<message_view> views;
  explicit run(std::vector<std::int64_t> offsets, std::size_t size = 0) {
    values.reserve(offsets.size());
    keys.reserve(offsets.size());
    for (auto o : offsets) {
      auto v = "v" + std::to_string(o);
      if (v.size() < size) v.resize(size, '.');
      values.push_back(v);
      keys.push_back("k" + std::to_string(o));
    }
    for (std::size_t i = 0; i < offsets.size(); ++i) {
      message_view v;
      v.topic = "t";
      v.offset = offsets[i];
      v.value = values[i];
      v.key = keys[i];
      views.push_back(v);
    }
  }
};

std::vector<std::int64_t> range(std::int64_t from, std::int64_t to) {
  std::vector<std::int64_t> out;
  for (auto o = from; o < to; ++o) out.push_back(o);
  return out;
}

std::vector<std::int64_t> offsets(const message_batch& b) {
  std::vector<std::int64_t> out;
  for (const auto& m : b.messages()) out.push_back(m.offset);
  return out;
}

TEST(PartitionStore, CoverageStartsWhereTheFetchStarted) {
  partition_store s;
  run a({5, 6, 9});  // fetched from 3: 3, 4, 7, 8 are not there (compacted)
  auto r = s.append(3, a.views, false, {});
  EXPECT_EQ(r.position, 10);
  EXPECT_FALSE(r.reached_cached);
  EXPECT_TRUE(s.covers(3));
  EXPECT_TRUE(s.covers(9));
  EXPECT_FALSE(s.covers(10));
  EXPECT_FALSE(s.covers(2));
  auto read = s.read(3, 10);
  EXPECT_EQ(offsets(read.batch), (std::vector<std::int64_t>{5, 6, 9}));
  EXPECT_EQ(read.next, 10);
  read = s.read(7, 10);  // from inside a gap
  EXPECT_EQ(offsets(read.batch), (std::vector<std::int64_t>{9}));
  EXPECT_EQ(read.next, 10);
}

TEST(PartitionStore, ReadsUpToMaxAndMovesTheCursorPastTheLastTaken) {
  partition_store s(chunk_limits{4, 1 << 20});
  run a(range(0, 10));
  s.append(0, a.views, false, {});
  EXPECT_EQ(s.chunks(), 3u);  // 4 + 4 + 2
  EXPECT_EQ(s.ranges(), 1u);
  auto read = s.read(1, 5);  // across chunks
  EXPECT_EQ(offsets(read.batch), range(1, 6));
  EXPECT_EQ(read.next, 6);
  read = s.read(6, 100);
  EXPECT_EQ(offsets(read.batch), range(6, 10));
  EXPECT_EQ(read.next, 10);
  EXPECT_TRUE(s.read(10, 5).batch.empty());
  EXPECT_EQ(s.read(10, 5).next, 10);
}

TEST(PartitionStore, ChunksAreBoundedInBytes) {
  partition_store s(chunk_limits{256, 100});
  run a(range(0, 6), 40);
  s.append(0, a.views, false, {});
  EXPECT_EQ(s.chunks(), 3u);  // two of 40-byte values per 100 bytes
  run big({6}, 1000);         // one bigger message: a chunk of its own
  s.append(6, big.views, false, {});
  EXPECT_EQ(s.chunks(), 4u);
}

TEST(PartitionStore, AnAppendStopsAtWhatIsCachedAndTheRangesMeet) {
  partition_store s;
  run later(range(10, 20));
  s.append(10, later.views, true, {});
  run earlier(range(0, 15));  // a fetch from 0 runs into the cached 10..
  auto r = s.append(0, earlier.views, false, {});
  EXPECT_TRUE(r.reached_cached);
  EXPECT_EQ(r.position, 20);
  EXPECT_EQ(s.ranges(), 1u);
  auto read = s.read(0, 100);
  EXPECT_EQ(offsets(read.batch), range(0, 20));  // no seam, nothing twice
  EXPECT_EQ(read.next, 20);
}

TEST(PartitionStore, AFetchThatSkipsToTheNextRangeLinksThem) {
  partition_store s;
  run later(range(10, 12));
  s.append(10, later.views, false, {});
  run gap({4, 11});  // 5..9 compacted away: the fetch from 4 jumps to 11
  auto r = s.append(4, gap.views, false, {});
  EXPECT_TRUE(r.reached_cached);
  EXPECT_EQ(r.position, 12);
  EXPECT_EQ(s.ranges(), 1u);
  EXPECT_EQ(offsets(s.read(4, 100).batch), (std::vector<std::int64_t>{4, 10, 11}));
}

TEST(PartitionStore, AnAppendOverWhatIsCachedSkipsIt) {
  partition_store s;
  run a(range(0, 10));
  s.append(0, a.views, false, {});
  run again(range(5, 15));
  auto r = s.append(5, again.views, true, {});
  EXPECT_TRUE(r.reached_cached);
  EXPECT_EQ(r.position, 15);
  EXPECT_EQ(offsets(s.read(0, 100).batch), range(0, 15));
}

TEST(PartitionStore, TheRangeEndLooksAheadSoFar) {
  partition_store s(chunk_limits{2, 1 << 20});
  run a(range(0, 10));
  s.append(0, a.views, false, {});
  EXPECT_EQ(s.range_end(0, 100), 10);
  EXPECT_EQ(s.range_end(0, 1), 4);
  EXPECT_EQ(s.range_end(11, 100), 11);
  EXPECT_EQ(s.next_begin(3), std::optional<std::int64_t>(4));
  EXPECT_EQ(s.next_begin(9), std::nullopt);
}

TEST(PartitionStore, AResetGapSendsTheReaderOn) {
  partition_store s;
  run a(range(20, 25));
  s.append(20, a.views, false, {});
  ASSERT_TRUE(s.mark_reset(3, 30, 20));  // clipped to the cached range at 20
  auto read = s.read(5, 10);
  ASSERT_TRUE(read.reset_to);
  EXPECT_EQ(*read.reset_to, 20);
  EXPECT_TRUE(read.batch.empty());
  EXPECT_EQ(read.next, 20);
  EXPECT_EQ(offsets(s.read(0 + 20, 10).batch), range(20, 25));
  // A reader before the gap stops at it, then jumps.
  EXPECT_FALSE(s.mark_reset(3, 30, 20));  // already there
}

TEST(PartitionStore, ChargesWhatThePrepareHookAttached) {
  partition_store s;
  run a(range(0, 3));
  int calls = 0;
  s.append(0, a.views, false, [&](const message_view& m) {
    ++calls;
    EXPECT_NE(m.annotation, nullptr);
    return std::size_t{1000};
  });
  EXPECT_EQ(calls, 3);
  EXPECT_GE(s.bytes(), 3000u);
}

TEST(PartitionStore, ABatchOutlivesTheChunkAndTheCallersBytes) {
  partition_store s;
  message_batch kept;
  {
    run a(range(0, 3));
    s.append(0, a.views, false, {});
    kept = s.read(0, 10).batch;
  }  // the caller's strings are gone
  EXPECT_GT(s.erase(0), 0u);
  EXPECT_EQ(s.chunks(), 0u);
  ASSERT_EQ(kept.messages().size(), 3u);
  EXPECT_EQ(kept.messages()[2].value, "v2");
  EXPECT_EQ(*kept.messages()[2].key, "k2");
  EXPECT_EQ(kept.messages()[2].topic, "t");
}

// ---- history_store ----

TEST(HistoryStore, TheWindowGivesItsOldestToTheCacheNotAway) {
  history_store h(store_options{2000, 1 << 20, 20'000, chunk_limits{1, 1 << 20}});
  run a(range(0, 10), 500);
  h.append("t", 0, 0, a.views, true, {});
  EXPECT_LE(h.stats().window_bytes, 2000u);
  EXPECT_GT(h.stats().cache_bytes, 0u);
  EXPECT_EQ(h.stats().evicted_chunks, 0u);
  EXPECT_EQ(offsets(h.read("t", 0, 0, 100).batch), range(0, 10));
  EXPECT_EQ(h.ranges(), 1u);
}

TEST(HistoryStore, TheCacheForgetsTheLeastRecentlyReadFirst) {
  run a(range(0, 3), 600);
  partition_store probe(chunk_limits{1, 1 << 20});
  probe.append(0, std::span(a.views).first(1), false, {});
  const std::size_t chunk = probe.bytes();  // every chunk here costs the same
  history_store h(store_options{0, 6 * chunk, 20'000, chunk_limits{1, 1 << 20}});
  h.append("t", 0, 0, a.views, false, {});
  h.append("t", 1, 0, a.views, false, {});
  ASSERT_EQ(h.stats().evicted_chunks, 0u);
  h.read("t", 0, 0, 1);  // partition 0's first chunk is now the most recently read
  run b({3}, 600);
  h.append("t", 1, 3, b.views, false, {});
  EXPECT_GT(h.stats().evicted_chunks, 0u);
  EXPECT_TRUE(h.find("t", 0)->covers(0));   // read recently: kept
  EXPECT_FALSE(h.find("t", 0)->covers(1));  // the oldest unread went first
  EXPECT_LE(h.stats().cache_bytes, 6 * chunk);
  EXPECT_EQ(h.find("t", 0)->bytes() + h.find("t", 1)->bytes(), h.stats().cache_bytes);
}

TEST(HistoryStore, TheNewestAppendOutlivesACacheSmallerThanIt) {
  // Its readers were woken for it: evicting it at once would have them fetch it again forever.
  history_store h(store_options{0, 0, 20'000, chunk_limits{2, 1 << 20}});
  run a(range(0, 4));
  h.append("t", 0, 0, a.views, false, {});
  EXPECT_EQ(offsets(h.read("t", 0, 0, 100).batch), range(0, 4));
  run b(range(4, 6));
  h.append("t", 0, 4, b.views, false, {});
  EXPECT_FALSE(h.find("t", 0)->covers(0));  // read already: gone
  EXPECT_TRUE(h.find("t", 0)->covers(4));   // the newest: kept until the next append
  EXPECT_EQ(h.stats().evicted_chunks, 2u);
}

TEST(HistoryStore, AHeldAppendOutlivesTheNextAppendsUntilReleased) {
  // Two fetchers: the second's append comes before the readers the first woke had their turn.
  history_store h(store_options{0, 0, 20'000, chunk_limits{2, 1 << 20}});
  run a(range(0, 2));
  h.append("t", 0, 0, a.views, false, {});
  const auto held = h.hold_last_append();
  run b(range(0, 2));
  h.append("t", 1, 0, b.views, false, {});
  run c(range(2, 4));
  h.append("t", 1, 2, c.views, false, {});
  EXPECT_TRUE(h.find("t", 0)->covers(0));   // held: still there for its readers
  EXPECT_FALSE(h.find("t", 1)->covers(0));  // neither held nor the newest: gone
  EXPECT_TRUE(h.find("t", 1)->covers(2));   // the newest
  EXPECT_EQ(offsets(h.read("t", 0, 0, 100).batch), range(0, 2));
  h.release(held);
  EXPECT_FALSE(h.find("t", 0)->covers(0));  // read, released: the budget takes it
}

TEST(HistoryStore, AnAppendLargerThanItsWindowIsProtectedInTheCache) {
  history_store h(store_options{10, 0, 20'000, chunk_limits{2, 1 << 20}});
  run a(range(0, 2), 100);
  h.append("t", 0, 0, a.views, true, {});
  EXPECT_TRUE(h.find("t", 0)->covers(0));  // left the window at once, kept for its waiters
  EXPECT_EQ(h.stats().window_bytes, 0u);
}

TEST(HistoryStore, AResetGapIsCachedLikeHistory) {
  history_store h(store_options{0, 1 << 20, 20'000, {}});
  ASSERT_TRUE(h.mark_reset("t", 0, 0, 10, 50));
  auto r = h.read("t", 0, 3, 100);
  ASSERT_TRUE(r.reset_to);
  EXPECT_EQ(*r.reset_to, 50);
  EXPECT_GT(h.stats().cache_bytes, 0u);
}

TEST(HistoryStore, AnEndedLiveReaderLeavesItsWindowInTheCache) {
  history_store h(store_options{1 << 20, 1 << 20, 20'000, {}});
  run a(range(0, 5));
  h.append("t", 0, 0, a.views, true, {});
  const auto bytes = h.stats().window_bytes;
  EXPECT_GT(bytes, 0u);
  h.end_live("t", 0);
  EXPECT_EQ(h.stats().window_bytes, 0u);
  EXPECT_EQ(h.stats().cache_bytes, bytes);
  EXPECT_EQ(h.stats().window_messages, 5u);
}

TEST(HistoryStore, EveryReadKeepsOrderWhateverIsEvicted) {
  // A reader walks a partition while appends and evictions go on: it gets each offset at most
  // once, in order, and a missing offset is always a hole it must fetch, never skipped.
  history_store h(store_options{0, 4000, 20'000, chunk_limits{3, 1 << 20}});
  std::int64_t cursor = 0;
  std::vector<std::int64_t> got;
  std::vector<run> runs;
  while (cursor < 200) {
    const auto* p = h.find("t", 0);
    if (p == nullptr || !p->covers(cursor)) {
      runs.emplace_back(range(cursor, cursor + 7), 100);
      h.append("t", 0, cursor, runs.back().views, false, {});
      continue;
    }
    auto r = h.read("t", 0, cursor, 2);
    for (auto o : offsets(r.batch)) got.push_back(o);
    cursor = r.next;
  }
  EXPECT_EQ(std::vector<std::int64_t>(got.begin(), got.begin() + 200), range(0, 200));
  EXPECT_GT(h.stats().evicted_chunks, 0u);
}

TEST(HistoryStore, OverTheBudgetTheLeastRecentlyReadGoesWhereverTheReadersAre) {
  run a(range(0, 4), 600);
  partition_store probe(chunk_limits{1, 1 << 20});
  probe.append(0, std::span(a.views).first(1), false, {});
  const std::size_t chunk = probe.bytes();
  history_store h(store_options{0, 4 * chunk, 100, chunk_limits{1, 1 << 20}});
  h.add_reader("t", 0, 0);
  h.append("t", 0, 0, std::span(a.views).first(3), false, {});
  h.append("t", 1, 0, std::span(a.views).first(1), false, {});
  h.add_reader("t", 1, 0);
  h.read("t", 0, 0, 1);  // partition 0's offset 0 is now the most recently read
  run b({3}, 600);
  h.append("t", 0, 3, b.views, false, {});
  ASSERT_EQ(h.stats().evicted_chunks, 1u);
  EXPECT_TRUE(h.find("t", 0)->covers(0));
  EXPECT_FALSE(h.find("t", 0)->covers(1));
  EXPECT_TRUE(h.find("t", 0)->covers(2));
  EXPECT_TRUE(h.find("t", 1)->covers(0));
}

TEST(HistoryStore, AFetchedChunkIsDroppedOnceTheLastReaderNearPassedIt) {
  history_store h(store_options{0, 1 << 20, 5, chunk_limits{2, 1 << 20}});
  run a(range(0, 10));
  h.add_reader("t", 0, 0);
  h.add_reader("t", 0, 0);
  h.append("t", 0, 0, a.views, false, {});
  auto r = h.read("t", 0, 0, 4);
  h.move_reader("t", 0, 0, r.next);  // the other reader still needs 0-3
  EXPECT_EQ(h.stats().passed_chunks, 0u);
  EXPECT_TRUE(h.find("t", 0)->covers(0));
  r = h.read("t", 0, 0, 4);
  h.move_reader("t", 0, 0, r.next);
  EXPECT_EQ(h.stats().passed_chunks, 2u);
  EXPECT_FALSE(h.find("t", 0)->covers(0));
  EXPECT_FALSE(h.find("t", 0)->covers(3));
  EXPECT_TRUE(h.find("t", 0)->covers(4));
  // A batch read before outlives the drop; a reader far back does not keep chunks.
  h.remove_reader("t", 0, 4);
  h.add_reader("t", 0, -100);
  auto last = h.read("t", 0, 4, 100);
  h.move_reader("t", 0, 4, last.next);
  EXPECT_EQ(offsets(last.batch), range(4, 10));
  EXPECT_EQ(h.stats().cache_bytes, h.find("t", 0)->bytes());
}

TEST(HistoryStore, WhatLeftALiveWindowStaysWhenPassed) {
  // Clients coming back after an outage read it: only the budget drops it.
  history_store h(store_options{0, 1 << 20, 5, chunk_limits{2, 1 << 20}});
  run a(range(0, 6));
  h.add_reader("t", 0, 0);
  h.append("t", 0, 0, a.views, true, {});
  auto r = h.read("t", 0, 0, 100);
  h.move_reader("t", 0, 0, r.next);
  EXPECT_EQ(h.stats().passed_chunks, 0u);
  EXPECT_TRUE(h.find("t", 0)->covers(0));
}

}  // namespace
}  // namespace kasocki::kafka
