// Engine.IO long-polling payload codecs (v4 record-separated, v3 length-prefixed text and
// binary framings) and the UTF-16 length counting the v3 text framing needs; see packet.hpp.
// Pure functions, no I/O; no input throws.
#include <charconv>
#include <cstdint>
#include <cstring>

#include "libkasocki/common/base64.hpp"
#include "libkasocki/engineio/packet.hpp"

namespace kasocki::engineio {
namespace {

constexpr char record_separator = '\x1e';
// A v3 length prefix longer than this cannot describe a body we would accept (maxPayload is
// far below 10^10 bytes), and bounding it keeps the arithmetic free of overflow.
constexpr std::size_t max_length_digits = 10;

struct utf8_step {
  std::size_t bytes;
  std::size_t units;  // UTF-16 code units: 2 for a 4-byte sequence (a surrogate pair)
};

// One character at s[i] (i < s.size()). A byte that does not start a well-formed sequence
// (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF) counts as one byte, one unit.
inline utf8_step step_at(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<std::uint8_t>(s[i]);
  if (b0 < 0x80) return {1, 1};
  auto cont = [&](std::size_t k, std::uint8_t lo, std::uint8_t hi) {
    if (i + k >= s.size()) return false;
    const auto b = static_cast<std::uint8_t>(s[i + k]);
    return b >= lo && b <= hi;
  };
  if (b0 >= 0xC2 && b0 <= 0xDF) return cont(1, 0x80, 0xBF) ? utf8_step{2, 1} : utf8_step{1, 1};
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    const std::uint8_t lo = b0 == 0xE0 ? 0xA0 : 0x80;
    const std::uint8_t hi = b0 == 0xED ? 0x9F : 0xBF;
    return cont(1, lo, hi) && cont(2, 0x80, 0xBF) ? utf8_step{3, 1} : utf8_step{1, 1};
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    const std::uint8_t lo = b0 == 0xF0 ? 0x90 : 0x80;
    const std::uint8_t hi = b0 == 0xF4 ? 0x8F : 0xBF;
    return cont(1, lo, hi) && cont(2, 0x80, 0xBF) && cont(3, 0x80, 0xBF) ? utf8_step{4, 2}
                                                                         : utf8_step{1, 1};
  }
  return {1, 1};
}

// True when the 8 bytes at p are all ASCII: the common case (JSON) is skipped a word at a time.
inline bool ascii_word(const char* p) {
  std::uint64_t w;
  std::memcpy(&w, p, sizeof w);
  return (w & 0x8080808080808080ULL) == 0;
}

// The byte offset reached after `units` UTF-16 code units starting at `pos`: truncated when the
// text is too short, bad_length when the count ends inside a surrogate pair.
decode_result<std::size_t> advance_units(std::string_view s, std::size_t pos, std::size_t units) {
  std::size_t done = 0;
  while (done < units) {
    while (units - done >= 8 && s.size() - pos >= 8 && ascii_word(s.data() + pos)) {
      pos += 8;
      done += 8;
    }
    if (done == units) break;
    if (pos >= s.size()) return decode_errc::truncated;
    const auto step = step_at(s, pos);
    pos += step.bytes;
    done += step.units;
  }
  if (done != units) return decode_errc::bad_length;
  return pos;
}

void append_number(std::size_t n, std::string& out) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  (void)ec;  // 24 chars always hold a size_t
  out.append(buf, end);
}

// A packet inside a v3 text payload: the v3 base64 form names the type ("b4<base64>").
decode_result<packet> decode_v3_item(std::string_view item) {
  if (!item.empty() && item.front() == 'b') {
    if (item.size() < 2 || item[1] != '4') return decode_errc::bad_type;
    auto bytes = base64_decode(item.substr(2));
    if (!bytes) return decode_errc::bad_base64;
    return packet{packet_type::message, true, std::move(*bytes)};
  }
  return decode_text_packet(item, false);
}

std::size_t data_utf16_length(const out_packet& p) {
  return utf16_length(p.head()) + utf16_length(view(p.body)) + utf16_length(p.tail());
}

}  // namespace

std::size_t utf16_length(std::string_view utf8) {
  std::size_t units = 0;
  std::size_t i = 0;
  while (i < utf8.size()) {
    while (utf8.size() - i >= 8 && ascii_word(utf8.data() + i)) {
      i += 8;
      units += 8;
    }
    if (i >= utf8.size()) break;
    const auto step = step_at(utf8, i);
    i += step.bytes;
    units += step.units;
  }
  return units;
}

// --- v4 -----------------------------------------------------------------------------------------

decode_result<std::vector<packet>> decode_payload_v4(std::string_view body) {
  if (body.empty()) return decode_errc::empty;
  std::vector<packet> packets;
  std::size_t start = 0;
  while (true) {
    const auto end = body.find(record_separator, start);
    auto p = decode_text_packet(body.substr(start, end - start), true);
    if (!p) return p.error();
    packets.push_back(std::move(*p));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return packets;
}

void append_payload_v4(std::span<const out_packet> packets, std::string& out) {
  for (std::size_t i = 0; i < packets.size(); ++i) {
    if (i > 0) out += record_separator;
    append_text_packet(packets[i], out);
  }
}

// --- v3 text ------------------------------------------------------------------------------------

decode_result<std::vector<packet>> decode_payload_v3_text(std::string_view body) {
  if (body.empty()) return decode_errc::empty;
  std::vector<packet> packets;
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::size_t length = 0;
    const std::size_t digits_start = pos;
    while (pos < body.size() && body[pos] >= '0' && body[pos] <= '9') {
      if (pos - digits_start == max_length_digits) return decode_errc::bad_length;
      length = length * 10 + static_cast<std::size_t>(body[pos] - '0');
      ++pos;
    }
    if (pos == digits_start || length == 0) return decode_errc::bad_length;
    if (pos == body.size()) return decode_errc::truncated;
    if (body[pos] != ':') return decode_errc::bad_length;
    ++pos;
    // Every code unit takes at least one byte, so a longer length cannot fit.
    if (length > body.size() - pos) return decode_errc::truncated;
    const auto end = advance_units(body, pos, length);
    if (!end) return end.error();
    auto p = decode_v3_item(body.substr(pos, *end - pos));
    if (!p) return p.error();
    packets.push_back(std::move(*p));
    pos = *end;
  }
  return packets;
}

void append_payload_v3_text(std::span<const out_packet> packets, std::string& out) {
  for (const auto& p : packets) {
    if (p.binary) {
      std::string encoded;  // "b" + base64, all ASCII: its length in units is its size
      append_text_packet(p, encoded);
      append_number(encoded.size() + 1, out);
      out += ":b4";
      out.append(encoded, 1);
      continue;
    }
    // Lengths of the parts add up as long as no UTF-8 sequence is split between head, body and
    // tail, which holds for everything the server builds (they are split at ASCII JSON syntax).
    append_number(1 + data_utf16_length(p), out);
    out += ':';
    append_text_packet(p, out);
  }
}

// --- v3 binary ----------------------------------------------------------------------------------

decode_result<std::vector<packet>> decode_payload_v3_binary(std::string_view body) {
  if (body.empty()) return decode_errc::empty;
  std::vector<packet> packets;
  std::size_t pos = 0;
  while (pos < body.size()) {
    const auto kind = static_cast<std::uint8_t>(body[pos++]);
    if (kind > 1) return decode_errc::bad_type;
    std::size_t length = 0;
    std::size_t digits = 0;
    while (pos < body.size() && static_cast<std::uint8_t>(body[pos]) != 0xFF) {
      const auto d = static_cast<std::uint8_t>(body[pos]);
      if (d > 9 || digits == max_length_digits) return decode_errc::bad_length;
      length = length * 10 + d;
      ++digits;
      ++pos;
    }
    if (pos == body.size()) return decode_errc::truncated;
    if (digits == 0 || length == 0) return decode_errc::bad_length;
    ++pos;  // the 0xFF
    if (length > body.size() - pos) return decode_errc::truncated;
    const auto item = body.substr(pos, length);
    pos += length;
    auto p = kind == 0 ? decode_text_packet(item, false) : decode_binary_frame(item, 3);
    if (!p) return p.error();
    packets.push_back(std::move(*p));
  }
  return packets;
}

void append_payload_v3_binary(std::span<const out_packet> packets, std::string& out) {
  for (const auto& p : packets) {
    out += p.binary ? '\x01' : '\x00';
    std::string digits;
    append_number(1 + p.data_size(), digits);  // the type digit or byte counts too
    for (char c : digits) out += static_cast<char>(c - '0');
    out += '\xFF';
    if (p.binary) {
      append_binary_frame(p, 3, out);
    } else {
      append_text_packet(p, out);
    }
  }
}

}  // namespace kasocki::engineio
