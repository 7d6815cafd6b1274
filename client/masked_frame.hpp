// Client-to-server websocket frames (RFC 6455 5.3: FIN set, text or binary, masked with a key
// per frame), written by the Engine.IO client session itself so that every packet queued while
// a write is in flight goes out in one gathered write instead of one frame and one syscall per
// packet (Beast's websocket stream writes exactly one message per call). Pure, no I/O.
#pragma once

#include <cstdint>
#include <random>
#include <string>

#include "libkasocki/engineio/packet.hpp"

namespace kasocki::client {

// Appends one masked frame carrying `payload`, XOR-ed with `mask` (its 4 bytes in network
// order, as they appear on the wire).
void append_masked_frame(std::string& out, bool binary, std::string_view payload,
                         std::uint32_t mask);

// Appends one masked frame of any opcode (the control frames: 0x8 close, 0xa pong).
void append_masked_control_frame(std::string& out, unsigned opcode, std::string_view payload,
                                 std::uint32_t mask);

// Appends one Engine.IO v4 packet as a complete masked frame: a text frame carries the type
// digit and the data, a binary frame the raw bytes of a binary message.
void append_masked_packet(std::string& out, const engineio::out_packet& p, std::uint32_t mask);

// Masking keys. RFC 6455 asks that a key not be predictable by the page's script (it guards
// proxies against cache poisoning by a hostile browser page); a native client has no such
// script, so a seeded Mersenne twister is enough and keeps a key at a few nanoseconds.
class mask_source {
 public:
  mask_source() : engine_(std::random_device{}()) {}
  std::uint32_t next() { return static_cast<std::uint32_t>(engine_()); }

 private:
  std::mt19937 engine_;
};

}  // namespace kasocki::client
