// Unit tests for the base64 codec.
#include <gtest/gtest.h>

#include "libkasocki/common/base64.hpp"

using kasocki::base64_decode;
using kasocki::base64_encode;

TEST(Base64, EncodesWithPadding) {
  struct {
    const char* in;
    const char* out;
  } cases[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"\x01\x02\x03\x04", "AQIDBA=="}};
  for (auto& c : cases) {
    std::string out;
    base64_encode(c.in, out);
    EXPECT_EQ(out, c.out);
    EXPECT_EQ(base64_decode(c.out), std::string(c.in));
  }
}

TEST(Base64, RejectsInvalid) {
  for (const char* bad : {"Zg=", "Z===", "Zg=a", "Zm9v!A==", "=Zm8", "Zm=8"})
    EXPECT_FALSE(base64_decode(bad).has_value()) << bad;
}
