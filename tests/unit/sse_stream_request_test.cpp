// Table-driven tests of the SSE request parser (libkasocki/sse/stream_request.hpp).
#include <gtest/gtest.h>

#include "libkasocki/sse/stream_request.hpp"

namespace {

using namespace kasocki::sse;

request_result parse(std::string_view target, std::optional<std::string_view> last_event_id = {},
                     std::string_view accept = "", id_format ids = id_format::offset) {
  return parse_stream_request(target, "/v2/stream/", request_headers{last_event_id, accept}, ids);
}

TEST(SseSince, AcceptsMillisecondsAndIso8601) {
  struct row {
    const char* text;
    std::optional<std::int64_t> ms;
  };
  const row rows[] = {
      {"1700000000000", 1700000000000},
      {"0", 0},
      {"2023-11-14T22:13:20Z", 1700000000000},
      {"2023-11-14T22:13:20.5Z", 1700000000500},
      {"2023-11-14T23:13:20+01:00", 1700000000000},
      {"2023-11-14", 1699920000000},
      {"2023-11-14T22:13Z", 1699999980000},
      {"-5", std::nullopt},
      {"", std::nullopt},
      {"abc", std::nullopt},
      {"2023-11-14T22:13:20", std::nullopt},  // no zone
      {"2023-02-29", std::nullopt},
      {"2023-13-01", std::nullopt},
      {"1969-12-31", std::nullopt},
      {"99999999999999999999999", std::nullopt},
      {"2023-11-14T22:13:20Zjunk", std::nullopt},
  };
  for (const auto& r : rows) EXPECT_EQ(parse_since(r.text), r.ms) << r.text;
}

TEST(SseRequest, TopicsFromThePath) {
  auto r = parse("/v2/stream/b,a,b");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->topics, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(r->assignments.size(), 2u);
  EXPECT_EQ(r->assignments[0].topic, "a");
  EXPECT_FALSE(r->assignments[0].timestamp);
  EXPECT_FALSE(r->ndjson);
  EXPECT_EQ(r->ids, id_format::offset);

  auto encoded = parse("/v2/stream/my%2Etopic");
  ASSERT_TRUE(encoded);
  EXPECT_EQ(encoded->topics, (std::vector<std::string>{"my.topic"}));
}

TEST(SseRequest, NoTopicIs404) {
  for (const char* target : {"/v2/stream/", "/v2/stream/,,", "/v2/other"}) {
    auto r = parse(target);
    ASSERT_FALSE(r) << target;
    EXPECT_EQ(r.error().kind, request_errc::no_topic);
    EXPECT_EQ(http_status(r.error().kind), 404u);
    EXPECT_EQ(r.error().error.name, "TopicNotAvailableError");
  }
}

TEST(SseRequest, SinceAppliesToEveryTopic) {
  auto r = parse("/v2/stream/a,b?since=2023-11-14T22%3A13%3A20Z");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->since, 1700000000000);
  for (const auto& a : r->assignments) EXPECT_EQ(a.timestamp, 1700000000000);

  auto bad = parse("/v2/stream/a?since=yesterday");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, request_errc::invalid_timestamp);
  EXPECT_EQ(bad.error().error.name, "InvalidTimestampError");
  EXPECT_EQ(http_status(bad.error().kind), 400u);
}

TEST(SseRequest, IdsAndAccept) {
  EXPECT_EQ(parse("/v2/stream/a?ids=timestamp")->ids, id_format::timestamp);
  EXPECT_EQ(parse("/v2/stream/a?ids=offset", {}, "", id_format::timestamp)->ids, id_format::offset);
  EXPECT_EQ(parse("/v2/stream/a", {}, "", id_format::timestamp)->ids, id_format::timestamp);
  auto bad = parse("/v2/stream/a?ids=both");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, request_errc::invalid_request);

  EXPECT_TRUE(parse("/v2/stream/a", {}, "application/json")->ndjson);
  EXPECT_TRUE(parse("/v2/stream/a", {}, "Application/JSON; q=1")->ndjson);
  EXPECT_FALSE(parse("/v2/stream/a", {}, "text/event-stream")->ndjson);
  EXPECT_FALSE(parse("/v2/stream/a", {}, "text/event-stream, application/json")->ndjson);
  EXPECT_FALSE(parse("/v2/stream/a", {}, "*/*")->ndjson);
}

TEST(SseRequest, FiltersAreDecodedAndCompiled) {
  // `+` is a space in a query value.
  auto r = parse("/v2/stream/a?filters=%7B%22title%22%3A%22a+b%22%7D");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->filters.stored(), json::parse(R"({"title":"a b"})"));

  struct row {
    const char* target;
    const char* why;
  };
  const row rows[] = {
      {"/v2/stream/a?filters=nope", "not JSON"},
      {"/v2/stream/a?filters=%5B1%5D", "not an object"},
      {"/v2/stream/a?filters=%7B%22a%22%3A%7B%7D%7D", "object value"},
  };
  for (const auto& row : rows) {
    auto bad = parse(row.target);
    ASSERT_FALSE(bad) << row.why;
    EXPECT_EQ(bad.error().kind, request_errc::invalid_filter) << row.why;
    EXPECT_EQ(bad.error().error.name, "InvalidFilterError") << row.why;
  }
}

TEST(SseRequest, FilterLimitsAreNamed) {
  request_limits limits;
  limits.filters.max_keys = 1;
  auto r = parse_stream_request("/v2/stream/a?filters=%7B%22a%22%3A1%2C%22b%22%3A2%7D",
                                "/v2/stream/", {}, id_format::offset, limits);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().error.details["limit"], "max-filter-keys");
}

TEST(SseRequest, LastEventIdReplacesTopicsAndSince) {
  auto r = parse(
      "/v2/stream/other?since=0",
      R"([{"topic":"t","partition":1,"offset":13},{"topic":"t","partition":0,"timestamp":5}])");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->resumed);
  EXPECT_EQ(r->topics, (std::vector<std::string>{"t"}));
  ASSERT_EQ(r->assignments.size(), 2u);
  EXPECT_EQ(r->assignments[0].partition, 1);
  EXPECT_EQ(r->assignments[0].offset, 13);
  EXPECT_EQ(r->assignments[1].timestamp, 5);
  EXPECT_FALSE(r->assignments[1].offset);
}

TEST(SseLastEventId, OffsetWinsAndUnknownKeysAreIgnored) {
  auto r = parse_last_event_id(R"([{"topic":"t","partition":0,"offset":7,"timestamp":9,"x":1}])");
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].offset, 7);
  EXPECT_FALSE((*r)[0].timestamp);
}

TEST(SseLastEventId, MalformedIs400InvalidAssignment) {
  std::string deep(5000, '[');
  std::string many = "[";
  for (int i = 0; i < 10000; ++i)
    many += (i ? "," : "") + std::string(R"({"topic":"t","partition":)") + std::to_string(i) +
            R"(,"offset":0})";
  many += "]";
  const std::string rows[] = {
      "",
      "not json",
      "{}",
      "[]",
      "[1]",
      R"([{"topic":"t"}])",
      R"([{"topic":"t","partition":0}])",
      R"([{"topic":"t","partition":"0","offset":1}])",
      R"([{"topic":1,"partition":0,"offset":1}])",
      R"([{"topic":"t","partition":-1,"offset":1}])",
      R"([{"topic":"t","partition":0,"offset":1.5}])",
      R"([{"topic":"t","partition":0,"timestamp":-1}])",
      R"([{"topic":"t","partition":0,"offset":1},{"topic":"t","partition":0,"offset":2}])",
      R"([{"topic":"t","partition":0,"offset":[[[[[1]]]]]}])",
      deep,
      many,
  };
  for (const auto& text : rows) {
    auto r = parse_last_event_id(text);
    ASSERT_FALSE(r) << text.substr(0, 80);
    EXPECT_EQ(r.error().kind, request_errc::invalid_assignment);
    EXPECT_EQ(r.error().error.name, "InvalidAssignmentError");
    EXPECT_EQ(http_status(r.error().kind), 400u);
  }
}

TEST(SseRequest, EmptyLastEventIdIsNoHeader) {
  auto r = parse("/v2/stream/a", std::string_view(""));
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->resumed);
}

}  // namespace
