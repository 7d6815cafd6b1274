// See frame_writer.hpp.
#include "libkasocki/websocket/frame_writer.hpp"

#include <cstring>

namespace kasocki::websocket {

std::size_t append_header(std::string& out, opcode op, std::size_t size,
                          std::optional<std::uint32_t> mask, bool fin) {
  out += static_cast<char>((fin ? 0x80 : 0) | static_cast<unsigned>(op));
  const char mask_bit = mask ? static_cast<char>(0x80) : 0;
  if (size < 126) {
    out += static_cast<char>(mask_bit | static_cast<char>(size));
  } else if (size <= 0xffff) {
    out += static_cast<char>(mask_bit | 126);
    out += static_cast<char>((size >> 8) & 0xff);
    out += static_cast<char>(size & 0xff);
  } else {
    out += static_cast<char>(mask_bit | 127);
    for (int shift = 56; shift >= 0; shift -= 8)
      out += static_cast<char>((static_cast<std::uint64_t>(size) >> shift) & 0xff);
  }
  if (mask)
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((*mask >> shift) & 0xff);
  return out.size();
}

void apply_mask(char* data, std::size_t size, std::uint32_t mask, std::size_t key_offset) {
  unsigned char key[4] = {static_cast<unsigned char>(mask >> 24),
                          static_cast<unsigned char>(mask >> 16),
                          static_cast<unsigned char>(mask >> 8), static_cast<unsigned char>(mask)};
  // Eight bytes at a time where it can: the key repeated twice, rotated to the start offset.
  std::uint64_t wide = 0;
  for (std::size_t i = 0; i < 8; ++i)
    reinterpret_cast<unsigned char*>(&wide)[i] = key[(i + key_offset) % 4];
  std::size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, data + i, 8);
    word ^= wide;
    std::memcpy(data + i, &word, 8);
  }
  for (; i < size; ++i) data[i] = static_cast<char>(data[i] ^ key[(i + key_offset) % 4]);
}

void mask_from(std::string& out, std::size_t from, std::uint32_t mask) {
  if (from < out.size()) apply_mask(out.data() + from, out.size() - from, mask);
}

void append_frame(std::string& out, opcode op, std::string_view payload,
                  std::optional<std::uint32_t> mask, bool fin) {
  const std::size_t at = append_header(out, op, payload.size(), mask, fin);
  out += payload;
  if (mask) mask_from(out, at, *mask);
}

std::string close_payload(std::uint16_t code, std::string_view reason) {
  std::string payload;
  if (code == 1005) return payload;
  payload += static_cast<char>(code >> 8);
  payload += static_cast<char>(code & 0xff);
  std::size_t room = max_control_payload - 2;
  if (reason.size() > room) {
    // Cut before a continuation byte never splits a character.
    while (room > 0 && (static_cast<unsigned char>(reason[room]) & 0xc0) == 0x80) --room;
    reason = reason.substr(0, room);
  }
  payload += reason;
  return payload;
}

void append_close(std::string& out, std::uint16_t code, std::string_view reason,
                  std::optional<std::uint32_t> mask) {
  append_frame(out, opcode::close, close_payload(code, reason), mask);
}

bool valid_close_code(std::uint16_t code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1013) ||
         (code >= 3000 && code <= 4999);
}

}  // namespace kasocki::websocket
