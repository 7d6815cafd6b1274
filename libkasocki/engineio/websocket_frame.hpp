// Server-to-client websocket frames (RFC 6455: unmasked, FIN set, text or binary), written by
// the Engine.IO websocket transport itself so that every packet queued for a session goes out in
// one gathered write instead of one syscall per frame. Pure, no I/O.
#pragma once

#include <string>

#include "libkasocki/engineio/packet.hpp"

namespace kasocki::engineio {

// Appends the frame header (FIN set) for a payload of `size` bytes: a text or binary frame, or
// any opcode (a control frame: 0x8 close, 0x9 ping, 0xa pong).
void append_frame_header(std::string& out, unsigned opcode, std::size_t size);
inline void append_frame_header(std::string& out, bool binary, std::size_t size) {
  append_frame_header(out, binary ? 0x2u : 0x1u, size);
}

// Appends one Engine.IO packet as a complete frame: text frames carry the type digit and the
// data; binary frames the raw bytes (v4) or 0x04 + bytes (v3).
void append_packet_frame(std::string& out, const out_packet& p, int protocol);

}  // namespace kasocki::engineio
