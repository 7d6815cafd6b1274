// Unit tests for the pure parts of resuming a `kasocki bench` connection on another gateway:
// the resubscription after the last offset received, what a closed connection means, the URL of
// each connection, the recovery figures and --watch-pid's NAME=PID.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bench/resume.hpp"

namespace kasocki::bench {
namespace {

TEST(BenchResume, SubscribesAfterTheLastOffsetReceivedPerPartition) {
  offset_tracker tracker;
  std::vector<std::int64_t> first = {10, 20, 30};
  for (std::int32_t p = 0; p < 3; ++p) tracker.expect(p, first[static_cast<std::size_t>(p)]);
  tracker.record(0, 10);
  tracker.record(0, 11);
  tracker.record(2, 30);
  auto spec = resume_assignment("t", first, tracker);
  ASSERT_EQ(spec.size(), 3u);
  EXPECT_EQ(spec[0], (nlohmann::json{{"topic", "t"}, {"partition", 0}, {"offset", 12}}));
  // Nothing received on partition 1 yet: where it was first assigned.
  EXPECT_EQ(spec[1], (nlohmann::json{{"topic", "t"}, {"partition", 1}, {"offset", 20}}));
  EXPECT_EQ(spec[2], (nlohmann::json{{"topic", "t"}, {"partition", 2}, {"offset", 31}}));
}

TEST(BenchResume, LeavesOutPartitionsNeverAssigned) {
  offset_tracker tracker;
  tracker.expect(1, 5);
  auto spec = resume_assignment("t", {-1, 5}, tracker);
  ASSERT_EQ(spec.size(), 1u);
  EXPECT_EQ(spec[0]["partition"], 1);
  EXPECT_EQ(spec[0]["offset"], 5);
}

TEST(BenchResume, ADuplicateDoesNotMoveTheResumePoint) {
  offset_tracker tracker;
  tracker.expect(0, 0);
  tracker.record(0, 0);
  tracker.record(0, 1);
  tracker.record(0, 0);  // repeated by the server: counted, and resuming stays after 1
  EXPECT_EQ(resume_assignment("t", {0}, tracker)[0]["offset"], 2);
}

TEST(BenchResume, WhatAClosedConnectionMeans) {
  // stopping, done, reconnecting, resume_on_close
  EXPECT_EQ(on_closed(true, false, false, true), close_action::ignore);
  EXPECT_EQ(on_closed(false, true, false, true), close_action::ignore);
  EXPECT_EQ(on_closed(false, false, true, false), close_action::resume);
  EXPECT_EQ(on_closed(false, false, false, true), close_action::resume);
  EXPECT_EQ(on_closed(false, false, false, false), close_action::fail);
}

TEST(BenchResume, ConnectionsTakeTheUrlsInTurn) {
  std::vector<std::string> urls = {"http://a", "http://b"};
  EXPECT_EQ(url_of(urls, 0), "http://a");
  EXPECT_EQ(url_of(urls, 1), "http://b");
  EXPECT_EQ(url_of(urls, 2), "http://a");
  EXPECT_EQ(url_of({"http://only"}, 7), "http://only");
}

TEST(BenchResume, RecoveryFiguresAreMaxAndMedian) {
  EXPECT_FALSE(summarize_recovery({}));
  auto one = summarize_recovery({0.4});
  ASSERT_TRUE(one);
  EXPECT_DOUBLE_EQ(one->max, 0.4);
  EXPECT_DOUBLE_EQ(one->p50, 0.4);
  auto some = summarize_recovery({3.0, 1.0, 2.0, 0.5, 1.5});
  ASSERT_TRUE(some);
  EXPECT_DOUBLE_EQ(some->max, 3.0);
  EXPECT_DOUBLE_EQ(some->p50, 1.5);
}

TEST(BenchResume, NamedPids) {
  auto gw = parse_named_pid("gw1=1234");
  ASSERT_TRUE(gw);
  EXPECT_EQ(gw->name, "gw1");
  EXPECT_EQ(gw->pid, 1234);
  for (const char* bad : {"", "gw1", "=12", "gw1=", "gw1=0", "gw1=-3", "gw1=12x", "gw1=99999999"})
    EXPECT_FALSE(parse_named_pid(bad)) << bad;
  auto eq = parse_named_pid("a=b=3");  // the name ends at the first '='
  EXPECT_FALSE(eq);
}

}  // namespace
}  // namespace kasocki::bench
