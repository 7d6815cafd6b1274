// Unit tests for the Engine.IO single-packet codecs: text packets, websocket binary frames and
// the UTF-16 length count used by v3 payloads.
#include <gtest/gtest.h>

#include "libkasocki/engineio/packet.hpp"

namespace kasocki::engineio {
// Readable failures: type, binary flag and the data with bytes escaped.
inline void PrintTo(const packet& p, std::ostream* os) {
  *os << "{type " << int(p.type) << (p.binary ? " binary " : " text ")
      << ::testing::PrintToString(p.data) << "}";
}
}  // namespace kasocki::engineio

namespace kasocki {
// A decoded value, or the kind of error.
template <class T>
void PrintTo(const result<T, engineio::decode_errc>& r, std::ostream* os) {
  if (r)
    *os << ::testing::PrintToString(*r);
  else
    *os << "error: " << engineio::describe(r.error());
}
}  // namespace kasocki

namespace {
using namespace kasocki::engineio;
using namespace std::string_literals;

struct text_case {
  std::string in;
  bool allow_base64;
  decode_result<packet> out;
};

TEST(EngineioTextPacket, DecodesValidAndRejectsInvalid) {
  const text_case cases[] = {
      {"0{\"sid\":\"x\"}", false, packet{packet_type::open, false, "{\"sid\":\"x\"}"}},
      {"1", false, packet{packet_type::close, false, ""}},
      {"2", false, packet{packet_type::ping, false, ""}},
      {"2probe", false, packet{packet_type::ping, false, "probe"}},
      {"3probe", false, packet{packet_type::pong, false, "probe"}},
      {"4hello", false, packet{packet_type::message, false, "hello"}},
      {"4", false, packet{packet_type::message, false, ""}},
      {"4h\xc3\xa9llo\x1e", false, packet{packet_type::message, false, "h\xc3\xa9llo\x1e"}},
      {"5", false, packet{packet_type::upgrade, false, ""}},
      {"6", false, packet{packet_type::noop, false, ""}},
      {"bAQIDBA==", true, packet{packet_type::message, true, "\x01\x02\x03\x04"}},
      {"b", true, packet{packet_type::message, true, ""}},
      {"4\0x"s, false, packet{packet_type::message, false, "\0x"s}},
      // invalid
      {"", false, decode_errc::empty},
      {"", true, decode_errc::empty},
      {"7", false, decode_errc::bad_type},
      {"9hello", false, decode_errc::bad_type},
      {"x", false, decode_errc::bad_type},
      {"/", false, decode_errc::bad_type},
      {":", false, decode_errc::bad_type},
      {"bAQIDBA==", false, decode_errc::bad_type},  // base64 only where allowed
      {"bAQIDBA=", true, decode_errc::bad_base64},  // bad base64
      {"b!!!!", true, decode_errc::bad_base64},
      {"\x04hello", false, decode_errc::bad_type},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(decode_text_packet(c.in, c.allow_base64), c.out) << c.in;
  }
}

TEST(EngineioTextPacket, EncodesTextAndBase64) {
  struct {
    out_packet p;
    std::string text;
  } cases[] = {
      {make_out_packet(packet_type::open, "{\"sid\":\"a\"}"), "0{\"sid\":\"a\"}"},
      {make_out_packet(packet_type::close), "1"},
      {make_out_packet(packet_type::ping), "2"},
      {make_out_packet(packet_type::pong, "probe"), "3probe"},
      {make_out_packet(packet_type::message, "hello"), "4hello"},
      {make_out_packet(packet_type::noop), "6"},
      {make_out_packet(packet_type::message, "\x01\x02\x03\x04", true), "bAQIDBA=="},
      {make_out_packet(packet_type::message, "", true), "b"},
  };
  for (const auto& c : cases) {
    std::string out = "prefix:";
    append_text_packet(c.p, out);
    EXPECT_EQ(out, "prefix:" + c.text);
    auto back = decode_text_packet(c.text, true);
    ASSERT_TRUE(back.has_value()) << c.text;
    EXPECT_EQ(back->type, c.p.type);
    EXPECT_EQ(back->binary, c.p.binary);
  }
}

TEST(EngineioTextPacket, MakeOutPacketOnlyMessagesAreBinary) {
  EXPECT_TRUE(make_out_packet(packet_type::message, "x", true).binary);
  EXPECT_FALSE(make_out_packet(packet_type::ping, "x", true).binary);
}

// head + shared body + tail is encoded as one piece of data, whatever the split.
TEST(EngineioTextPacket, EncodesHeadBodyTail) {
  for (std::size_t head_len = 0; head_len <= 4; ++head_len) {
    for (std::size_t body_len = 0; body_len <= 4; ++body_len) {
      const std::string all = "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a";
      out_packet p = make_out_packet(packet_type::message, {}, true);
      p.set_around(all.substr(0, head_len), all.substr(head_len + body_len));
      p.body = kasocki::make_shared_bytes(all.substr(head_len, body_len));
      EXPECT_EQ(p.data_size(), all.size());
      std::string text;
      append_text_packet(p, text);
      EXPECT_EQ(decode_text_packet(text, true), (packet{packet_type::message, true, all}))
          << head_len << "/" << body_len;

      p.binary = false;
      text.clear();
      append_text_packet(p, text);
      EXPECT_EQ(text, "4" + all);
    }
  }
}

TEST(EngineioBinaryFrame, V4IsRawBytes) {
  EXPECT_EQ(decode_binary_frame("\x01\x02"s, 4), (packet{packet_type::message, true, "\x01\x02"}));
  EXPECT_EQ(decode_binary_frame("", 4), (packet{packet_type::message, true, ""}));
  EXPECT_EQ(decode_binary_frame("\x04\x01"s, 4), (packet{packet_type::message, true, "\x04\x01"}));
  std::string out;
  append_binary_frame(make_out_packet(packet_type::message, "\x00\x01"s, true), 4, out);
  EXPECT_EQ(out, "\x00\x01"s);
}

TEST(EngineioBinaryFrame, V3StartsWithMessageByte) {
  EXPECT_EQ(decode_binary_frame("\x04\x01\x02"s, 3),
            (packet{packet_type::message, true, "\x01\x02"}));
  EXPECT_EQ(decode_binary_frame("\x04"s, 3), (packet{packet_type::message, true, ""}));
  EXPECT_EQ(decode_binary_frame("", 3), decode_errc::empty);
  EXPECT_EQ(decode_binary_frame("\x02\x01"s, 3), decode_errc::bad_type);
  EXPECT_EQ(decode_binary_frame("4\x01"s, 3), decode_errc::bad_type);  // the digit, not the byte
  std::string out;
  append_binary_frame(make_out_packet(packet_type::message, "\x00\x01"s, true), 3, out);
  EXPECT_EQ(out, "\x04\x00\x01"s);
}

TEST(EngineioUtf16Length, CountsCodeUnits) {
  struct {
    std::string in;
    std::size_t units;
  } cases[] = {
      {"", 0},
      {"a", 1},
      {"42[\"message-back\",\"h\xc3\xa9llo\"]", 26},  // é: 2 bytes, 1 unit
      {"\xe2\x82\xac", 1},                            // €: 3 bytes, 1 unit
      {"\xf0\x9f\x98\x80", 2},                        // 😀: 4 bytes, a surrogate pair
      {"a\xf0\x9f\x98\x80"
       "b",
       4},
      {std::string(100, 'x') + "\xc3\xa9" + std::string(13, 'y'), 114},  // ASCII fast path
      {"\xf4\x8f\xbf\xbf", 2},                                           // U+10FFFF
      // Invalid UTF-8: each byte of a broken sequence counts one unit.
      {"\xff", 1},
      {"\x80", 1},
      {"\xc3", 1},
      {"\xc3"
       "a",
       2},
      {"\xe2\x82", 2},
      {"\xf0\x9f\x98", 3},
      {"\xc0\xaf", 2},          // overlong
      {"\xed\xa0\x80", 3},      // UTF-16 surrogate encoded in UTF-8
      {"\xf4\x90\x80\x80", 4},  // above U+10FFFF
      {"\xf5\x80\x80\x80", 4},
  };
  for (const auto& c : cases) EXPECT_EQ(utf16_length(c.in), c.units) << c.in;
}

TEST(EngineioUtf16Length, FastPathAgreesWithEveryAlignment) {
  // The same non-ASCII characters at every offset around the 8-byte word boundary.
  for (std::size_t prefix = 0; prefix < 20; ++prefix) {
    const std::string s =
        std::string(prefix, 'a') + "\xc3\xa9\xf0\x9f\x98\x80" + std::string(9, 'b');
    EXPECT_EQ(utf16_length(s), prefix + 1 + 2 + 9) << prefix;
  }
}

}  // namespace
