// Unit tests for the SSE side of `kasocki bench`: the in-place event scanner (whole bodies and
// bodies cut at every byte).
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "bench/sse_scan.hpp"

namespace kasocki::bench {
namespace {

struct collected {
  std::vector<std::string> events;  // type \0 id \0 data
  std::vector<std::string> comments;
};

bool feed(sse_scanner& scanner, std::string_view bytes, collected& out) {
  return scanner.feed(
      bytes,
      [&](std::string_view type, std::string_view id, std::string_view data) {
        out.events.push_back(std::string(type) + '\0' + std::string(id) + '\0' + std::string(data));
      },
      [&](std::string_view comment) { out.comments.emplace_back(comment); });
}

std::string event(std::string_view type, std::string_view id, std::string_view data) {
  return std::string(type) + '\0' + std::string(id) + '\0' + std::string(data);
}

const std::string body =
    ":ok\n\n"
    "event: message\nid: [{\"topic\":\"t\",\"partition\":0,\"offset\":1}]\ndata: {\"a\":1}\n\n"
    ":\n\n"
    "event: message\nid: [{\"topic\":\"t\",\"partition\":0,\"offset\":2}]\ndata: {\"a\":2}\n\n"
    "event: error\ndata: {\"name\":\"X\"}\n\n";

TEST(BenchSseScanner, ReadsKasockisStream) {
  sse_scanner scanner;
  collected out;
  ASSERT_TRUE(feed(scanner, body, out));
  ASSERT_EQ(out.events.size(), 3u);
  EXPECT_EQ(out.events[0],
            event("message", R"([{"topic":"t","partition":0,"offset":1}])", R"({"a":1})"));
  EXPECT_EQ(out.events[2], event("error", "", R"({"name":"X"})"));
  EXPECT_EQ(out.comments, (std::vector<std::string>{"ok", ""}));
}

TEST(BenchSseScanner, SameEventsWhenCutAnywhere) {
  sse_scanner whole_scanner;
  collected whole;
  ASSERT_TRUE(feed(whole_scanner, body, whole));
  for (std::size_t a = 0; a <= body.size(); ++a) {
    for (std::size_t b = a; b <= body.size(); b += 7) {
      sse_scanner scanner;
      collected cut;
      ASSERT_TRUE(feed(scanner, std::string_view(body).substr(0, a), cut));
      ASSERT_TRUE(feed(scanner, std::string_view(body).substr(a, b - a), cut));
      ASSERT_TRUE(feed(scanner, std::string_view(body).substr(b), cut));
      EXPECT_EQ(cut.events, whole.events) << "cut at " << a << " and " << b;
      EXPECT_EQ(cut.comments, whole.comments) << "cut at " << a << " and " << b;
    }
  }
}

TEST(BenchSseScanner, JoinsDataLinesAndDropsCr) {
  sse_scanner scanner;
  collected out;
  ASSERT_TRUE(feed(scanner, "data: a\r\ndata:b\nid: 7\nunknown: x\n\ndata: c\n\n", out));
  ASSERT_EQ(out.events.size(), 2u);
  EXPECT_EQ(out.events[0], event("message", "7", "a\nb"));
  EXPECT_EQ(out.events[1], event("message", "", "c"));
}

TEST(BenchSseScanner, BlockWithoutDataIsNoEvent) {
  sse_scanner scanner;
  collected out;
  ASSERT_TRUE(feed(scanner, "event: message\nid: 1\n\n\n\n", out));
  EXPECT_TRUE(out.events.empty());
}

TEST(BenchSseScanner, StopsOnABlockOverItsLimit) {
  sse_scanner scanner(16);
  collected out;
  EXPECT_TRUE(feed(scanner, "data: short\n\n", out));
  EXPECT_FALSE(feed(scanner, "data: 0123456789abcdef", out));
  EXPECT_TRUE(scanner.failed());
  EXPECT_FALSE(feed(scanner, "\n\ndata: x\n\n", out));
  EXPECT_EQ(out.events.size(), 1u);
}

}  // namespace
}  // namespace kasocki::bench
