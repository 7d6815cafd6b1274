// Unit tests for libkasocki/websocket/frame_writer.hpp: frames byte for byte against RFC 6455's
// examples, every length form masked and not, control frames, fragments, close payloads and
// masking at any key offset.
#include <gtest/gtest.h>

#include <optional>

#include "libkasocki/websocket/frame_writer.hpp"

namespace kasocki::websocket {
namespace {

std::string bytes(std::initializer_list<int> list) {
  std::string out;
  for (int b : list) out += static_cast<char>(b);
  return out;
}

// Reverses the masking: the payload of the single frame in `frame`.
std::string unmask(std::string_view frame, std::size_t header) {
  std::string payload(frame.substr(header + 4));
  for (std::size_t i = 0; i < payload.size(); ++i)
    payload[i] = static_cast<char>(payload[i] ^ frame[header + i % 4]);
  return payload;
}

TEST(FrameWriter, RfcExamples) {
  // RFC 6455 5.7: a single-frame unmasked text message, the same masked with 37 fa 21 3d, an
  // unmasked ping and its masked pong, and a fragmented unmasked text message.
  std::string out;
  append_frame(out, opcode::text, "Hello");
  EXPECT_EQ(out, bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
  out.clear();
  append_frame(out, opcode::text, "Hello", 0x37fa213d);
  EXPECT_EQ(out, bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
  out.clear();
  append_frame(out, opcode::ping, "Hello");
  EXPECT_EQ(out, bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
  out.clear();
  append_frame(out, opcode::pong, "Hello", 0x37fa213d);
  EXPECT_EQ(out, bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
  out.clear();
  append_frame(out, opcode::text, "Hel", std::nullopt, false);
  append_frame(out, opcode::continuation, "lo");
  EXPECT_EQ(out, bytes({0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f}));
}

TEST(FrameWriter, LengthForms) {
  struct row {
    std::size_t size;
    std::string header;  // unmasked; masked: the MASK bit set, then the key
  };
  const row rows[] = {
      {0, bytes({0x82, 0x00})},
      {125, bytes({0x82, 0x7d})},
      {126, bytes({0x82, 0x7e, 0x00, 0x7e})},
      {65535, bytes({0x82, 0x7e, 0xff, 0xff})},
      {65536, bytes({0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0})},
  };
  for (const auto& r : rows) {
    std::string payload(r.size, '\0');
    for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i * 7);
    std::string plain = "prefix";  // appends, leaving what is there
    append_frame(plain, opcode::binary, payload);
    EXPECT_EQ(plain, "prefix" + r.header + payload) << r.size;

    std::string masked;
    append_frame(masked, opcode::binary, payload, 0x01020304);
    std::string header = r.header;
    header[1] = static_cast<char>(header[1] | 0x80);
    ASSERT_EQ(masked.size(), header.size() + 4 + r.size) << r.size;
    EXPECT_EQ(masked.substr(0, header.size()), header) << r.size;
    EXPECT_EQ(masked.substr(header.size(), 4), bytes({1, 2, 3, 4}));
    EXPECT_EQ(unmask(masked, header.size()), payload) << r.size;
    if (r.size >= 8) {
      EXPECT_NE(masked.substr(header.size() + 4), payload);
    }
  }
}

TEST(FrameWriter, AppendHeaderReturnsWherePayloadGoes) {
  std::string out = "ab";
  EXPECT_EQ(append_header(out, opcode::text, 3), 4u);
  EXPECT_EQ(append_header(out, opcode::text, 3, 0xaabbccdd), 10u);
  EXPECT_EQ(out.substr(4), bytes({0x81, 0x83, 0xaa, 0xbb, 0xcc, 0xdd}));
}

TEST(FrameWriter, MaskAtAnyOffsetAndLength) {
  // apply_mask with a key offset equals masking the whole payload at once, for every length
  // around the eight-byte steps and every offset.
  std::string payload;
  for (int i = 0; i < 37; ++i) payload += static_cast<char>(i * 31);
  std::string whole = payload;
  apply_mask(whole.data(), whole.size(), 0x9abcdef0);
  for (std::size_t start = 0; start < 12; ++start) {
    std::string part = payload.substr(start);
    apply_mask(part.data(), part.size(), 0x9abcdef0, start);
    EXPECT_EQ(part, whole.substr(start)) << start;
  }
  std::string twice = whole;
  apply_mask(twice.data(), twice.size(), 0x9abcdef0);
  EXPECT_EQ(twice, payload);
}

TEST(FrameWriter, ClosePayloads) {
  EXPECT_EQ(close_payload(1000), bytes({0x03, 0xe8}));
  EXPECT_EQ(close_payload(1009, "too big"), bytes({0x03, 0xf1}) + "too big");
  EXPECT_EQ(close_payload(1005, "ignored"), "");
  // A long reason is cut to fit a control frame, never inside a character.
  EXPECT_EQ(close_payload(1000, std::string(200, 'x')).size(), max_control_payload);
  std::string accents;
  for (int i = 0; i < 100; ++i) accents += "\xc3\xa9";
  auto cut = close_payload(1000, accents);
  EXPECT_EQ(cut.size(), 124u);  // 2 + 61 two-byte characters
  std::string out;
  append_close(out, 1002, "", 0);
  EXPECT_EQ(out, bytes({0x88, 0x82, 0, 0, 0, 0, 0x03, 0xea}));
}

TEST(FrameWriter, ValidCloseCodes) {
  for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 3000, 4999})
    EXPECT_TRUE(valid_close_code(static_cast<std::uint16_t>(code))) << code;
  for (int code : {0, 999, 1004, 1005, 1006, 1014, 1015, 2999, 5000, 65535})
    EXPECT_FALSE(valid_close_code(static_cast<std::uint16_t>(code))) << code;
}

TEST(FrameWriter, MaskKeysVary) {
  mask_source masks;
  std::uint32_t first = masks.next();
  bool differs = false;
  for (int i = 0; i < 8; ++i) differs |= masks.next() != first;
  EXPECT_TRUE(differs);
}

}  // namespace
}  // namespace kasocki::websocket
