// Unit tests for message augmentation: validation, the `_kafka` splice, key escaping, frames.
#include <gtest/gtest.h>

#include <string>

#include "libkasocki/gateway/augment.hpp"

using kasocki::gateway::append_json_string;
using kasocki::gateway::augmenter;
using kasocki::gateway::kafka_position;

namespace {

kafka_position position(std::optional<std::int64_t> timestamp = 1700000000000,
                        std::optional<std::string_view> key = "k") {
  return kafka_position{"t", 0, 12, timestamp, key};
}

const std::string kafka_full =
    R"("_kafka":{"topic":"t","partition":0,"offset":12,"timestamp":1700000000000,"key":"k"})";

TEST(Augment, SplicesBeforeTheClosingBrace) {
  struct {
    std::string in;
    std::string out;
  } cases[] = {
      {R"({"a":1})", R"({"a":1,)" + kafka_full + "}"},
      {"{}", "{" + kafka_full + "}"},
      {"{ \n }", "{ \n " + kafka_full + "}"},
      {" \t{\"a\": [1, {\"b\": null}]} \r\n ", R"({"a": [1, {"b": null}],)" + kafka_full + "}"},
      {R"({"a":"}"})", R"({"a":"}",)" + kafka_full + "}"},
      {R"({"x":{"_kafka":1}})", R"({"x":{"_kafka":1},)" + kafka_full + "}"},  // nested untouched
      {"{\"h\":\"h\xC3\xA9llo\"}", "{\"h\":\"h\xC3\xA9llo\"," + kafka_full + "}"},
  };
  augmenter aug;
  for (const auto& c : cases) EXPECT_EQ(aug.augment(c.in, position()), c.out) << c.in;
}

TEST(Augment, ReplacesAnExistingTopLevelKafkaField) {
  struct {
    std::string in;
    std::string out;
  } cases[] = {
      {R"({"_kafka":{"topic":"old"}})", "{" + kafka_full + "}"},
      {R"({"a":1, "_kafka":"old", "b":{"_kafka":2}})",
       R"({"a":1,"b":{"_kafka":2},)" + kafka_full + "}"},
      {R"({"_kafka":[1,"]}"], "a":true})", R"({"a":true,)" + kafka_full + "}"},
      {R"({"\u005fkafka":1,"a":"x\"y"})", R"({"a":"x\"y",)" + kafka_full + "}"},  // escaped key
      {R"({"_kafka":1,"_kafka":2})", "{" + kafka_full + "}"},                     // duplicates
      {R"({"_kafkaX":1,"_kafka":null})", R"({"_kafkaX":1,)" + kafka_full + "}"},
  };
  augmenter aug;
  for (const auto& c : cases) EXPECT_EQ(aug.augment(c.in, position()), c.out) << c.in;
}

TEST(Augment, TimestampAndKeyMayBeAbsent) {
  augmenter aug;
  kafka_position pos{"topic.a", 3, -1, std::nullopt, std::nullopt};
  EXPECT_EQ(
      aug.augment("{}", pos),
      R"({"_kafka":{"topic":"topic.a","partition":3,"offset":-1,"timestamp":null,"key":null}})");
  pos.timestamp = 0;
  pos.key = "";
  EXPECT_EQ(aug.augment("{}", pos),
            R"({"_kafka":{"topic":"topic.a","partition":3,"offset":-1,"timestamp":0,"key":""}})");
}

TEST(Augment, RejectsWhatIsNotAUtf8JsonObject) {
  const std::string rejected[] = {
      "",
      "   ",
      "[]",
      R"([{"a":1}])",
      "\"{}\"",
      "1",
      "null",
      "{",
      "}",
      R"({"a":1} {"b":2})",
      R"({"a":1} x)",
      R"({"a":1},)",
      "{'a':1}",
      "{\"a\":\"\xFF\"}",      // invalid UTF-8 in a string
      "{\"a\":1}\xC3",         // invalid UTF-8 after the object
      "{\"\xED\xA0\x80\":1}",  // an encoded surrogate
      "{\"a\":\"\x01\"}",      // unescaped control character
      std::string("{\"a\":1}\0", 8),
      "\xEF\xBB\xBF{}",                           // byte order mark
      R"({"a":1e400})",                           // beyond double (simdjson limit)
      R"({"a":123456789012345678901234567890})",  // beyond 64 bits (simdjson limit)
      std::string(2000, '[') + std::string(2000, ']'),
  };
  augmenter aug;
  for (const auto& in : rejected) {
    EXPECT_FALSE(aug.augment(in, position()).has_value()) << in;
    EXPECT_FALSE(aug.parse(in)) << in;
  }
  // The augmenter is reusable after a rejection.
  EXPECT_TRUE(aug.augment("{}", position()).has_value());
}

TEST(Augment, KeyEscaping) {
  struct {
    std::string key;
    std::string json;
  } cases[] = {
      {"plain", R"("plain")"},
      {"q\"b\\s/", R"("q\"b\\s/")"},
      {"\b\f\n\r\t", R"("\b\f\n\r\t")"},
      {std::string("\x00\x01\x1f\x7f", 4), "\"\\u0000\\u0001\\u001f\x7f\""},
      {"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", "\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\""},
      // each byte outside a well-formed sequence becomes U+FFFD
      {"a\xFF"
       "b",
       "\"a\xEF\xBF\xBD"
       "b\""},
      {"\xC3", "\"\xEF\xBF\xBD\""},                                                  // truncated
      {"\xC0\xAF", "\"\xEF\xBF\xBD\xEF\xBF\xBD\""},                                  // overlong
      {"\xED\xA0\x80", "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\""},                  // surrogate
      {"\xF4\x90\x80\x80", "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\""},  // > U+10FFFF
  };
  for (const auto& c : cases) {
    std::string out;
    append_json_string(out, c.key);
    EXPECT_EQ(out, c.json);
  }
  augmenter aug;
  auto out = aug.augment("{}", position(1, std::string_view("a\"\n\xFF")));
  EXPECT_EQ(out,
            "{\"_kafka\":{\"topic\":\"t\",\"partition\":0,\"offset\":12,\"timestamp\":1,"
            "\"key\":\"a\\\"\\n\xEF\xBF\xBD\"}}");
}

TEST(Augment, ParseOnceThenFilterThenSplice) {
  augmenter aug;
  std::string value = R"({"meta":{"domain":"x"}})";
  ASSERT_TRUE(aug.parse(value));
  simdjson::dom::element domain;
  ASSERT_FALSE(aug.root()["meta"]["domain"].get(domain));
  EXPECT_EQ(domain.get_string().value_unsafe(), "x");
  EXPECT_EQ(aug.splice(position(), "<", ">"), R"(<{"meta":{"domain":"x"},)" + kafka_full + "}>");
}

TEST(Augment, NothingAfterAFailedParse) {
  augmenter aug;
  ASSERT_TRUE(aug.parse(R"({"a":1})"));
  EXPECT_EQ(aug.splice(position()), R"({"a":1,)" + kafka_full + "}");
  ASSERT_FALSE(aug.parse("[]"));
  EXPECT_EQ(aug.splice(position()), "");
}

}  // namespace
