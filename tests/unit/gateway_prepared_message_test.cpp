// prepare_message: one parse gives validity, the augmented value and every filter set's result.
#include "libkasocki/gateway/prepared_message.hpp"

#include <gtest/gtest.h>

namespace kasocki::gateway {
namespace {

using filter::json;

kafka::message_view message(std::string_view value) {
  kafka::message_view m;
  m.topic = "t";
  m.partition = 2;
  m.offset = 7;
  m.timestamp = 1700000000000;
  m.value = value;
  return m;
}

filter::filter_set compiled(const char* text) {
  auto r = filter::compile_filters(json::parse(text));
  EXPECT_TRUE(r.has_value());
  return r.value();
}

TEST(PreparedMessage, AValidValueIsAugmentedOnce) {
  augmenter parser;
  auto p = prepare_message(parser, message(R"({"a":1})"), {});
  ASSERT_TRUE(p->valid);
  EXPECT_EQ(view(p->body),
            R"({"a":1,"_kafka":{"topic":"t","partition":2,"offset":7,"timestamp":1700000000000,)"
            R"("key":null}})");
  EXPECT_TRUE(p->matches.empty());
  EXPECT_GT(p->cost(), view(p->body).size());
}

TEST(PreparedMessage, AnInvalidValueHasNoBodyAndNoFilterResults) {
  augmenter parser;
  auto a = compiled(R"({"a":1})");
  std::vector<filter_in_use> filters{{1, &a}};
  for (std::string_view bad : {"[1]", "not json", "", "{\"a\":"}) {
    auto p = prepare_message(parser, message(bad), filters);
    EXPECT_FALSE(p->valid) << bad;
    EXPECT_TRUE(view(p->body).empty()) << bad;
    EXPECT_TRUE(p->matches.empty()) << bad;
  }
}

TEST(PreparedMessage, EveryFilterSetInUseIsEvaluatedOnTheSameParse) {
  augmenter parser;
  auto a1 = compiled(R"({"a":1})");
  auto a2 = compiled(R"({"a":2})");
  auto re = compiled(R"({"b.c":"/^x/"})");
  std::vector<filter_in_use> filters{{1, &a1}, {2, &a2}, {5, &re}};
  auto p = prepare_message(parser, message(R"({"a":1,"b":{"c":"xyz"}})"), filters);
  ASSERT_TRUE(p->valid);
  EXPECT_EQ(p->match(1), true);
  EXPECT_EQ(p->match(2), false);
  EXPECT_EQ(p->match(5), true);
  EXPECT_EQ(p->match(3), std::nullopt);  // a set that was not in use: the reader evaluates it
}

}  // namespace
}  // namespace kasocki::gateway
