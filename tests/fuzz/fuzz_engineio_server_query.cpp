// libFuzzer target: the query of an Engine.IO request target (engineio/server_query.hpp), what
// every request to the socket.io path goes through first. No input may crash; the path is the
// part before the first '?'; a parsed query has a known transport and protocol.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "libkasocki/engineio/server_query.hpp"

using namespace kasocki::engineio;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view target(reinterpret_cast<const char*>(data), size);
  const auto path = target_path(target);
  if (path.data() != target.data() || path.find('?') != std::string_view::npos) std::abort();
  if (path.size() != target.size() && target[path.size()] != '?') std::abort();
  const auto q = parse_request_query(target);
  if (!q) {
    if (describe(q.error()).empty()) std::abort();
    return 0;
  }
  // A parsed query names a transport and a protocol, which only a query can carry.
  if (path.size() == target.size()) std::abort();
  if (q->transport != "polling" && q->transport != "websocket") std::abort();
  if (q->protocol != 3 && q->protocol != 4) std::abort();
  return 0;
}
