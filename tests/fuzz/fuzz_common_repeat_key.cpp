// libFuzzer target: repeat_key() (common/repeat_collapser.hpp), the kind of a librdkafka log line,
// and the collapser fed with lines of the input. No input may crash or throw; a key is never
// longer than its text and keeps no parenthesised part; every line is written or counted.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "libkasocki/common/repeat_collapser.hpp"

using namespace kasocki::log;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string key = repeat_key(text);
  if (key.size() > text.size()) std::abort();
  if (key.find('(') != std::string::npos) std::abort();  // every parenthesised part is gone
  repeat_collapser c(std::chrono::seconds(30), std::chrono::minutes(5));
  auto t = repeat_collapser::clock::time_point{} + std::chrono::hours(1);
  std::string_view rest = text;
  std::size_t firsts = 0, lines = 0;
  while (!rest.empty()) {
    const auto end = rest.find('\n');
    const auto line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    ++lines;
    firsts += c.offer(repeat_key(line), {level::error, std::string(line), {}}, t);
    t += std::chrono::milliseconds(100);
  }
  if (firsts != c.kinds()) std::abort();
  std::uint64_t repeated = 0;
  for (const auto& s : c.take_all()) repeated += s.fields["repeated"].get<std::uint64_t>();
  if (firsts + repeated != lines) std::abort();
  return 0;
}
