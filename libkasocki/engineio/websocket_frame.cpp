// See websocket_frame.hpp.
#include "libkasocki/engineio/websocket_frame.hpp"

namespace kasocki::engineio {

void append_frame_header(std::string& out, unsigned opcode, std::size_t size) {
  out += static_cast<char>(0x80 | opcode);  // FIN + opcode
  if (size < 126) {
    out += static_cast<char>(size);
  } else if (size <= 0xffff) {
    out += static_cast<char>(126);
    out += static_cast<char>((size >> 8) & 0xff);
    out += static_cast<char>(size & 0xff);
  } else {
    out += static_cast<char>(127);
    for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((size >> shift) & 0xff);
  }
}

void append_packet_frame(std::string& out, const out_packet& p, int protocol) {
  bool marker = !p.binary || protocol < 4;  // the type digit, or v3's 0x04 byte
  append_frame_header(out, p.binary, p.data_size() + (marker ? 1 : 0));
  if (marker) out += p.binary ? '\x04' : static_cast<char>('0' + static_cast<int>(p.type));
  out += p.head;
  out += view(p.body);
  out += p.tail;
}

}  // namespace kasocki::engineio
