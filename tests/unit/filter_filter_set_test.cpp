// Unit tests for the filter compiler and matcher: every rule of kasocki-api.md "filter".
#include <gtest/gtest.h>

#include <string>

#include "libkasocki/filter/filter_set.hpp"

using kasocki::filter::compile_filters;
using kasocki::filter::filter_errc;
using kasocki::filter::filter_limits;
using kasocki::filter::filter_set;
using json = kasocki::filter::json;

namespace {

const char* const message_text = R"({
  "name": "Alice", "age": 25, "ratio": 0.5, "big": 18446744073709551615, "neg": -3,
  "admin": false, "nothing": null, "one": 1, "one_str": "1",
  "meta": {"domain": "en.wikipedia.org", "deep": {"er": {"x": "y"}}, "tags": ["a", "b", 1]},
  "tags": ["red", "green", 7, true, null],
  "text": "first line\nSecond Line",
  "list": [{"k": "v"}],
  "_kafka": {"topic": "nested"}
})";

// Parses the fixed message once, as the gateway does.
class FilterTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(parser_.parse(std::string(message_text)).get(root_)); }

  // true/false: compiles and matches or not; throws nothing, fails the test on a compile error.
  bool match(const char* filters_text) {
    auto r = compile_filters(json::parse(filters_text));
    EXPECT_TRUE(r.has_value()) << filters_text << ": " << (r ? "" : r.error().message);
    return r && r->matches(root_);
  }

  simdjson::dom::parser parser_;
  simdjson::dom::element root_;
};

TEST_F(FilterTest, NullAndEmptyObjectClear) {
  for (const char* text : {"null", "{}"}) {
    auto r = compile_filters(json::parse(text));
    ASSERT_TRUE(r.has_value()) << text;
    EXPECT_TRUE(r->empty());
    EXPECT_TRUE(r->stored().is_null());
    EXPECT_TRUE(r->paths().empty());
    EXPECT_TRUE(r->matches(root_));
    EXPECT_TRUE(r->matches(simdjson::dom::element()));  // no DOM needed at all
  }
}

TEST_F(FilterTest, MatchTable) {
  struct {
    const char* filters;
    bool expected;
  } cases[] = {
      // scalars, type included
      {R"({"name": "Alice"})", true},
      {R"({"name": "alice"})", false},
      {R"({"age": 25})", true},
      {R"({"age": 25.0})", true},
      {R"({"age": "25"})", false},
      {R"({"age": 26})", false},
      {R"({"ratio": 0.5})", true},
      {R"({"ratio": 0.25})", false},
      {R"({"big": 18446744073709551615})", true},
      {R"({"big": -1})", false},
      {R"({"neg": -3})", true},
      {R"({"neg": -3.0})", true},
      {R"({"neg": 3})", false},
      {R"({"one": true})", false},
      {R"({"one": 1})", true},
      {R"({"one": "1"})", false},
      {R"({"one_str": 1})", false},
      {R"({"admin": false})", true},
      {R"({"admin": 0})", false},
      {R"({"admin": null})", false},
      {R"({"nothing": null})", true},
      {R"({"nothing": false})", false},
      // missing fields never match, not even null
      {R"({"missing": null})", false},
      {R"({"missing": "x"})", false},
      // dotted paths
      {R"({"meta.domain": "en.wikipedia.org"})", true},
      {R"({"meta.deep.er.x": "y"})", true},
      {R"({"meta.deep.er.x.z": "y"})", false},  // through a string
      {R"({"name.first": "Alice"})", false},    // through a string
      {R"({"list.0.k": "v"})", false},          // arrays are not indexed
      {R"({"meta.nope": null})", false},
      {R"({"_kafka.topic": "nested"})", true},
      // scalar filter against non-scalar fields
      {R"({"meta": "x"})", false},
      {R"({"tags": "red"})", false},
      // AND of entries
      {R"({"name": "Alice", "age": 25})", true},
      {R"({"name": "Alice", "age": 26})", false},
      // regexes: unanchored search in string fields
      {R"({"name": "/lic/"})", true},
      {R"({"name": "/^lic/"})", false},
      {R"({"name": "/^ALICE$/i"})", true},
      {R"({"name": "/^ALICE$/"})", false},
      {R"({"meta.domain": "/\\.wikipedia\\.org$/"})", true},
      {R"({"text": "/^Second/"})", false},
      {R"({"text": "/^Second/m"})", true},
      {R"({"text": "/line.Second/"})", false},
      {R"({"text": "/line.Second/s"})", true},
      {R"({"text": "/^second line$/im"})", true},
      {R"({"age": "/25/"})", false},  // not a string field
      {R"({"tags": "/red/"})", false},
      {R"({"name": "//"})", true},  // empty pattern matches any string
      {R"({"nothing": "//"})", false},
      // arrays: scalar field equals any element
      {R"({"name": ["Bob", "Alice"]})", true},
      {R"({"name": ["Bob", "Carol"]})", false},
      {R"({"age": ["25", 25.0]})", true},
      {R"({"age": ["25"]})", false},
      {R"({"nothing": [1, null]})", true},
      {R"({"name": ["/Al/"]})", false},  // array elements are literal
      // arrays: array field contains every element
      {R"({"tags": ["red"]})", true},
      {R"({"tags": ["green", "red", 7.0, true, null]})", true},
      {R"({"tags": ["red", "blue"]})", false},
      {R"({"tags": ["7"]})", false},
      {R"({"meta.tags": [1, "b"]})", true},
      {R"({"meta": ["a"]})", false},  // object field
  };
  for (const auto& c : cases) EXPECT_EQ(match(c.filters), c.expected) << c.filters;
}

TEST_F(FilterTest, RejectTable) {
  std::string long_pattern = "/" + std::string(1001, 'a') + "/";
  std::string ok_pattern = "/" + std::string(1000, 'a') + "/";
  std::string deep = "a";
  for (int i = 1; i < 17; ++i) deep += ".a";  // 17 segments
  std::string ok_deep = deep.substr(2);       // 16 segments
  json too_many = json::object();
  for (int i = 0; i < 33; ++i) too_many["k" + std::to_string(i)] = i;
  json enough = json::object();
  for (int i = 0; i < 32; ++i) enough["k" + std::to_string(i)] = i;

  using k = filter_errc;
  struct {
    json filters;
    const char* mentions;  // the message must name the bad key or reason
    filter_errc kind;      // what the caller acts on (e.g. naming a limit), never the text
  } bad[] = {
      {json::parse(R"({"a": {"b": 1}})"), "\"a\"", k::bad_value},
      {json::parse(R"({"a": [[1]]})"), "\"a\"", k::bad_value},
      {json::parse(R"({"a": [{"b": 1}]})"), "\"a\"", k::bad_value},
      {json::parse(R"({"a": []})"), "empty array", k::bad_value},
      {json::parse(R"({"a..b": 1})"), "\"a..b\"", k::empty_path_segment},
      {json::parse(R"({".a": 1})"), "empty path segment", k::empty_path_segment},
      {json::parse(R"({"a.": 1})"), "empty path segment", k::empty_path_segment},
      {json::parse(R"({"": 1})"), "empty path segment", k::empty_path_segment},
      {json::parse(R"({"a": "/x/g"})"), "flag 'g'", k::bad_regex_flag},
      {json::parse(R"({"a": "/x/ii"})"), "twice", k::bad_regex_flag},
      {json::parse(R"({"a": "/usr/bin"})"), "flag 'b'", k::bad_regex_flag},
      {json::parse(R"({"a": "/(a)\\1/"})"), "invalid regular expression", k::bad_regex},
      {json::parse(R"({"a": "/(/"})"), "invalid regular expression", k::bad_regex},
      {json::parse(R"({"a": "/(?P<n>x)(?P=n)/"})"), "invalid regular expression", k::bad_regex},
      {json{{"a", long_pattern}}, "longer than 1000", k::pattern_too_long},
      {json{{deep, 1}}, "deeper than 16", k::path_too_deep},
      {too_many, "33 keys", k::too_many_keys},
      {json::parse("[]"), "must be an object", k::not_an_object},
      {json::parse("\"a\""), "must be an object", k::not_an_object},
      {json::parse("1"), "must be an object", k::not_an_object},
  };
  for (const auto& c : bad) {
    auto r = compile_filters(c.filters);
    ASSERT_FALSE(r.has_value()) << c.filters.dump();
    EXPECT_NE(r.error().message.find(c.mentions), std::string::npos)
        << r.error().message << " lacks " << c.mentions;
    EXPECT_EQ(r.error().kind, c.kind) << c.filters.dump() << ": " << describe(r.error().kind);
  }
  EXPECT_TRUE(compile_filters(json{{"a", ok_pattern}}).has_value());
  EXPECT_TRUE(compile_filters(json{{ok_deep, 1}}).has_value());
  EXPECT_TRUE(compile_filters(enough).has_value());
}

TEST_F(FilterTest, LiteralStringsThatAreNotPatterns) {
  // Only "/<pattern>/<letters>" is a pattern; anything else is compared literally.
  for (const char* literal : {"/", "/abc", "/a/b.c", "a/b/", "/a/1"}) {
    auto r = compile_filters(json{{"name", literal}});
    ASSERT_TRUE(r.has_value()) << literal;
    EXPECT_FALSE(r->matches(root_)) << literal;
  }
}

TEST_F(FilterTest, StoredPathsAndKey) {
  auto a = compile_filters(json::parse(R"({"b": [1, 2], "a.x": "/y/i"})"));
  auto b = compile_filters(json::parse(R"({"a.x": "/y/i", "b": [1, 2]})"));
  auto c = compile_filters(json::parse(R"({"a.x": "/y/", "b": [1, 2]})"));
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->stored().dump(), R"({"b":[1,2],"a.x":"/y/i"})");  // as sent, order kept
  EXPECT_EQ(a->paths(), (std::vector<std::string>{"b", "a.x"}));
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(std::hash<filter_set>{}(*a), std::hash<filter_set>{}(*b));
  EXPECT_FALSE(*a == *c);
  EXPECT_FALSE(*a == filter_set());
  EXPECT_EQ(filter_set(), *compile_filters(json::object()));
}

TEST_F(FilterTest, CopiesShareTheCompiledFilters) {
  auto r = compile_filters(json::parse(R"({"name": "/^Al/"})"));
  ASSERT_TRUE(r);
  filter_set copy = *r;
  EXPECT_TRUE(copy.matches(root_));
  EXPECT_EQ(copy, *r);
}

TEST_F(FilterTest, LimitsAreParameters) {
  filter_limits limits;
  limits.max_keys = 1;
  auto keys = compile_filters(json::parse(R"({"a": 1, "b": 2})"), limits);
  ASSERT_FALSE(keys.has_value());
  EXPECT_EQ(keys.error().kind, filter_errc::too_many_keys);
  limits.max_depth = 1;
  auto depth = compile_filters(json::parse(R"({"a.b": 1})"), limits);
  ASSERT_FALSE(depth.has_value());
  EXPECT_EQ(depth.error().kind, filter_errc::path_too_deep);
  limits.max_pattern = 2;
  auto pattern = compile_filters(json::parse(R"({"a": "/abc/"})"), limits);
  ASSERT_FALSE(pattern.has_value());
  EXPECT_EQ(pattern.error().kind, filter_errc::pattern_too_long);
}

}  // namespace
