// Websocket frames as bytes (RFC 6455 5.2): headers in the shortest length form, payloads masked
// (client to server) or not (server to client), data and control frames, fragments, and the
// close payload (code + reason). Frames are appended to a string so that a writer can gather
// many into one write. Pure, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace kasocki::websocket {

enum class opcode : unsigned {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xa,
};

// Control frames carry at most this many payload bytes (RFC 6455 5.5).
inline constexpr std::size_t max_control_payload = 125;

// Appends a frame header for a payload of `size` bytes; with a mask, the MASK bit and the key
// (its 4 bytes in network order, as on the wire). `fin` false starts or continues a fragmented
// message. Returns the offset in `out` where the payload is to go.
std::size_t append_header(std::string& out, opcode op, std::size_t size,
                          std::optional<std::uint32_t> mask = std::nullopt, bool fin = true);

// XORs out[from..] with the key as a payload that starts at `from` (offset 0 of the key).
void mask_from(std::string& out, std::size_t from, std::uint32_t mask);
// XORs `size` bytes at `data` with the key, starting at key byte `key_offset` % 4.
void apply_mask(char* data, std::size_t size, std::uint32_t mask, std::size_t key_offset = 0);

// Appends one complete frame (header and payload, masked when a key is given).
void append_frame(std::string& out, opcode op, std::string_view payload,
                  std::optional<std::uint32_t> mask = std::nullopt, bool fin = true);

// The payload of a close frame: the code in network order and the reason, cut so that the
// payload fits a control frame (at a UTF-8 character boundary). Code 1005 ("no status") gives
// an empty payload, as that code must not be sent.
std::string close_payload(std::uint16_t code, std::string_view reason = {});
void append_close(std::string& out, std::uint16_t code, std::string_view reason = {},
                  std::optional<std::uint32_t> mask = std::nullopt);

// RFC 6455 7.4: the close codes an endpoint may send.
bool valid_close_code(std::uint16_t code);

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

}  // namespace kasocki::websocket
