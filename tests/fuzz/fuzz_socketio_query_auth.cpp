// libFuzzer target: the auth object a socket.io 2.x client sends as handshake query parameters
// (socketio/query_auth.hpp). No input may crash; the result is an object of strings without
// empty keys nor Engine.IO's own parameters, and dumping it (what a handler may log) never throws.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "libkasocki/socketio/query_auth.hpp"

using namespace kasocki::socketio;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view query(reinterpret_cast<const char*>(data), size);
  const json auth = query_auth(query);
  if (!auth.is_object()) std::abort();
  for (const auto& [key, value] : auth.items()) {
    if (key.empty() || !value.is_string()) std::abort();
    if (key == "EIO" || key == "transport" || key == "sid" || key == "b64" || key == "t")
      std::abort();
  }
  (void)auth.dump(-1, ' ', false, json::error_handler_t::replace);
  return 0;
}
