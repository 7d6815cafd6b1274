// Engine.IO single-packet codecs (text packets, websocket binary frames); see packet.hpp.
// Pure functions, no I/O; no input throws.
#include "libkasocki/engineio/packet.hpp"

#include <optional>

#include "libkasocki/common/base64.hpp"

namespace kasocki::engineio {

std::string_view describe(decode_errc kind) noexcept {
  switch (kind) {
    case decode_errc::empty:
      return "empty packet";
    case decode_errc::bad_type:
      return "bad packet type";
    case decode_errc::bad_base64:
      return "bad base64";
    case decode_errc::bad_length:
      return "bad length prefix";
    case decode_errc::truncated:
      return "length past the end of the payload";
  }
  return "invalid packet";
}

out_packet make_out_packet(packet_type type, std::string data, bool binary) {
  out_packet p;
  p.type = type;
  p.binary = binary && type == packet_type::message;
  // Small, per-session data goes into `head`: no shared allocation needed for it.
  p.set_around(std::move(data));
  return p;
}

namespace {

std::optional<packet_type> type_from_digit(char c) {
  if (c < '0' || c > '6') return std::nullopt;
  return static_cast<packet_type>(c - '0');
}

char digit_of(packet_type type) {
  return static_cast<char>('0' + static_cast<int>(type));
}

void append_data(const out_packet& p, std::string& out) {
  out += p.head();
  out += view(p.body);
  out += p.tail();
}

}  // namespace

decode_result<packet> decode_text_packet(std::string_view text, bool allow_base64) {
  if (text.empty()) return decode_errc::empty;
  if (allow_base64 && text.front() == 'b') {
    auto bytes = base64_decode(text.substr(1));
    if (!bytes) return decode_errc::bad_base64;
    return packet{packet_type::message, true, std::move(*bytes)};
  }
  auto type = type_from_digit(text.front());
  if (!type) return decode_errc::bad_type;
  return packet{*type, false, std::string(text.substr(1))};
}

decode_result<packet> decode_binary_frame(std::string_view bytes, int protocol_version) {
  if (protocol_version >= 4) return packet{packet_type::message, true, std::string(bytes)};
  // v3 prefixes the type as a byte. Only a message may carry binary data (a binary ping or
  // close would have no meaning), so anything but 0x04 is rejected.
  if (bytes.empty()) return decode_errc::empty;
  if (bytes.front() != '\x04') return decode_errc::bad_type;
  return packet{packet_type::message, true, std::string(bytes.substr(1))};
}

void append_text_packet(const out_packet& p, std::string& out) {
  if (p.binary) {
    // Base64 needs the bytes contiguous; the parts are encoded separately only when they align
    // on 3-byte groups, otherwise they are joined first.
    out += 'b';
    if (p.head().size() % 3 == 0 && view(p.body).size() % 3 == 0) {
      base64_encode(p.head(), out);
      base64_encode(view(p.body), out);
      base64_encode(p.tail(), out);
    } else {
      std::string joined;
      joined.reserve(p.data_size());
      append_data(p, joined);
      base64_encode(joined, out);
    }
    return;
  }
  out.reserve(out.size() + 1 + p.data_size());
  out += digit_of(p.type);
  append_data(p, out);
}

void append_binary_frame(const out_packet& p, int protocol_version, std::string& out) {
  out.reserve(out.size() + 1 + p.data_size());
  if (protocol_version < 4) out += '\x04';
  append_data(p, out);
}

}  // namespace kasocki::engineio
