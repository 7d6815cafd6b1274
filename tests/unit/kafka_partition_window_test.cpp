// partition_window: offsets tiled without holes, reads by offset, eviction, copies that outlive
// the caller's bytes.
#include "libkasocki/kafka/partition_window.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kasocki::kafka {
namespace {

// Messages of partition 0 of "t" at `offsets`, each valued "v<offset>", keyed "k<offset>".
struct run {
  std::vector<std::string> values, keys;
  std::vector<message_view> views;
  explicit run(std::vector<std::int64_t> offsets) {
    values.reserve(offsets.size());
    keys.reserve(offsets.size());
    for (auto o : offsets) {
      values.push_back("v" + std::to_string(o));
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

std::vector<std::int64_t> offsets(const message_batch& b) {
  std::vector<std::int64_t> out;
  for (const auto& m : b.messages()) out.push_back(m.offset);
  return out;
}

TEST(PartitionWindow, StartsEmptyAtItsStart) {
  partition_window w(100);
  EXPECT_EQ(w.first_offset(), 100);
  EXPECT_EQ(w.end_offset(), 100);
  EXPECT_TRUE(w.covers(100));
  EXPECT_FALSE(w.covers(99));
  EXPECT_FALSE(w.covers(101));
  EXPECT_TRUE(w.read(100, 10).empty());
}

TEST(PartitionWindow, ReadsFromAnOffsetUpToMax) {
  partition_window w(0);
  run a({0, 1, 2});
  run b({3, 4});
  w.append(a.views);
  w.append(b.views);
  EXPECT_EQ(w.end_offset(), 5);
  EXPECT_EQ(offsets(w.read(1, 10)), (std::vector<std::int64_t>{1, 2, 3, 4}));  // across chunks
  EXPECT_EQ(offsets(w.read(3, 10)), (std::vector<std::int64_t>{3, 4}));
  EXPECT_EQ(offsets(w.read(0, 2)), (std::vector<std::int64_t>{0, 1}));
  EXPECT_EQ(offsets(w.read(1, 3)), (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_TRUE(w.read(5, 10).empty());
}

TEST(PartitionWindow, CopiesValuesKeysAndTopic) {
  partition_window w(7);
  message_batch batch;
  {
    run a({7, 8});
    w.append(a.views);
    batch = w.read(7, 10);
  }  // the caller's bytes are gone
  ASSERT_EQ(batch.messages().size(), 2u);
  EXPECT_EQ(batch.messages()[1].value, "v8");
  EXPECT_EQ(*batch.messages()[1].key, "k8");
  EXPECT_EQ(batch.messages()[1].topic, "t");
  EXPECT_NE(batch.messages()[1].annotation, nullptr);
}

TEST(PartitionWindow, OffsetsMissingInKafkaAreSkippedNotWaitedFor) {
  partition_window w(10);
  run a({12, 15});  // compacted away: 10, 11, 13, 14
  w.append(a.views);
  EXPECT_EQ(offsets(w.read(10, 10)), (std::vector<std::int64_t>{12, 15}));
  EXPECT_EQ(offsets(w.read(13, 10)), (std::vector<std::int64_t>{15}));
}

TEST(PartitionWindow, EvictionMovesTheFirstOffsetAndKeepsReadBatchesAlive) {
  partition_window w(0);
  run a({0, 1});
  run b({2, 3});
  w.append(a.views);
  w.append(b.views);
  auto held = w.read(0, 2);
  const auto before = w.bytes();
  const auto freed = w.evict_oldest();
  EXPECT_GT(freed, 0u);
  EXPECT_EQ(w.bytes(), before - freed);
  EXPECT_EQ(w.first_offset(), 2);
  EXPECT_FALSE(w.covers(1));
  EXPECT_EQ(held.messages()[0].value, "v0");  // the evicted chunk lives while a batch holds it
  w.evict_oldest();
  EXPECT_EQ(w.first_offset(), 4);
  EXPECT_EQ(w.bytes(), 0u);
  EXPECT_EQ(w.evict_oldest(), 0u);
  EXPECT_TRUE(w.covers(4));
}

TEST(PartitionWindow, ChargesAttachedBytesToTheNewestChunk) {
  partition_window w(0);
  run a({0});
  w.append(a.views);
  const auto before = w.bytes();
  w.charge_last(1000);
  EXPECT_EQ(w.bytes(), before + 1000);
  EXPECT_EQ(w.evict_oldest(), before + 1000);
}

}  // namespace
}  // namespace kasocki::kafka
