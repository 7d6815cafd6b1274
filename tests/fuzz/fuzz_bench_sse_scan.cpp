// libFuzzer target: arbitrary bytes into the bench's SSE scanner, whole and cut in two (nothing
// may crash, and both ways give the same events), and each event's id into the offset-id reader.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/offset_id_reader.hpp"
#include "bench/sse_scan.hpp"

using kasocki::bench::for_each_offset_id_entry;
using kasocki::bench::sse_scanner;

namespace {

bool scan(sse_scanner& scanner, std::string_view bytes, std::vector<std::string>& out) {
  return scanner.feed(
      bytes,
      [&](std::string_view type, std::string_view id, std::string_view data) {
        for_each_offset_id_entry(id, [](std::int32_t partition, std::int64_t offset) {
          if (partition < 0 || offset < 0) std::abort();
        });
        out.push_back(std::string(type) + '\0' + std::string(id) + '\0' + std::string(data));
      },
      [&](std::string_view comment) { out.push_back(std::string(comment)); });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> whole, cut;
  sse_scanner a(4096), b(4096);
  bool ok_a = scan(a, text, whole);
  const std::size_t at = size ? data[0] % (size + 1) : 0;
  bool ok_b = scan(b, std::string_view(text).substr(0, at), cut);
  ok_b = scan(b, std::string_view(text).substr(at), cut) && ok_b;
  // A too-long block may be seen at a different point when cut; only compare clean runs.
  if (ok_a && ok_b && whole != cut) std::abort();
  return 0;
}
