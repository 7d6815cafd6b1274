// The HTTP error answers of the Engine.IO server: codes and bodies of the reference server.
// No I/O.
#pragma once

#include <string_view>

namespace kasocki::engineio {

enum class http_error {
  unknown_transport = 0,
  unknown_sid = 1,
  bad_handshake_method = 2,
  bad_request = 3,
  forbidden = 4,
  unsupported_protocol_version = 5,
};

// The JSON body the reference server sends, e.g. {"code":1,"message":"Session ID unknown"}.
std::string_view http_error_body(http_error e);

}  // namespace kasocki::engineio
