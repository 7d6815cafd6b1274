// Table-driven tests of the bench's reader of SSE offset ids (bench/offset_id_reader.hpp): the
// one-pass reading of the gateway's layout and the member search agree on every row.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bench/offset_id_reader.hpp"

namespace kasocki::bench {
namespace {

using entries = std::vector<std::pair<std::int32_t, std::int64_t>>;

struct read_result {
  bool ok = false;
  entries got;
  bool operator==(const read_result&) const = default;
};

read_result read_exact(std::string_view id) {
  read_result r;
  r.ok = for_each_offset_id_entry(
      id, [&](std::int32_t p, std::int64_t o) { r.got.emplace_back(p, o); });
  return r;
}

read_result read_searched(std::string_view id) {
  read_result r;
  r.ok = for_each_offset_id_entry_searched(
      id, [&](std::int32_t p, std::int64_t o) { r.got.emplace_back(p, o); });
  return r;
}

struct row {
  std::string_view id;
  bool ok;
  entries got;
};

const row rows[] = {
    {R"([{"topic":"t","partition":0,"offset":13},{"topic":"t","partition":5,"offset":0}])",
     true,
     {{0, 13}, {5, 0}}},
    // Other layouts (whitespace, member order) go through the search.
    {R"( [ { "partition":2, "topic":"t", "offset":7 } ])", true, {{2, 7}}},
    {R"([{"topic":"a.b-c_1","offset":9,"partition":1}])", true, {{1, 9}}},
    {R"([{"topic":"t","partition":0,"offset":999999999999999999}])",
     true,
     {{0, 999999999999999999}}},
    {"", false, {}},
    {"[]", false, {}},
    {"13", false, {}},
    {R"([{"topic":"t","partition":0,"timestamp":1700000000001}])", false, {}},
    {R"([{"topic":"t","partition":-1,"offset":3}])", false, {}},
    {R"([{"topic":"t","partition":2147483648,"offset":3}])", false, {}},
    {R"([{"topic":"t","partition":0,"offset":3)", false, {}},
    {R"([{"topic":"t","partition":0,"offset":1234567890123456789}])", false, {}},
    // A member of the next entry is not borrowed for one that lacks it.
    {R"([{"topic":"t","partition":0},{"topic":"t","partition":1,"offset":3}])", false, {}},
    // A brace in a name: both read the entry as ending there.
    {R"([{"topic":"t}","partition":0,"offset":3}])", false, {}},
    // Entries before a bad one are handed out.
    {R"([{"topic":"t","partition":4,"offset":3},{"topic":"t"}])", false, {{4, 3}}},
};

TEST(BenchOffsetIdReader, Table) {
  for (const auto& r : rows) {
    auto exact = read_exact(r.id);
    EXPECT_EQ(exact.ok, r.ok) << r.id;
    EXPECT_EQ(exact.got, r.got) << r.id;
    EXPECT_EQ(exact, read_searched(r.id)) << r.id;
  }
}

TEST(BenchOffsetIdReader, EveryPrefixAgrees) {
  const std::string_view id =
      R"([{"topic":"kasocki_bench","partition":0,"offset":166668},{"topic":"kasocki_bench","partition":1,"offset":0}])";
  for (std::size_t n = 0; n <= id.size(); ++n)
    EXPECT_EQ(read_exact(id.substr(0, n)), read_searched(id.substr(0, n))) << n;
}

// A stream's ids one after the other: the kept reader reads each as the whole reading does.
TEST(BenchOffsetIdReader, KeptReaderReadsEachIdAsTheWholeReading) {
  auto id = [](std::int64_t a, std::int64_t b, std::string_view topic = "t") {
    std::string t(topic);
    return "[{\"topic\":\"" + t + "\",\"partition\":0,\"offset\":" + std::to_string(a) +
           "},{\"topic\":\"" + t + "\",\"partition\":1,\"offset\":" + std::to_string(b) + "}]";
  };
  const std::string ids[] = {
      id(0, 0),
      id(1, 0),
      id(1, 1),
      id(1, 1),  // the same id twice
      id(9, 1),
      id(10, 1),
      id(10, 999),
      id(10, 1000),
      id(10, 99),       // digit counts change
      id(10, 99, "u"),  // both topics change: read whole
      "garbage",
      id(11, 99, "u"),
      R"( [ { "partition":0, "topic":"u", "offset":12 }, {"topic":"u","partition":1,"offset":99}])",
      R"( [ { "partition":0, "topic":"u", "offset":13 }, {"topic":"u","partition":1,"offset":99}])",
      R"([{"topic":"u","partition":0,"offset":13},{"topic":"u","partition":1,"offset":-1}])",
      R"([{"topic":"u","partition":0,"offset":13},{"topic":"u","partition":1,"offset":7}])",
      R"([{"topic":"u","partition":0,"offset":13},{"topic":"u","partition":1,"offset":7}]{)",
  };
  offset_id_reader reader;
  for (const auto& text : ids) {
    read_result kept;
    kept.ok =
        reader.read(text, [&](std::int32_t p, std::int64_t o) { kept.got.emplace_back(p, o); });
    auto whole = read_exact(text);
    EXPECT_EQ(kept.ok, whole.ok) << text;
    if (whole.ok) {
      EXPECT_EQ(kept.got, whole.got) << text;
    } else {
      EXPECT_TRUE(kept.got.empty()) << text;
    }
  }
}

}  // namespace
}  // namespace kasocki::bench
