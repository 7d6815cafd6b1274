// UTF-8 validation of websocket text messages and close reasons (RFC 6455 8.1: a text message
// that is not valid UTF-8 fails the connection with 1007). Pure, no I/O.
#pragma once

#include <string_view>

namespace kasocki::websocket {

// True when `text` is well-formed UTF-8 (RFC 3629: shortest forms only, no surrogates, nothing
// above U+10FFFF).
bool valid_utf8(std::string_view text);

}  // namespace kasocki::websocket
