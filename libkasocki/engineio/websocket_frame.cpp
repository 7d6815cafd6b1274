// See websocket_frame.hpp.
#include "libkasocki/engineio/websocket_frame.hpp"

#include "libkasocki/websocket/frame_writer.hpp"

namespace kasocki::engineio {

void append_packet_frame(std::string& out, const out_packet& p, int protocol,
                         std::optional<std::uint32_t> mask) {
  bool marker = !p.binary || protocol < 4;  // the type digit, or v3's 0x04 byte
  auto op = p.binary ? websocket::opcode::binary : websocket::opcode::text;
  std::size_t at = websocket::append_header(out, op, p.data_size() + (marker ? 1 : 0), mask);
  if (marker) out += p.binary ? '\x04' : static_cast<char>('0' + static_cast<int>(p.type));
  out += p.head();
  out += view(p.body);
  out += p.tail();
  if (mask) websocket::mask_from(out, at, *mask);
}

}  // namespace kasocki::engineio
