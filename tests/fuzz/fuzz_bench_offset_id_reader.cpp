// libFuzzer target: arbitrary bytes as SSE event ids (one per line) into the bench's offset-id
// readers; nothing may crash, the one-pass reading gives what the member search gives (same
// entries, same verdict), and the reader that keeps the last id reads each id of the sequence as
// the whole reading does.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <utility>
#include <vector>

#include "bench/offset_id_reader.hpp"

using entries = std::vector<std::pair<std::int32_t, std::int64_t>>;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  kasocki::bench::offset_id_reader reader;
  for (;;) {
    auto line_end = input.find('\n');
    auto id = input.substr(0, line_end);
    entries exact, searched, kept;
    bool ok_exact = kasocki::bench::for_each_offset_id_entry(
        id, [&](std::int32_t p, std::int64_t o) { exact.emplace_back(p, o); });
    bool ok_searched = kasocki::bench::for_each_offset_id_entry_searched(
        id, [&](std::int32_t p, std::int64_t o) { searched.emplace_back(p, o); });
    if (ok_exact != ok_searched || exact != searched) std::abort();
    for (auto [p, o] : exact)
      if (p < 0 || o < 0) std::abort();
    bool ok_kept =
        reader.read(id, [&](std::int32_t p, std::int64_t o) { kept.emplace_back(p, o); });
    if (ok_kept != ok_exact || (ok_exact && kept != exact) || (!ok_exact && !kept.empty()))
      std::abort();
    if (line_end == std::string_view::npos) break;
    input.remove_prefix(line_end + 1);
  }
  return 0;
}
