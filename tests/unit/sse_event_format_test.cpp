// Tests of the SSE wire pieces and the stream's id (libkasocki/sse/event_format.hpp,
// stream_positions.hpp).
#include <gtest/gtest.h>

#include "libkasocki/sse/event_format.hpp"
#include "libkasocki/sse/stream_positions.hpp"

namespace {

using namespace kasocki::sse;

TEST(SseEventFormat, MessageFraming) {
  EXPECT_EQ(message_head(false, "[1]") + "{}" + std::string(message_tail(false)),
            "event: message\nid: [1]\ndata: {}\n\n");
  EXPECT_EQ(message_head(true, "[1]") + "{}" + std::string(message_tail(true)), "{}\n");
  EXPECT_EQ(keepalive(false), ":\n\n");
  EXPECT_EQ(keepalive(true), "\n");
  EXPECT_EQ(ok_comment, ":ok\n\n");
}

TEST(SseEventFormat, ErrorEventIsOneDataLine) {
  json error = {{"name", "X"}, {"message", "a\nb"}};
  EXPECT_EQ(error_event(false, error, "[]"),
            "event: error\nid: []\ndata: {\"name\":\"X\",\"message\":\"a\\nb\"}\n\n");
  EXPECT_EQ(error_event(false, error, ""),
            "event: error\ndata: {\"name\":\"X\",\"message\":\"a\\nb\"}\n\n");
  EXPECT_EQ(error_event(true, error, "[]"), "{\"name\":\"X\",\"message\":\"a\\nb\"}\n");
}

TEST(SseEventFormat, SingleLine) {
  EXPECT_FALSE(single_line(R"({"a":1})"));
  EXPECT_EQ(single_line("{\n  \"a\": 1\r\n}"), "{   \"a\": 1  }");
}

TEST(SseEventFormat, ChunkHead) {
  const std::pair<std::size_t, const char*> rows[] = {
      {0, "0\r\n"}, {1, "1\r\n"}, {15, "f\r\n"}, {16, "10\r\n"}, {65535, "ffff\r\n"}};
  for (auto [size, head] : rows) EXPECT_EQ(chunk_head(size), head);
}

TEST(SsePositions, RendersBothFormatsAndAdvances) {
  stream_positions p({{"t", 0, 10, 100}, {"t\"q", 1, 20, 200}});
  EXPECT_EQ(
      p.render(id_format::offset),
      R"([{"topic":"t","partition":0,"offset":10},{"topic":"t\"q","partition":1,"offset":20}])");
  p.advance("t", 0, 41, 1700000000000);
  p.advance("t", 9, 1, 1);  // not a partition of the stream
  p.advance("t\"q", 1, 20, std::nullopt);
  EXPECT_EQ(
      p.render(id_format::offset),
      R"([{"topic":"t","partition":0,"offset":42},{"topic":"t\"q","partition":1,"offset":21}])");
  EXPECT_EQ(
      p.render(id_format::timestamp),
      R"([{"topic":"t","partition":0,"timestamp":1700000000001},{"topic":"t\"q","partition":1,"timestamp":200}])");
}

TEST(SsePositions, RenderedIdParsesBackAsLastEventId) {
  stream_positions p({{"a", 0, 5, 50}, {"a", 1, 6, 60}});
  for (auto format : {id_format::offset, id_format::timestamp}) {
    auto back = parse_last_event_id(p.render(format));
    ASSERT_TRUE(back);
    ASSERT_EQ(back->size(), 2u);
    if (format == id_format::offset)
      EXPECT_EQ((*back)[1].offset, 6);
    else
      EXPECT_EQ((*back)[1].timestamp, 60);
  }
}

}  // namespace
