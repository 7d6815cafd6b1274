// Table-driven tests of the client's SSE parser (client/sse_event_parser.hpp) and request target.
#include <gtest/gtest.h>

#include <vector>

#include "client/sse_event_parser.hpp"
#include "client/sse_reader.hpp"

namespace {

using kasocki::client::sse_event;
using kasocki::client::sse_event_parser;

std::vector<sse_event> parse_all(const std::vector<std::string>& pieces) {
  sse_event_parser parser;
  std::vector<sse_event> out;
  for (const auto& p : pieces)
    EXPECT_TRUE(parser.feed(p, [&](const sse_event& e) { out.push_back(e); }));
  return out;
}

TEST(ClientSseParser, EventsInAnyPieces) {
  const std::string wire =
      ":ok\n\nevent: message\nid: [1]\ndata: {\"a\":1}\n\n:\n\ndata:x\ndata: y\n\n";
  // The same wire cut at every position gives the same events.
  for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
    auto events = parse_all({wire.substr(0, cut), wire.substr(cut)});
    ASSERT_EQ(events.size(), 2u) << cut;
    EXPECT_EQ(events[0].type, "message");
    EXPECT_EQ(events[0].id, "[1]");
    EXPECT_EQ(events[0].data, "{\"a\":1}");
    EXPECT_EQ(events[1].type, "message");
    EXPECT_EQ(events[1].id, "[1]");  // kept, as EventSource keeps the last id
    EXPECT_EQ(events[1].data, "x\ny");
  }
}

TEST(ClientSseParser, LineEndingsAndFields) {
  struct row {
    std::string wire;
    std::string type, data;
  };
  const row rows[] = {
      {"event: error\r\ndata: e\r\n\r\n", "error", "e"},
      {"event: error\rdata: e\r\r", "error", "e"},
      {"data\n\n", "message", ""},
      {"retry: 5\nfoo: bar\ndata:  two spaces\n\n", "message", " two spaces"},
  };
  for (const auto& r : rows) {
    auto events = parse_all({r.wire});
    ASSERT_EQ(events.size(), 1u) << r.wire;
    EXPECT_EQ(events[0].type, r.type);
    EXPECT_EQ(events[0].data, r.data);
  }
  EXPECT_TRUE(parse_all({"event: x\n\n", ":only a comment\n\n"}).empty());
}

TEST(ClientSseParser, TooLongLineStops) {
  sse_event_parser parser(8);
  EXPECT_FALSE(parser.feed("data: 0123456789", [](const sse_event&) {}));
  EXPECT_TRUE(parser.failed());
}

TEST(ClientSseTarget, TopicsQueryAndEncoding) {
  kasocki::client::sse_request r;
  r.topics = {"a", "b c"};
  EXPECT_EQ(kasocki::client::sse_target(r), "/v2/stream/a,b%20c");
  r.since = 5;
  r.filters = {{"x", 1}};
  EXPECT_EQ(kasocki::client::sse_target(r), "/v2/stream/a,b%20c?since=5&filters=%7B%22x%22%3A1%7D");
}

}  // namespace
