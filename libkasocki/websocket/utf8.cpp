// See utf8.hpp. Messages are JSON, nearly all ASCII: eight bytes are checked at a time until a
// byte with the top bit set, then the multi-byte sequences one by one.
#include "libkasocki/websocket/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace kasocki::websocket {

bool valid_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    if (i + 8 <= n) {
      std::uint64_t word;
      std::memcpy(&word, p + i, 8);
      if ((word & 0x8080808080808080ull) == 0) {
        i += 8;
        continue;
      }
    }
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t more;
    unsigned char low = 0x80, high = 0xbf;  // the range of the byte after the lead byte
    if (c >= 0xc2 && c <= 0xdf) {
      more = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      more = 2;
      if (c == 0xe0) low = 0xa0;   // no overlong 3-byte forms
      if (c == 0xed) high = 0x9f;  // no surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      more = 3;
      if (c == 0xf0) low = 0x90;   // no overlong 4-byte forms
      if (c == 0xf4) high = 0x8f;  // nothing above U+10FFFF
    } else {
      return false;  // a continuation byte, an overlong 2-byte lead, or 0xf5..0xff
    }
    if (n - i <= more) return false;
    if (p[i + 1] < low || p[i + 1] > high) return false;
    for (std::size_t k = 2; k <= more; ++k)
      if ((p[i + k] & 0xc0) != 0x80) return false;
    i += more + 1;
  }
  return true;
}

}  // namespace kasocki::websocket
