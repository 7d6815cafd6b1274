// Unit tests for the arithmetic of the history scenarios of `kasocki bench`: spread start
// offsets, quota shares, the key + value bytes of an augmented message, the set of offsets.
#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "bench/history_plan.hpp"

namespace kasocki::bench {
namespace {

TEST(BenchSpreadOffset, SpreadsEachPartitionsClientsFromZeroToEndMinusQuota) {
  // 12 clients over 6 partitions: 2 per partition, one at 0 and one at end - quota.
  for (std::size_t i = 0; i < 12; ++i) {
    auto expected = i < 6 ? 0 : 100'000 - 20'000;
    EXPECT_EQ(spread_offset(i, 12, 6, 100'000, 20'000), expected) << i;
  }
}

TEST(BenchSpreadOffset, EvenStepsAndUnevenPartitionCounts) {
  // 7 clients over 3 partitions: partition 0 gets clients 0, 3, 6 (n = 3), 1 gets 1, 4 (n = 2).
  EXPECT_EQ(spread_offset(0, 7, 3, 1'000, 100), 0);
  EXPECT_EQ(spread_offset(3, 7, 3, 1'000, 100), 450);
  EXPECT_EQ(spread_offset(6, 7, 3, 1'000, 100), 900);
  EXPECT_EQ(spread_offset(1, 7, 3, 1'000, 100), 0);
  EXPECT_EQ(spread_offset(4, 7, 3, 1'000, 100), 900);
}

TEST(BenchSpreadOffset, SmallPartitionsAndDegenerateInputs) {
  EXPECT_EQ(spread_offset(6, 12, 6, 5'000, 20'000), 0);   // less than the quota: from 0
  EXPECT_EQ(spread_offset(0, 1, 6, 100'000, 20'000), 0);  // alone on its partition
  EXPECT_EQ(spread_offset(3, 4, 0, 100'000, 20'000), 0);  // no partitions
  EXPECT_EQ(spread_offset(0, 0, 6, 100'000, 20'000), 0);  // no clients
}

TEST(BenchSpreadOffset, EveryStartLeavesTheQuotaBeforeTheEnd) {
  for (std::size_t clients : {1u, 5u, 999u, 1000u, 2000u})
    for (std::size_t i = 0; i < clients; ++i) {
      auto offset = spread_offset(i, clients, 6, 166'667, 20'000);
      EXPECT_GE(offset, 0);
      EXPECT_LE(offset + 20'000, 166'667) << clients << " " << i;
    }
}

TEST(BenchQuotaShare, SplitsExactlyWithTheRemainderFirst) {
  std::int64_t total = 0;
  for (int i = 0; i < 6; ++i) total += quota_share(20'000, i, 6);
  EXPECT_EQ(total, 20'000);
  EXPECT_EQ(quota_share(20'000, 0, 6), 3'334);
  EXPECT_EQ(quota_share(20'000, 1, 6), 3'334);
  EXPECT_EQ(quota_share(20'000, 2, 6), 3'333);
  EXPECT_EQ(quota_share(20'000, 5, 6), 3'333);
  EXPECT_EQ(quota_share(20'000, 0, 1), 20'000);
  EXPECT_EQ(quota_share(20'000, 6, 6), 0);  // out of range
  EXPECT_EQ(quota_share(20'000, 0, 0), 0);
}

TEST(BenchMessageBytes, ValueAndKeyOfAnAugmentedMessage) {
  struct row {
    std::string text;
    std::uint64_t bytes;
  };
  const std::vector<row> rows = {
      // value {"a":1} (7 bytes) + key "kk" (2)
      {R"({"a":1,"_kafka":{"topic":"t","partition":0,"offset":5,"timestamp":1,"key":"kk"}})", 9},
      // a null key adds nothing
      {R"({"a":1,"_kafka":{"topic":"t","partition":0,"offset":5,"timestamp":1,"key":null}})", 7},
      // an empty key
      {R"({"a":1,"_kafka":{"topic":"t","partition":0,"offset":5,"timestamp":1,"key":""}})", 7},
      // a nested `_kafka` in the value: the last member is the gateway's
      {R"({"x":{"_kafka":{}},"_kafka":{"topic":"t","partition":0,"offset":5,"timestamp":1,"key":"k"}})",
       19 + 1},
      // no member at all: the whole text
      {R"({"a":1})", 7},
      {"", 0},
  };
  for (const auto& r : rows) EXPECT_EQ(message_bytes(r.text), r.bytes) << r.text;
}

TEST(BenchOffsetSet, InsertsOnceAndGrows) {
  offset_set seen;
  EXPECT_TRUE(seen.insert(0, 0));
  EXPECT_FALSE(seen.insert(0, 0));
  EXPECT_TRUE(seen.insert(5, 1'000'000));  // a new partition, far offset
  EXPECT_FALSE(seen.insert(5, 1'000'000));
  EXPECT_TRUE(seen.insert(5, 999'999));
  EXPECT_TRUE(seen.insert(0, 63));
  EXPECT_TRUE(seen.insert(0, 64));
  EXPECT_FALSE(seen.insert(-1, 3));  // not a position
  EXPECT_FALSE(seen.insert(0, -3));
  // Against a std::set over a pseudo-random sequence with repeats.
  offset_set bits;
  std::set<std::pair<int, std::int64_t>> reference;
  std::uint64_t x = 12345;
  for (int i = 0; i < 20'000; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    int p = static_cast<int>((x >> 60) % 6);
    auto o = static_cast<std::int64_t>((x >> 20) % 5'000);
    EXPECT_EQ(bits.insert(p, o), reference.insert({p, o}).second);
  }
}

}  // namespace
}  // namespace kasocki::bench
