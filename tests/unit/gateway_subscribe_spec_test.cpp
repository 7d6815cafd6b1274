// Unit tests for the subscribe-spec validator and the metadata check.
#include <gtest/gtest.h>

#include <string>

#include "libkasocki/gateway/subscribe_spec.hpp"

using kasocki::gateway::assignment_request;
using kasocki::gateway::available_topics;
using kasocki::gateway::check_assignment;
using kasocki::gateway::json;
using kasocki::gateway::parse_subscribe_spec;
using kasocki::gateway::subscribe_limits;
using kasocki::gateway::topic_partitions;

namespace {

using req = assignment_request;

TEST(SubscribeSpec, Accepts) {
  struct {
    const char* spec;
    std::vector<req> expected;
  } cases[] = {
      {R"("t")", {{"t"}}},
      {R"(["a", "b"])", {{"a"}, {"b"}}},
      {R"([{"topic": "a"}])", {{"a"}}},
      {R"([{"topic": "a", "partition": 0, "offset": 5}])", {{"a", 0, 5, std::nullopt}}},
      {R"([{"topic": "a", "partition": 2, "offset": -1}])", {{"a", 2, -1, std::nullopt}}},
      {R"([{"offset": 9223372036854775807, "partition": 2147483647, "topic": "a"}])",
       {{"a", 2147483647, 9223372036854775807, std::nullopt}}},
      {R"([{"topic": "a", "partition": 1, "timestamp": 1700000000000}])",
       {{"a", 1, std::nullopt, 1700000000000}}},
      {R"([{"topic": "a", "timestamp": 0}])", {{"a", std::nullopt, std::nullopt, 0}}},
      {R"([{"topic": "a", "partition": 1.0, "offset": 3.0}])", {{"a", 1, 3, std::nullopt}}},
      {R"([{"topic": "a", "partition": 0, "offset": 1}, {"topic": "a", "partition": 1, "offset": 1},
           "b", {"topic": "c", "timestamp": 5}])",
       {{"a", 0, 1, std::nullopt}, {"a", 1, 1, std::nullopt}, {"b"}, {"c", {}, {}, 5}}},
  };
  for (const auto& c : cases) {
    auto r = parse_subscribe_spec(json::parse(c.spec));
    ASSERT_TRUE(r.has_value()) << c.spec << ": " << r.error().message;
    EXPECT_EQ(*r, c.expected) << c.spec;
  }
}

TEST(SubscribeSpec, RejectsWithInvalidAssignmentError) {
  const char* bad[] = {
      "null",
      "1",
      "true",
      R"({"topic": "a"})",
      "\"\"",
      "[]",
      R"([1])",
      R"([null])",
      R"([["a"]])",
      R"([""])",
      R"([{}])",
      R"([{"topic": ""}])",
      R"([{"topic": 1}])",
      R"([{"topic": "a", "partition": -1, "offset": 0}])",
      R"([{"topic": "a", "partition": 2147483648, "offset": 0}])",
      R"([{"topic": "a", "partition": 1.5, "offset": 0}])",
      R"([{"topic": "a", "partition": "1", "offset": 0}])",
      R"([{"topic": "a", "partition": 0, "offset": 1.5}])",
      R"([{"topic": "a", "partition": 0, "offset": "5"}])",
      R"([{"topic": "a", "partition": 0, "offset": null}])",
      R"([{"topic": "a", "partition": 0, "offset": 9223372036854775808}])",
      R"([{"topic": "a", "partition": 0, "offset": 1e300}])",
      R"([{"topic": "a", "partition": 0, "timestamp": -1}])",
      R"([{"topic": "a", "timestamp": 1.5}])",
      R"([{"topic": "a", "partition": 0}])",                               // from where?
      R"([{"topic": "a", "offset": 0}])",                                  // which partition?
      R"([{"topic": "a", "partition": 0, "offset": 0, "timestamp": 0}])",  // both
      R"([{"topic": "a", "partition": 0, "offset": 0, "extra": 1}])",
      R"(["a", "a"])",
      R"(["a", {"topic": "a", "timestamp": 0}])",
      R"([{"topic": "a", "partition": 0, "offset": 0}, "a"])",
      R"([{"topic": "a", "partition": 0, "offset": 0}, {"topic": "a", "partition": 0, "offset": 9}])",
      R"([{"topic": "a", "partition": 0, "offset": 0}, {"topic": "a", "partition": 0, "timestamp": 9}])",
  };
  for (const char* spec : bad) {
    auto r = parse_subscribe_spec(json::parse(spec));
    ASSERT_FALSE(r.has_value()) << spec;
    EXPECT_EQ(r.error().name, "InvalidAssignmentError") << spec;
    EXPECT_FALSE(r.error().message.empty());
  }
}

TEST(SubscribeSpec, ItemLimit) {
  json spec = json::array();
  for (int i = 0; i < 1000; ++i) spec.push_back({{"topic", "t"}, {"partition", i}, {"offset", 0}});
  EXPECT_TRUE(parse_subscribe_spec(spec).has_value());
  spec.push_back("u");
  auto r = parse_subscribe_spec(spec);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("at most 1000"), std::string::npos);
  EXPECT_FALSE(parse_subscribe_spec(json::parse(R"(["a","b"])"), subscribe_limits{1}).has_value());
}

TEST(SubscribeSpec, MessagesStayValidUtf8) {
  // A long item holding multi-byte characters is shortened on a code point boundary.
  std::string long_value;
  for (int i = 0; i < 150; ++i) long_value += "\xC3\xA9";   // 2 bytes each
  json item = {{"topic", "x"}, {"bad", "x" + long_value}};  // the cut falls inside a character
  auto r = parse_subscribe_spec(json::array({item}));
  ASSERT_FALSE(r.has_value());
  const std::string& message = r.error().message;
  // Shortened: the item is cut and marked, and what is left ends on a whole character.
  const auto dots = message.rfind("...");
  ASSERT_NE(dots, std::string::npos) << message;
  EXPECT_EQ(dots + 3, message.size()) << message;
  EXPECT_LT(message.size(), long_value.size());
  EXPECT_EQ(message.substr(dots - 2, 2), "\xC3\xA9") << message;
  // Valid UTF-8: a dump that replaces invalid bytes with U+FFFD leaves it as it is.
  const std::string replaced = json(message).dump(-1, ' ', false, json::error_handler_t::replace);
  EXPECT_EQ(json::parse(replaced).get<std::string>(), message);
}

TEST(SubscribeSpec, AvailableTopics) {
  topic_partitions metadata{{"b", 1}, {"a", 2}, {"__consumer_offsets", 50}, {"c", 1}};
  EXPECT_EQ(available_topics(metadata, {}), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(available_topics(metadata, {"c", "a", "missing", "__consumer_offsets"}),
            (std::vector<std::string>{"a", "c"}));
}

TEST(SubscribeSpec, CheckAgainstMetadata) {
  topic_partitions metadata{{"a", 2}, {"b", 1}, {"__internal", 1}};
  std::vector<std::string> allowed;
  auto parse = [](const char* spec) { return *parse_subscribe_spec(json::parse(spec)); };

  EXPECT_TRUE(check_assignment(parse(R"(["a", "b"])"), metadata, allowed).has_value());
  EXPECT_TRUE(
      check_assignment(parse(R"([{"topic":"a","partition":1,"offset":0}])"), metadata, allowed)
          .has_value());

  auto missing = check_assignment(parse(R"(["a", "nope"])"), metadata, allowed);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().name, "TopicNotAvailableError");
  EXPECT_EQ(missing.error().details["availableTopics"], json::parse(R"(["a","b"])"));

  auto internal = check_assignment(parse(R"("__internal")"), metadata, allowed);
  ASSERT_FALSE(internal.has_value());
  EXPECT_EQ(internal.error().name, "TopicNotAvailableError");

  auto not_allowed = check_assignment(parse(R"("b")"), metadata, {"a"});
  ASSERT_FALSE(not_allowed.has_value());
  EXPECT_EQ(not_allowed.error().name, "TopicNotAvailableError");
  EXPECT_EQ(not_allowed.error().details["availableTopics"], json::parse(R"(["a"])"));

  auto partition =
      check_assignment(parse(R"([{"topic":"a","partition":2,"timestamp":0}])"), metadata, allowed);
  ASSERT_FALSE(partition.has_value());
  EXPECT_EQ(partition.error().name, "InvalidAssignmentError");
  EXPECT_NE(partition.error().message.find("Partition 2"), std::string::npos);
}

}  // namespace
