// Unit tests of the log-repeat collapser: the key of a librdkafka line, first lines written,
// repeats counted into one summary when the kind goes quiet, spans too long, or everything ends.
#include "libkasocki/common/repeat_collapser.hpp"

#include <gtest/gtest.h>

namespace kasocki::log {
namespace {

using namespace std::chrono_literals;
using clock = repeat_collapser::clock;

TEST(RepeatKey, DropsTheThreadAndTheParenthesisedParts) {
  EXPECT_EQ(repeat_key("[thrd:localhost:9092/1]: localhost:9092/1: Connect to ipv4#127.0.0.1:9092 "
                       "failed: Connection refused (after 0ms in state CONNECT)"),
            "localhost:9092/1: Connect to ipv4#127.0.0.1:9092 failed: Connection refused");
  EXPECT_EQ(repeat_key("x failed: refused (after 21ms in state CONNECT, 5 identical error(s) "
                       "suppressed)"),
            repeat_key("x failed: refused (after 0ms in state CONNECT)"));
  EXPECT_EQ(repeat_key("[thrd:a]: 1/1 brokers are down"), "1/1 brokers are down");
  EXPECT_NE(repeat_key("1/1 brokers are down"), repeat_key("0/1 brokers are down"));
  EXPECT_EQ(repeat_key(""), "");
  EXPECT_EQ(repeat_key("[thrd:unterminated"), "[thrd:unterminated");
  EXPECT_EQ(repeat_key("a ) b ( c"), "a ) b");  // unbalanced: never throws
}

repeat_collapser::line text(const char* message) {
  return {level::error, message, {{"source", "librdkafka"}}};
}

TEST(RepeatCollapser, WritesTheFirstOfAKindAndCountsItsRepeats) {
  repeat_collapser c(30s, 5min);
  const auto t0 = clock::time_point{} + 1h;
  EXPECT_TRUE(c.offer("down", text("1/1 brokers are down"), t0));
  EXPECT_TRUE(c.offer("connect", text("connect failed"), t0 + 1ms));
  for (int i = 1; i <= 50; ++i) EXPECT_FALSE(c.offer("down", text("again"), t0 + i * 100ms));
  EXPECT_TRUE(c.take_quiet(t0 + 10s).empty());  // still repeating: nothing yet
  auto summaries = c.take_quiet(t0 + 5s + 30s);
  ASSERT_EQ(summaries.size(), 1u);  // "connect" went quiet without repeats: no summary
  EXPECT_EQ(summaries[0].message, "1/1 brokers are down");
  EXPECT_EQ(summaries[0].severity, level::error);
  EXPECT_EQ(summaries[0].fields["source"], "librdkafka");
  EXPECT_EQ(summaries[0].fields["repeated"], 50);
  EXPECT_DOUBLE_EQ(summaries[0].fields["seconds"].get<double>(), 5.0);
  EXPECT_EQ(c.kinds(), 0u);
  // The kind ended: its next line is written again.
  EXPECT_TRUE(c.offer("down", text("1/1 brokers are down"), t0 + 60s));
}

TEST(RepeatCollapser, TakeAllEndsEveryKind) {
  repeat_collapser c(30s, 5min);
  const auto t0 = clock::time_point{} + 1h;
  c.offer("a", text("a"), t0);
  c.offer("a", text("a"), t0 + 1s);
  c.offer("b", text("b"), t0);
  auto summaries = c.take_all();
  ASSERT_EQ(summaries.size(), 1u);
  EXPECT_EQ(summaries[0].fields["repeated"], 1);
  EXPECT_TRUE(c.offer("a", text("a"), t0 + 2s));
}

TEST(RepeatCollapser, ALongRunGetsASummaryEverySpan) {
  repeat_collapser c(30s, 5min);
  const auto t0 = clock::time_point{} + 1h;
  c.offer("a", text("a"), t0);
  int summaries = 0;
  for (auto t = t0 + 1s; t < t0 + 16min; t += 1s) {
    EXPECT_FALSE(c.offer("a", text("a"), t));
    summaries += static_cast<int>(c.take_quiet(t).size());
  }
  EXPECT_EQ(summaries, 3);
}

}  // namespace
}  // namespace kasocki::log
