// libFuzzer target: Engine.IO single packets (text with and without base64, websocket binary
// frames v3/v4) and utf16_length. Decoded packets must encode back to the same packet.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "libkasocki/engineio/packet.hpp"

using namespace kasocki::engineio;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// An independent, slow count of UTF-16 units: decode each well-formed sequence fully.
std::size_t slow_utf16_length(std::string_view s) {
  std::size_t units = 0;
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char b = s[i];
    std::size_t len = b < 0x80                 ? 1
                      : b >= 0xC2 && b <= 0xDF ? 2
                      : b >= 0xE0 && b <= 0xEF ? 3
                      : b >= 0xF0 && b <= 0xF4 ? 4
                                               : 0;
    std::uint32_t cp = len == 1 ? b : len == 2 ? b & 0x1F : len == 3 ? b & 0x0F : b & 0x07;
    bool ok = len > 0 && i + len <= s.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      const unsigned char c = s[i + k];
      ok = (c & 0xC0) == 0x80;
      cp = (cp << 6) | (c & 0x3F);
    }
    const std::uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    ok = ok && cp >= min[len] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    if (!ok) {
      ++i;
      ++units;
      continue;
    }
    i += len;
    units += cp >= 0x10000 ? 2 : 1;
  }
  return units;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  check(utf16_length(input) == slow_utf16_length(input));

  for (bool allow_base64 : {false, true}) {
    if (auto p = decode_text_packet(input, allow_base64)) {
      check(!p->binary || p->type == packet_type::message);
      std::string text;
      append_text_packet(make_out_packet(p->type, p->data, p->binary), text);
      check(decode_text_packet(text, allow_base64) == p);
    }
  }
  for (int version : {3, 4}) {
    if (auto p = decode_binary_frame(input, version)) {
      check(p->binary && p->type == packet_type::message);
      std::string frame;
      append_binary_frame(make_out_packet(p->type, p->data, true), version, frame);
      check(frame == input);
    }
  }
  return 0;
}
