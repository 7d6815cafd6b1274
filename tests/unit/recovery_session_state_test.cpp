// Unit tests for the binary form of a recovery cursor's session state.
#include <gtest/gtest.h>

#include <limits>

#include "libkasocki/recovery/session_state.hpp"

using namespace kasocki::recovery;

namespace {

session_state six_partitions(std::int64_t base) {
  session_state s;
  s.topics.push_back({topic_hash("mediawiki.recentchange"), {}});
  for (int p = 0; p < 6; ++p) s.topics[0].partitions.push_back({p, base + p * 1000});
  return s;
}

session_state round_trip(const session_state& s) {
  std::string bytes;
  encode_state(s, bytes);
  auto decoded = decode_state(bytes);
  EXPECT_TRUE(decoded.has_value());
  return decoded ? *decoded : session_state{};
}

}  // namespace

TEST(SessionState, RoundTrips) {
  session_state empty;
  EXPECT_EQ(round_trip(empty), empty);

  auto s = six_partitions(123456789);
  s.started = true;
  s.age_minutes = 1440;
  s.filters = R"({"meta.domain":"/wiki/i","bot":false})";
  EXPECT_EQ(round_trip(s), s);

  session_state sparse;  // partitions not 0..n-1, offsets going down and up
  sparse.topics.push_back({topic_hash("a"), {{3, 10}, {7, 0}, {9, 1LL << 40}}});
  sparse.topics.push_back({topic_hash("b"), {}});
  EXPECT_EQ(round_trip(sparse), sparse);

  session_state many;  // more topics than the head byte counts
  for (std::uint32_t t = 0; t < 40; ++t) many.topics.push_back({t, {{0, t}}});
  EXPECT_EQ(round_trip(many), many);

  session_state extremes;
  extremes.topics.push_back({0xffffffff,
                             {{0, std::numeric_limits<std::int64_t>::max()},
                              {std::numeric_limits<std::int32_t>::max(), 0}}});
  extremes.age_minutes = std::numeric_limits<std::uint32_t>::max();
  EXPECT_EQ(round_trip(extremes), extremes);
}

TEST(SessionState, SixPartitionsBelowTwoToTheThirtyTwoFitIn38Bytes) {
  // The worst case: every offset needs 5 bytes, and so does every delta.
  session_state s;
  s.topics.push_back({topic_hash("t"), {}});
  for (int p = 0; p < 6; ++p) s.topics[0].partitions.push_back({p, p % 2 ? 0 : (1LL << 32) - 1});
  s.started = true;
  s.age_minutes = 16383;  // 11 days: the largest two-byte age
  std::string bytes;
  encode_state(s, bytes);
  EXPECT_LE(bytes.size(), 38u);
  // With similar offsets (1000 apart) the deltas take 2 bytes each instead of 5.
  bytes.clear();
  encode_state(six_partitions(4000000000), bytes);
  EXPECT_EQ(bytes.size(), 1u + 1 + 4 + 1 + 5 + 5 * 2);
}

TEST(SessionState, RejectsMalformed) {
  std::string good;
  encode_state(six_partitions(5), good);
  EXPECT_TRUE(decode_state(good).has_value());
  std::vector<std::string> bad = {
      "",                                          // nothing
      std::string(1, '\x02'),                      // version 2
      good.substr(0, good.size() - 1),             // cut off
      good + "x",                                  // trailing bytes
      std::string("\x01\x80", 2),                  // a varint cut off
      std::string("\x11\x00\x00\x00\x00\x00", 6),  // a topic without its offsets
      std::string("\xf1\x05\x00", 3),              // a topic count below 15 in the varint
      std::string("\x09\x00\x05{}", 5),            // filters longer than the input
      // a partition over INT32_MAX
      std::string("\x11\x00\x00\x00\x00\x00\x02\x80\x80\x80\x80\x08\x00", 13),
      // an offset over INT64_MAX
      std::string("\x11\x00\x00\x00\x00\x00\x03\xff\xff\xff\xff\xff\xff\xff\xff\x80\x01", 17),
      // an offset going below zero
      std::string("\x11\x00\x00\x00\x00\x00\x05\x01\x03", 9),
      // a varint over 64 bits
      std::string("\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 11),
  };
  for (const auto& b : bad)
    EXPECT_EQ(decode_state(b).has_value(), false) << testing::PrintToString(b);
}

TEST(SessionState, CountsCannotOutgrowTheInput) {
  // A topic count of 2^60 in 10 bytes: refused before anything is allocated.
  std::string bytes("\xf1", 1);
  put_varint(1ULL << 60, bytes);
  bytes.push_back('\0');
  EXPECT_FALSE(decode_state(bytes).has_value());
}

TEST(SessionState, TopicHashIsFnv1a) {
  EXPECT_EQ(topic_hash(""), 2166136261u);
  EXPECT_EQ(topic_hash("a"), 0xe40c292cu);
  EXPECT_NE(topic_hash("topic-1"), topic_hash("topic-2"));
}
