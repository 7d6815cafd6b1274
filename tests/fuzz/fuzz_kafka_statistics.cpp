// libFuzzer target: librdkafka's statistics documents (kafka/statistics.hpp), parsed on a worker
// thread for every consumer handle. No input may crash or throw; a rejected document changes
// nothing; whatever is accepted renders as text lines.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "libkasocki/kafka/statistics.hpp"

using namespace kasocki;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  metrics::registry registry;
  kafka::statistics stats(registry);
  const auto before = registry.render();
  const bool accepted = stats.update("a", json);
  if (!accepted && (registry.render() != before || stats.consumers() != 0)) std::abort();
  // A second handle and a second document of the first: increments, rates and lags combine.
  stats.update("b", json);
  stats.update("a", json);
  const auto text = registry.render();
  if (text.empty() || text.back() != '\n') std::abort();
  stats.closed("a");
  stats.closed("b");
  if (stats.consumers() != 0) std::abort();
  return 0;
}
