// Engine.IO packets as websocket frames, over the frame codec of libkasocki/websocket: text
// frames carry the type digit and the data; binary frames the raw bytes (v4) or 0x04 + bytes
// (v3). The server writes them unmasked, the client masked. Pure, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "libkasocki/engineio/packet.hpp"

namespace kasocki::engineio {

// Appends one Engine.IO packet as a complete frame (masked when a key is given).
void append_packet_frame(std::string& out, const out_packet& p, int protocol,
                         std::optional<std::uint32_t> mask = std::nullopt);

}  // namespace kasocki::engineio
