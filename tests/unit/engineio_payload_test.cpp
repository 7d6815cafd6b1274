// Unit tests for the Engine.IO long-polling payload codecs: v4 (record separator, "b"+base64),
// v3 text ("<UTF-16 length>:<packet>", "b4"+base64) and v3 binary (XHR2 framing).
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

using packets = std::vector<packet>;

packet text(packet_type t, std::string data = {}) {
  return packet{t, false, std::move(data)};
}
packet bin(std::string data) {
  return packet{packet_type::message, true, std::move(data)};
}

// The out_packets that encode the same packets.
std::vector<out_packet> outs(const packets& ps) {
  std::vector<out_packet> out;
  for (const auto& p : ps) out.push_back(make_out_packet(p.type, p.data, p.binary));
  return out;
}

// Items joined by the v4 record separator (spelled out: "\x1e4" would be one hex escape).
std::string rs_join(std::initializer_list<std::string> items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty() || &item != items.begin()) out += '\x1e';
    out += item;
  }
  return out;
}

struct payload_case {
  std::string body;
  packets expected;
};

// --- v4
// -------------------------------------------------------------------------------------------

TEST(EngineioPayloadV4, DecodesAndEncodesExactly) {
  const payload_case cases[] = {
      {"4hello", {text(packet_type::message, "hello")}},
      {"6", {text(packet_type::noop)}},
      {rs_join({"2", "3probe"}), {text(packet_type::ping), text(packet_type::pong, "probe")}},
      {rs_join({"4hello", "4\xe2\x82\xac", "bAQIDBA=="}),
       {text(packet_type::message, "hello"), text(packet_type::message, "\xe2\x82\xac"),
        bin("\x01\x02\x03\x04")}},
      {rs_join({"b", "4"}), {bin(""), text(packet_type::message)}},
      {"1", {text(packet_type::close)}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(decode_payload_v4(c.body), c.expected) << c.body;
    std::string out;
    append_payload_v4(outs(c.expected), out);
    EXPECT_EQ(out, c.body);
  }
}

TEST(EngineioPayloadV4, RejectsInvalidSayingWhy) {
  const struct {
    std::string body;
    decode_errc error;
  } cases[] = {
      {"", decode_errc::empty},
      {rs_join({"", ""}), decode_errc::empty},
      {rs_join({"4a", ""}), decode_errc::empty},
      {rs_join({"", "4a"}), decode_errc::empty},
      {rs_join({"4a", "", "4b"}), decode_errc::empty},
      {rs_join({"4a", "x"}), decode_errc::bad_type},
      {rs_join({"4a", "b!!"}), decode_errc::bad_base64},
      {"7", decode_errc::bad_type},
      {"bAQ", decode_errc::bad_base64},
      {"hello", decode_errc::bad_type},
  };
  for (const auto& c : cases) EXPECT_EQ(decode_payload_v4(c.body), c.error) << c.body;
}

// --- v3 text
// --------------------------------------------------------------------------------------

TEST(EngineioPayloadV3Text, LengthsCountUtf16Units) {
  const std::string packet_text = "42[\"message-back\",\"h\xc3\xa9llo\"]";
  ASSERT_EQ(packet_text.size(), 27u);  // bytes differ from the length prefix
  const std::string body = "26:" + packet_text;
  const packets expected = {text(packet_type::message, packet_text.substr(1))};
  EXPECT_EQ(decode_payload_v3_text(body), expected);
  std::string out;
  append_payload_v3_text(outs(expected), out);
  EXPECT_EQ(out, body);
}

TEST(EngineioPayloadV3Text, DecodesAndEncodesExactly) {
  const payload_case cases[] = {
      {"1:2", {text(packet_type::ping)}},
      {"6:3probe", {text(packet_type::pong, "probe")}},
      {"2:40", {text(packet_type::message, "0")}},
      {"1:6"
       "2:40"
       "7:42[\"a\"]",
       {text(packet_type::noop), text(packet_type::message, "0"),
        text(packet_type::message, "2[\"a\"]")}},
      {"3:4\xf0\x9f\x98\x80", {text(packet_type::message, "\xf0\x9f\x98\x80")}},  // astral: 2
      {"5:4\xe2\x82\xac\xf0\x9f\x98\x80\xc3\xa9"
       "1:1",
       {text(packet_type::message, "\xe2\x82\xac\xf0\x9f\x98\x80\xc3\xa9"),
        text(packet_type::close)}},
      {"10:b4AQIDBA==", {bin("\x01\x02\x03\x04")}},
      {"2:b4", {bin("")}},
      {"6:4hello"
       "10:b4AQIDBA==",
       {text(packet_type::message, "hello"), bin("\x01\x02\x03\x04")}},
      {"15:4" + std::string(14, 'x'), {text(packet_type::message, std::string(14, 'x'))}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(decode_payload_v3_text(c.body), c.expected) << c.body;
    std::string out;
    append_payload_v3_text(outs(c.expected), out);
    EXPECT_EQ(out, c.body);
  }
  // A leading zero is still a valid number.
  EXPECT_EQ(decode_payload_v3_text("01:2"), (packets{text(packet_type::ping)}));
}

TEST(EngineioPayloadV3Text, RejectsInvalidSayingWhy) {
  const struct {
    std::string body;
    decode_errc error;
  } cases[] = {
      {""s, decode_errc::empty},
      {":"s, decode_errc::bad_length},
      {"0:"s, decode_errc::bad_length},                   // empty packet
      {"1:"s, decode_errc::truncated},                    // length beyond the body
      {"5:4hi"s, decode_errc::truncated},                 //
      {"2:4\xf0\x9f\x98\x80"s, decode_errc::bad_length},  // ends inside a surrogate pair
      {"4:4\xf0\x9f\x98\x80"s, decode_errc::truncated},   // more units than the body has
      {"2:4\xc3\xa9x"s, decode_errc::bad_length},         // trailing byte without a length
      {"3:4hi1"s, decode_errc::truncated},                //
      {"a:4"s, decode_errc::bad_length},                  //
      {"-1:4"s, decode_errc::bad_length},                 //
      {" 1:4"s, decode_errc::bad_length},                 //
      {"1 :4"s, decode_errc::bad_length},                 //
      {"1"s, decode_errc::truncated},                     // no colon
      {"12345678901:4"s, decode_errc::bad_length},        // too many digits
      {"99999999999999999999999:4"s, decode_errc::bad_length},
      {"1:x"s, decode_errc::bad_type},        // unknown type
      {"1:7"s, decode_errc::bad_type},        //
      {"2:b5"s, decode_errc::bad_type},       // v3 base64 must name the message type
      {"1:b"s, decode_errc::bad_type},        //
      {"5:b4AQ="s, decode_errc::bad_base64},  // bad base64
      {"4:bAQ="s, decode_errc::bad_type},     //
      {"1:2:"s, decode_errc::bad_length},     //
  };
  for (const auto& c : cases) EXPECT_EQ(decode_payload_v3_text(c.body), c.error) << c.body;
}

TEST(EngineioPayloadV3Text, HeadBodyTailLengthsAddUp) {
  out_packet p = make_out_packet(packet_type::message);
  p.set_around("2[\"message\",", "]");
  p.body = kasocki::make_shared_bytes("{\"v\":\"h\xc3\xa9\xf0\x9f\x98\x80\"}");
  std::string out;
  append_payload_v3_text(std::span(&p, 1), out);
  EXPECT_EQ(out, "26:42[\"message\",{\"v\":\"h\xc3\xa9\xf0\x9f\x98\x80\"}]");
  EXPECT_EQ(decode_payload_v3_text(out),
            (packets{text(packet_type::message,
                          "2[\"message\",{\"v\":\"h\xc3\xa9\xf0\x9f\x98\x80\"}]")}));
}

// --- v3 binary
// ------------------------------------------------------------------------------------

TEST(EngineioPayloadV3Binary, DecodesAndEncodesExactly) {
  const payload_case cases[] = {
      {"\x00\x06\xff"
       "4hello"s,
       {text(packet_type::message, "hello")}},
      {"\x00\x01\xff"
       "2"s,
       {text(packet_type::ping)}},
      {"\x01\x03\xff\x04\x01\x02"s, {bin("\x01\x02")}},
      {"\x01\x01\xff\x04"s, {bin("")}},
      {"\x00\x01\x02\xff"
       "4"s +
           std::string(11, 'x'),
       {text(packet_type::message, std::string(11, 'x'))}},
      {"\x00\x02\xff"
       "40"
       "\x01\x05\xff\x04\x00\xff\x01\x02"
       "\x00\x03\xff"
       "4\xc3\xa9"s,  // byte lengths here, not UTF-16
       {text(packet_type::message, "0"), bin("\x00\xff\x01\x02"s),
        text(packet_type::message, "\xc3\xa9")}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(decode_payload_v3_binary(c.body), c.expected);
    std::string out;
    append_payload_v3_binary(outs(c.expected), out);
    EXPECT_EQ(out, c.body);
  }
}

TEST(EngineioPayloadV3Binary, RejectsInvalidSayingWhy) {
  const struct {
    std::string body;
    decode_errc error;
  } cases[] = {
      {""s, decode_errc::empty},
      {"\x02\x01\xff"
       "2"s,
       decode_errc::bad_type},  // kind neither 0 nor 1
      {"\x00\xff"
       "2"s,
       decode_errc::bad_length},              // no length digits
      {"\x00\x01"s, decode_errc::truncated},  // no 0xFF
      {"\x00"s, decode_errc::truncated},
      {"\x00\x0a\xff"
       "4123456789"s,
       decode_errc::bad_length},                   // a length byte above 9
      {"\x00\x00\xff"s, decode_errc::bad_length},  // empty packet
      {"\x00\x05\xff"
       "4hi"s,
       decode_errc::truncated},                          // beyond the body
      {"\x01\x02\xff\x02\x01"s, decode_errc::bad_type},  // binary that is not a message
      {"\x00\x01\xff"
       "x"s,
       decode_errc::bad_type},                       // unknown text type
      {"\x00\x01\xff\x04"s, decode_errc::bad_type},  // text packet with a byte type
      {"\x00\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\xff"
       "4"s,
       decode_errc::bad_length},  // too many digits
      {"\x00\x01\xff"
       "2\x03"s,
       decode_errc::bad_type},  // trailing garbage
  };
  for (const auto& c : cases)
    EXPECT_EQ(decode_payload_v3_binary(c.body), c.error) << ::testing::PrintToString(c.body);
}

}  // namespace
