// Tests of the SSE wire pieces and the stream's id (libkasocki/sse/event_format.hpp,
// stream_positions.hpp).
#include <gtest/gtest.h>

#include <vector>

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

// The id is kept rendered and only the moved entry's digits rewritten: after every advance (digit
// counts growing and shrinking, in either format) it equals a fresh rendering.
TEST(SsePositions, KeptIdEqualsAFreshRendering) {
  const std::vector<stream_positions::entry> start = {
      {"a", 0, 9, 99}, {"b", 3, 0, 0}, {"a", 1, 5, 5}};
  const std::int64_t offsets[] = {9, 99, 999, 5, 12345, 0, 99999, 7};
  for (auto format : {id_format::offset, id_format::timestamp}) {
    stream_positions kept(start);
    std::vector<stream_positions::entry> now = start;
    EXPECT_EQ(kept.id(format), stream_positions(now).render(format));
    for (std::size_t i = 0; i < std::size(offsets); ++i) {
      const std::size_t e = i % now.size();
      auto moved = kept.advance(now[e].topic, now[e].partition, offsets[i],
                                i % 3 ? std::optional<std::int64_t>(offsets[i] * 7) : std::nullopt);
      ASSERT_EQ(moved, e);
      now[e].next_offset = offsets[i] + 1;
      if (i % 3) now[e].next_timestamp = offsets[i] * 7 + 1;
      EXPECT_EQ(kept.id(format), stream_positions(now).render(format)) << i;
      EXPECT_EQ(kept.render(format), stream_positions(now).render(format)) << i;
    }
    EXPECT_FALSE(kept.advance("c", 0, 1, 1));
    // A copy replaying the advances with set() renders the same.
    stream_positions replay(start);
    replay.id(format);
    for (std::size_t e = 0; e < now.size(); ++e)
      replay.set(e, now[e].next_offset, now[e].next_timestamp);
    EXPECT_EQ(replay.id(format), kept.id(format));
  }
}

// The kept length follows the digit counts without a rendering (the stream's per-message path).
TEST(SsePositions, KeptIdSizeEqualsAFreshRenderingsLength) {
  const std::vector<stream_positions::entry> start = {{"a", 0, 9, 99}, {"b", 3, 0, 0}};
  const std::int64_t offsets[] = {9, 99, 999, 5, 12345, 0, 99999, 7};
  for (auto format : {id_format::offset, id_format::timestamp}) {
    stream_positions sized(start);
    std::vector<stream_positions::entry> now = start;
    EXPECT_EQ(sized.id_size(format), stream_positions(now).render(format).size());
    for (std::size_t i = 0; i < std::size(offsets); ++i) {
      const std::size_t e = i % now.size();
      sized.advance(now[e].topic, now[e].partition, offsets[i], offsets[i] * 7);
      now[e].next_offset = offsets[i] + 1;
      now[e].next_timestamp = offsets[i] * 7 + 1;
      EXPECT_EQ(sized.id_size(format), stream_positions(now).render(format).size()) << i;
    }
  }
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
