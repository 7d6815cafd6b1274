// Standard base64 (RFC 4648, with padding), as Engine.IO uses for binary packets on polling.
// Pure functions, no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kasocki {

void base64_encode(std::string_view bytes, std::string& out);     // appends to out
std::optional<std::string> base64_decode(std::string_view text);  // nullopt on any invalid input

}  // namespace kasocki
