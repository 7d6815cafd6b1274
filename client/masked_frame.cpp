// See masked_frame.hpp.
#include "client/masked_frame.hpp"

#include <cstring>

#include "libkasocki/engineio/websocket_frame.hpp"

namespace kasocki::client {

namespace {

// XORs `size` bytes at `data` with the key, eight bytes at a time where it can.
void apply_mask(char* data, std::size_t size, const unsigned char key[4]) {
  std::uint64_t wide = 0;
  for (int i = 0; i < 8; ++i) reinterpret_cast<unsigned char*>(&wide)[i] = key[i % 4];
  std::size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, data + i, 8);
    word ^= wide;
    std::memcpy(data + i, &word, 8);
  }
  for (; i < size; ++i) data[i] = static_cast<char>(data[i] ^ key[i % 4]);
}

// The header of a frame (the server form, then the mask bit and the key) and the start of its
// payload in `out`.
std::size_t append_header(std::string& out, unsigned opcode, std::size_t size, std::uint32_t mask) {
  std::size_t at = out.size();
  engineio::append_frame_header(out, opcode, size);
  out[at + 1] = static_cast<char>(out[at + 1] | 0x80);  // MASK bit
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((mask >> shift) & 0xff);
  return out.size();
}

void mask_from(std::string& out, std::size_t payload_at, std::uint32_t mask) {
  const unsigned char key[4] = {
      static_cast<unsigned char>(mask >> 24), static_cast<unsigned char>(mask >> 16),
      static_cast<unsigned char>(mask >> 8), static_cast<unsigned char>(mask)};
  apply_mask(out.data() + payload_at, out.size() - payload_at, key);
}

}  // namespace

void append_masked_frame(std::string& out, bool binary, std::string_view payload,
                         std::uint32_t mask) {
  append_masked_control_frame(out, binary ? 0x2 : 0x1, payload, mask);
}

void append_masked_control_frame(std::string& out, unsigned opcode, std::string_view payload,
                                 std::uint32_t mask) {
  std::size_t at = append_header(out, opcode, payload.size(), mask);
  out += payload;
  mask_from(out, at, mask);
}

void append_masked_packet(std::string& out, const engineio::out_packet& p, std::uint32_t mask) {
  std::size_t size = p.data_size() + (p.binary ? 0 : 1);
  std::size_t at = append_header(out, p.binary ? 0x2 : 0x1, size, mask);
  if (!p.binary) out += static_cast<char>('0' + static_cast<int>(p.type));
  out += p.head;
  out += view(p.body);
  out += p.tail;
  mask_from(out, at, mask);
}

}  // namespace kasocki::client
