// Unit tests for client/request_args.hpp: --assign, --since, --filter and the request bodies.
#include <gtest/gtest.h>

#include "client/request_args.hpp"

namespace kasocki::client {
namespace {

// The error kind, or nullopt when the call succeeded: an unexpected success fails the
// comparison instead of reading an error that is not there.
template <class R>
auto error_of(const R& r) -> std::optional<std::decay_t<decltype(r.error())>> {
  if (r) return std::nullopt;
  return r.error();
}

TEST(ClientRequestArgs, Assign) {
  auto item = parse_assign("mytopic:2:150");
  ASSERT_TRUE(item);
  EXPECT_EQ(item->dump(), R"({"topic":"mytopic","partition":2,"offset":150})");
  EXPECT_EQ(parse_assign("a.b-c_d:0:-1")->dump(),
            R"({"topic":"a.b-c_d","partition":0,"offset":-1})");
  EXPECT_EQ(parse_assign("t:0:9223372036854775807")->at("offset"), INT64_MAX);
  const struct {
    const char* text;
    args_errc error;
  } refused[] = {
      {"", args_errc::not_an_assignment},   {"t", args_errc::not_an_assignment},
      {":", args_errc::not_an_assignment},  {"t:1", args_errc::not_an_assignment},
      {":1:2", args_errc::empty_topic},     {"t::2", args_errc::bad_partition},
      {"t:-1:2", args_errc::bad_partition}, {"t:x:2", args_errc::bad_partition},
      {"a:b:c", args_errc::bad_partition},  {"t:1:", args_errc::bad_offset},
      {"t:1:2x", args_errc::bad_offset},    {"t:1:99999999999999999999", args_errc::bad_offset},
  };
  for (const auto& r : refused) EXPECT_EQ(error_of(parse_assign(r.text)), r.error) << r.text;
}

TEST(ClientRequestArgs, SinceMilliseconds) {
  EXPECT_EQ(parse_since("1700000000000"), 1700000000000);
  EXPECT_EQ(parse_since("0"), 0);
  EXPECT_EQ(error_of(parse_since("-5")), args_errc::before_epoch);
}

TEST(ClientRequestArgs, SinceIso8601) {
  EXPECT_EQ(parse_since("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_since("2023-11-14T22:13:20Z"), 1700000000000);
  EXPECT_EQ(parse_since("2023-11-14T22:13:20.123Z"), 1700000000123);
  EXPECT_EQ(parse_since("2023-11-14T22:13:20.5Z"), 1700000000500);
  EXPECT_EQ(parse_since("2023-11-14T23:13:20+01:00"), 1700000000000);
  EXPECT_EQ(parse_since("2023-11-14T21:13:20-0100"), 1700000000000);
  EXPECT_EQ(parse_since("2023-11-14T22:13Z"), 1699999980000);
  EXPECT_EQ(parse_since("2026-11-30T10:00:00Z"), 1796032800000);
  EXPECT_EQ(parse_since("2024-02-29"), 1709164800000);
  EXPECT_EQ(parse_since("2000-03-01T00:00:00Z"), 951868800000);
}

TEST(ClientRequestArgs, SinceInvalid) {
  const struct {
    const char* text;
    args_errc error;
  } refused[] = {
      {"", args_errc::bad_date},
      {"yesterday", args_errc::bad_date},
      {"12ab", args_errc::bad_date},
      {"2023-1-14", args_errc::bad_date},
      {"2023-13-01", args_errc::bad_date},
      {"2023-02-29", args_errc::bad_date},
      {"2023-11-31", args_errc::bad_date},
      {"2023-11-14X10:00Z", args_errc::bad_date},
      {"2023-11-14T", args_errc::bad_time},
      {"2023-11-14T25:00:00Z", args_errc::bad_time},
      {"2023-11-14T22:13:20.Z", args_errc::bad_time},
      {"2023-11-14T22:13:20", args_errc::no_zone},
      {"2023-11-14T22:13:20Zx", args_errc::bad_zone},
      {"2023-11-14T22:13:20+1", args_errc::bad_zone},
      {"2023-11-14T22:13:20+01:00x", args_errc::bad_zone},
  };
  for (const auto& r : refused) EXPECT_EQ(error_of(parse_since(r.text)), r.error) << r.text;
}

TEST(ClientRequestArgs, FilterValues) {
  struct row {
    const char* text;
    const char* path;
    const char* value_json;
  };
  const row rows[] = {
      {"meta.domain=en.wikipedia.org", "meta.domain", R"("en.wikipedia.org")"},
      {"n=25", "n", "25"},
      {"n=25.5", "n", "25.5"},
      {"flag=true", "flag", "true"},
      {"x=null", "x", "null"},
      {"s=\"1\"", "s", R"("1")"},
      {"a=[1,\"b\"]", "a", R"([1,"b"])"},
      {"re=/^en\\./i", "re", R"("/^en\\./i")"},
      {"e=", "e", R"("")"},
      {"k=a=b", "k", R"("a=b")"},
  };
  for (const auto& r : rows) {
    auto f = parse_filter(r.text);
    ASSERT_TRUE(f) << r.text;
    EXPECT_EQ(f->first, r.path) << r.text;
    EXPECT_EQ(f->second.dump(), r.value_json) << r.text;
  }
  EXPECT_EQ(error_of(parse_filter("novalue")), args_errc::not_a_filter);
  EXPECT_EQ(error_of(parse_filter("=1")), args_errc::empty_path);
}

TEST(ClientRequestArgs, EveryErrorIsDescribed) {
  for (auto kind :
       {args_errc::not_an_assignment, args_errc::empty_topic, args_errc::bad_partition,
        args_errc::bad_offset, args_errc::before_epoch, args_errc::bad_date, args_errc::bad_time,
        args_errc::no_zone, args_errc::bad_zone, args_errc::not_a_filter, args_errc::empty_path})
    EXPECT_NE(describe(kind), "invalid value") << static_cast<int>(kind);
}

TEST(ClientRequestArgs, Filters) {
  EXPECT_TRUE(build_filters({}).is_null());
  auto filters = build_filters({{"b", 1}, {"a.c", "x"}, {"b", 2}});
  EXPECT_EQ(filters.dump(), R"({"b":2,"a.c":"x"})");  // last wins, first position kept
}

TEST(ClientRequestArgs, Subscription) {
  std::vector<json> assigns = {*parse_assign("t3:1:5")};
  EXPECT_EQ(build_subscription({"t1", "t2"}, assigns, std::nullopt).dump(),
            R"(["t1","t2",{"topic":"t3","partition":1,"offset":5}])");
  EXPECT_EQ(build_subscription({"t1"}, {}, 1700000000000).dump(),
            R"([{"topic":"t1","timestamp":1700000000000}])");
}

}  // namespace
}  // namespace kasocki::client
