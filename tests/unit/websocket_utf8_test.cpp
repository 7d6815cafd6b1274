// Unit tests for libkasocki/websocket/utf8.hpp: well-formed UTF-8 and every kind of malformed
// sequence (RFC 3629), at every position relative to the eight-byte ASCII steps.
#include <gtest/gtest.h>

#include <string>

#include "libkasocki/websocket/utf8.hpp"

namespace kasocki::websocket {
namespace {

TEST(Utf8, Table) {
  struct row {
    std::string text;
    bool valid;
  };
  const row rows[] = {
      {"", true},
      {"plain ascii {\"a\":1}", true},
      {"\xc3\xa9", true},            // é
      {"\xe2\x82\xac", true},        // €
      {"\xf0\x9f\x98\x80", true},    // U+1F600
      {"\xf4\x8f\xbf\xbf", true},    // U+10FFFF
      {"\xed\x9f\xbf", true},        // U+D7FF, just below the surrogates
      {std::string("\0", 1), true},  // NUL is a character
      {"\x80", false},               // a lone continuation byte
      {"\xc3", false},               // truncated
      {"\xe2\x82", false},           // truncated
      {"\xc0\xaf", false},           // overlong '/'
      {"\xc1\xbf", false},           // overlong
      {"\xe0\x80\xaf", false},       // overlong
      {"\xf0\x80\x80\xaf", false},   // overlong
      {"\xed\xa0\x80", false},       // a surrogate (U+D800)
      {"\xf4\x90\x80\x80", false},   // above U+10FFFF
      {"\xf5\x80\x80\x80", false},
      {"\xff", false},
      {"\xc3\x28", false},  // a lead byte and no continuation
      {"\xe2\x28\xa1", false},
  };
  for (const auto& r : rows) {
    EXPECT_EQ(valid_utf8(r.text), r.valid) << testing::PrintToString(r.text);
    // The same after 1..9 ASCII bytes and before 1..9 more: the fast path must not skip it.
    for (std::size_t pad = 1; pad < 10; ++pad) {
      std::string padded = std::string(pad, 'a') + r.text + std::string(pad, 'b');
      EXPECT_EQ(valid_utf8(padded), r.valid) << pad << " " << testing::PrintToString(r.text);
    }
  }
}

}  // namespace
}  // namespace kasocki::websocket
