// libFuzzer target: arbitrary bytes into the client's SSE parser, whole and cut in two; nothing
// may crash, and both ways give the same events.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "client/sse_event_parser.hpp"

using kasocki::client::sse_event;
using kasocki::client::sse_event_parser;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> whole, cut;
  sse_event_parser a(4096), b(4096);
  bool ok_a = a.feed(
      text, [&](const sse_event& e) { whole.push_back(e.type + '\0' + e.id + '\0' + e.data); });
  const std::size_t at = size ? data[0] % (size + 1) : 0;
  bool ok_b = b.feed(text.substr(0, at), [&](const sse_event& e) {
    cut.push_back(e.type + '\0' + e.id + '\0' + e.data);
  });
  ok_b = b.feed(text.substr(at), [&](const sse_event& e) {
    cut.push_back(e.type + '\0' + e.id + '\0' + e.data);
  }) && ok_b;
  // A too-long line may be seen at a different point when cut; only compare clean runs.
  if (ok_a && ok_b && whole != cut) std::abort();
  return 0;
}
