// libFuzzer target: arbitrary bytes as an SSE event id into the bench's offset-id reader; nothing
// may crash, and the one-pass reading gives what the member search gives (same entries, same
// verdict).
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <utility>
#include <vector>

#include "bench/offset_id_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view id(reinterpret_cast<const char*>(data), size);
  std::vector<std::pair<std::int32_t, std::int64_t>> exact, searched;
  bool ok_exact = kasocki::bench::for_each_offset_id_entry(
      id, [&](std::int32_t p, std::int64_t o) { exact.emplace_back(p, o); });
  bool ok_searched = kasocki::bench::for_each_offset_id_entry_searched(
      id, [&](std::int32_t p, std::int64_t o) { searched.emplace_back(p, o); });
  if (ok_exact != ok_searched || exact != searched) std::abort();
  for (auto [p, o] : exact)
    if (p < 0 || o < 0) std::abort();
  return 0;
}
