// kasocki::result<T, E>, the value-or-error of every layer.
#include "libkasocki/common/result.hpp"

#include <memory>
#include <string>

#include <gtest/gtest.h>

namespace {

enum class parse_errc { empty, too_long };

struct parse_error {
  parse_errc kind;
  std::string message;
};

kasocki::result<int, parse_error> parse_length(const std::string& text) {
  if (text.empty()) return parse_error{parse_errc::empty, "empty"};
  if (text.size() > 3) return parse_error{parse_errc::too_long, "longer than 3"};
  return static_cast<int>(text.size());
}

TEST(Result, ValueOrErrorWithItsKind) {
  auto ok = parse_length("ab");
  ASSERT_TRUE(ok);
  EXPECT_TRUE(ok.has_value());
  EXPECT_EQ(*ok, 2);
  EXPECT_EQ(ok.value(), 2);

  for (auto [text, kind] : {std::pair{"", parse_errc::empty}, {"abcd", parse_errc::too_long}}) {
    auto bad = parse_length(text);
    ASSERT_FALSE(bad) << text;
    EXPECT_EQ(bad.error().kind, kind) << text;
  }
}

TEST(Result, MovesOutValueAndError) {
  kasocki::result<std::unique_ptr<int>, std::string> owned = std::make_unique<int>(7);
  ASSERT_TRUE(owned);
  EXPECT_EQ(**owned, 7);
  std::unique_ptr<int> taken = std::move(owned).value();
  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(*taken, 7);

  kasocki::result<std::unique_ptr<int>, std::string> failed = std::string("why");
  std::string why = std::move(failed).error();
  EXPECT_EQ(why, "why");
}

TEST(Result, StatusOfCallsWithoutAValue) {
  kasocki::result<kasocki::ok_t, std::string> done = kasocki::ok_t{};
  kasocki::result<kasocki::ok_t, std::string> refused = std::string("no");
  EXPECT_TRUE(done);
  EXPECT_FALSE(refused);
  EXPECT_EQ(refused.error(), "no");
}

TEST(Result, ValueOrFallsBackOnAnError) {
  kasocki::result<std::string, int> text = std::string("abc");
  kasocki::result<std::string, int> none = 5;
  EXPECT_EQ(text.value_or("x"), "abc");
  EXPECT_EQ(none.value_or("x"), "x");
  EXPECT_EQ(std::move(text).value_or("x"), "abc");
}

TEST(Result, EqualWhenTheSameAlternativeIsEqual) {
  using r = kasocki::result<int, parse_errc>;
  EXPECT_EQ(r(1), r(1));
  EXPECT_NE(r(1), r(2));
  EXPECT_EQ(r(parse_errc::empty), parse_errc::empty);
  EXPECT_NE(r(parse_errc::empty), parse_errc::too_long);
  EXPECT_NE(r(0), parse_errc::empty);  // a value is never equal to an error
}

TEST(Result, ArrowReachesTheValue) {
  kasocki::result<std::string, int> text = std::string("abc");
  EXPECT_EQ(text->size(), 3u);
}

}  // namespace
