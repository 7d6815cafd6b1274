// Unit tests for the pure bookkeeping of `kasocki bench`: the `_kafka` tail parser, the
// per-partition offset tracker and the latency histogram's percentiles.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "bench/stats.hpp"

namespace kasocki::bench {
namespace {

TEST(BenchKafkaTail, RfindStringIsRfind) {
  const std::string_view texts[] = {"", "a", "aa", "abcabc", "xyz\"_kafka\":{\"_kafka\":{q", "{{{"};
  const std::string_view needles[] = {"a", "aa", "abc", "bca", "\"_kafka\":{", "{{", "zzzz", "q"};
  for (auto text : texts)
    for (auto needle : needles)
      EXPECT_EQ(detail::rfind_string(text, needle), text.rfind(needle)) << text << " " << needle;
}

TEST(BenchKafkaTail, ReadsTheGatewaysMember) {
  auto tail = parse_kafka_tail(
      R"({"a":1,"_kafka":{"topic":"t","partition":3,"offset":123456,"timestamp":1700000000123,"key":"k"}})");
  ASSERT_TRUE(tail);
  EXPECT_EQ(tail->partition, 3);
  EXPECT_EQ(tail->offset, 123456);
  ASSERT_TRUE(tail->timestamp);
  EXPECT_EQ(*tail->timestamp, 1700000000123);
}

TEST(BenchKafkaTail, NullTimestampAndKey) {
  auto tail = parse_kafka_tail(
      R"({"_kafka":{"topic":"t","partition":0,"offset":0,"timestamp":null,"key":null}})");
  ASSERT_TRUE(tail);
  EXPECT_EQ(tail->partition, 0);
  EXPECT_EQ(tail->offset, 0);
  EXPECT_FALSE(tail->timestamp);
}

TEST(BenchKafkaTail, UsesTheLastMemberNotANestedOrQuotedOne) {
  // A nested `_kafka` earlier in the value, and a key string that mentions the member names:
  // the quotes inside a string are escaped, so neither can be mistaken for the real tail.
  std::string text =
      R"({"inner":{"_kafka":{"topic":"x","partition":9,"offset":9,"timestamp":9}},)"
      R"("note":"\"_kafka\":{\"partition\":7","_kafka":{"topic":"t","partition":1,"offset":42,)"
      R"("timestamp":5,"key":"\"offset\":99"}})";
  auto tail = parse_kafka_tail(text);
  ASSERT_TRUE(tail);
  EXPECT_EQ(tail->partition, 1);
  EXPECT_EQ(tail->offset, 42);
  EXPECT_EQ(tail->timestamp, 5);
}

TEST(BenchKafkaTail, WorksOnConsumeAckArguments) {
  // A consume ack's raw arguments are "null,<message>".
  auto tail = parse_kafka_tail(
      R"(null,{"x":"y","_kafka":{"topic":"t","partition":2,"offset":8,"timestamp":10,"key":null}})");
  ASSERT_TRUE(tail);
  EXPECT_EQ(tail->partition, 2);
  EXPECT_EQ(tail->offset, 8);
}

TEST(BenchKafkaTail, RejectsWhatIsNotATail) {
  const std::vector<std::string> bad = {
      "",
      "{}",
      R"({"a":1})",
      R"({"_kafka":{"topic":"t"}})",
      R"({"_kafka":{"topic":"t","partition":-1,"offset":1,"timestamp":1}})",
      R"({"_kafka":{"topic":"t","partition":1,"offset":"1","timestamp":1}})",
      R"({"_kafka":{"topic":"t","partition":1,"offset":1}})",
      R"({"_kafka":{"topic":"t","partition":1,"offset":1,"timestamp":x}})",
      R"({"_kafka":{"topic":"t","partition":1,"offset":12345678901234567890123,"timestamp":1}})",
      R"({"_kafka":{"topic":"t","partition":1,"offset":)",
  };
  for (const auto& text : bad) EXPECT_FALSE(parse_kafka_tail(text)) << text;
}

TEST(BenchOffsetTracker, InOrderStreamsHaveNoGaps) {
  offset_tracker t;
  t.expect(0, 10);
  for (std::int64_t o = 10; o < 20; ++o) EXPECT_EQ(t.record(0, o), offset_verdict::in_order);
  for (std::int64_t o = 0; o < 5; ++o) EXPECT_EQ(t.record(3, o), offset_verdict::in_order);
  EXPECT_EQ(t.gaps(), 0u);
  EXPECT_EQ(t.duplicates(), 0u);
  EXPECT_EQ(t.last(0), 19);
  EXPECT_EQ(t.last(3), 4);
  EXPECT_EQ(t.last(1), -1);
  EXPECT_EQ(t.last(99), -1);
}

TEST(BenchOffsetTracker, CountsHolesAndTheOffsetsInThem) {
  offset_tracker t;
  t.expect(0, 0);
  EXPECT_EQ(t.record(0, 2), offset_verdict::gap);  // 0 and 1 skipped at the start
  EXPECT_EQ(t.record(0, 3), offset_verdict::in_order);
  EXPECT_EQ(t.record(0, 7), offset_verdict::gap);  // 4, 5, 6
  EXPECT_EQ(t.gaps(), 2u);
  EXPECT_EQ(t.missing(), 5);
  EXPECT_EQ(t.duplicates(), 0u);
}

TEST(BenchOffsetTracker, CountsRepeatsAndReorderingAsDuplicates) {
  offset_tracker t;
  EXPECT_EQ(t.record(1, 5), offset_verdict::in_order);  // no expectation: the first sets it
  EXPECT_EQ(t.record(1, 6), offset_verdict::in_order);
  EXPECT_EQ(t.record(1, 6), offset_verdict::duplicate);
  EXPECT_EQ(t.record(1, 3), offset_verdict::duplicate);
  // Going backwards does not move the expectation: 7 is still in order.
  EXPECT_EQ(t.record(1, 7), offset_verdict::in_order);
  EXPECT_EQ(t.duplicates(), 2u);
  EXPECT_EQ(t.gaps(), 0u);
  EXPECT_EQ(t.last(1), 7);
}

TEST(BenchOffsetTracker, PartitionsAreIndependent) {
  offset_tracker t;
  t.expect(0, 0);
  t.expect(1, 100);
  EXPECT_EQ(t.record(0, 0), offset_verdict::in_order);
  EXPECT_EQ(t.record(1, 100), offset_verdict::in_order);
  EXPECT_EQ(t.record(0, 1), offset_verdict::in_order);
  EXPECT_EQ(t.record(1, 0), offset_verdict::duplicate);
  EXPECT_EQ(t.record(0, 2), offset_verdict::in_order);
  EXPECT_EQ(t.duplicates(), 1u);
}

// A reconnect resubscribes each partition at next(): the offset after the last one received,
// or the first expected one when nothing arrived, and unknown for a partition never seen.
TEST(BenchOffsetTracker, NextIsWhereAResubscriptionStarts) {
  offset_tracker t;
  t.expect(0, 10);
  t.expect(1, 7);
  EXPECT_EQ(t.next(0), 10);
  t.record(0, 10);
  t.record(0, 11);
  EXPECT_EQ(t.next(0), 12);
  EXPECT_EQ(t.next(1), 7);
  EXPECT_EQ(t.next(2), -1);
  t.record(0, 11);  // a repeat does not move the expectation back
  EXPECT_EQ(t.next(0), 12);
  t.record(0, 15);  // a gap moves it past the hole
  EXPECT_EQ(t.next(0), 16);
}

TEST(BenchLatencyHistogram, BucketsRoundTripWithinOnePointSixPercent) {
  for (std::uint64_t v : {0ull, 1ull, 127ull, 128ull, 129ull, 1000ull, 65'535ull, 1'000'000ull,
                          123'456'789ull, (1ull << 62) + 12345, ~0ull}) {
    auto b = latency_histogram::bucket_of(v);
    ASSERT_LT(b, latency_histogram::bucket_count) << v;
    auto upper = latency_histogram::bucket_upper(b);
    EXPECT_GE(upper, v);
    EXPECT_LE(static_cast<double>(upper - v), static_cast<double>(v) / 64.0 + 0.5) << v;
    if (b > 0) {
      EXPECT_LT(latency_histogram::bucket_upper(b - 1), v) << v;
    }
  }
}

TEST(BenchLatencyHistogram, ExactBelow128) {
  latency_histogram h;
  for (std::int64_t v = 1; v <= 100; ++v) h.record(v);
  EXPECT_EQ(h.count(), 100u);
  EXPECT_EQ(h.percentile(0.50), 50u);
  EXPECT_EQ(h.percentile(0.99), 99u);
  EXPECT_EQ(h.percentile(1.0), 100u);
  EXPECT_EQ(h.max(), 100u);
}

TEST(BenchLatencyHistogram, PercentilesOfAWideDistribution) {
  latency_histogram h;
  std::vector<std::int64_t> values;
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> dist(8.0, 1.5);  // median e^8 ~ 2981 us
  for (int i = 0; i < 100'000; ++i) values.push_back(static_cast<std::int64_t>(dist(rng)));
  for (auto v : values) h.record(v);
  std::sort(values.begin(), values.end());
  auto exact = [&](double q) {
    return static_cast<double>(values[static_cast<std::size_t>(q * values.size()) - 1]);
  };
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    double got = static_cast<double>(h.percentile(q));
    EXPECT_GE(got, exact(q)) << q;
    EXPECT_LE(got, exact(q) * 1.02 + 1) << q;
  }
  EXPECT_EQ(h.max(), static_cast<std::uint64_t>(values.back()));
  EXPECT_LE(h.percentile(1.0), h.max());
}

TEST(BenchLatencyHistogram, EmptyNegativeAndMerged) {
  latency_histogram a, b;
  EXPECT_EQ(a.percentile(0.5), 0u);
  a.record(-5);  // clocks disagreeing: counted as zero
  EXPECT_EQ(a.percentile(0.5), 0u);
  for (int i = 0; i < 99; ++i) b.record(1'000'000);
  a.merge(b);
  EXPECT_EQ(a.count(), 100u);
  EXPECT_EQ(a.percentile(0.01), 0u);
  EXPECT_GE(a.percentile(0.5), 1'000'000u);
  EXPECT_LE(a.percentile(0.5), 1'016'000u);
  EXPECT_EQ(a.max(), 1'000'000u);
}

}  // namespace
}  // namespace kasocki::bench
