// libFuzzer target: augments arbitrary bytes. When augmentation succeeds the output must be a
// JSON object (checked by simdjson and nlohmann) whose only top-level `_kafka` is its last key
// and holds the position; the input must also be JSON nlohmann accepts.
#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "libkasocki/gateway/augment.hpp"

using kasocki::gateway::augmenter;
using kasocki::gateway::kafka_position;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static augmenter aug;
  static simdjson::dom::parser check;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // The first bytes double as the key, so escaping of arbitrary key bytes is fuzzed too.
  kafka_position pos{"topic", 7, 42, std::nullopt, input.substr(0, 6)};
  if (size % 2) pos.timestamp = 1700000000000;
  auto out = aug.augment(input, pos);
  if (!out) return 0;
  if (!nlohmann::json::accept(input)) std::abort();  // simdjson accepted what JSON forbids
  if (!nlohmann::json::accept(*out)) std::abort();

  simdjson::dom::element root;
  simdjson::dom::object object;
  if (check.parse(*out).get(root) || root.get_object().get(object)) std::abort();
  std::size_t kafka_fields = 0;
  std::string_view last_key;
  simdjson::dom::element last_value;
  for (auto field : object) {
    if (field.key == "_kafka") ++kafka_fields;
    last_key = field.key;
    last_value = field.value;
  }
  if (kafka_fields != 1 || last_key != "_kafka") std::abort();
  std::int64_t offset = 0, partition = 0;
  std::string_view topic;
  if (last_value["offset"].get(offset) || offset != 42) std::abort();
  if (last_value["partition"].get(partition) || partition != 7) std::abort();
  if (last_value["topic"].get(topic) || topic != "topic") std::abort();

  // Framed as the gateway sends it, the event is still valid JSON.
  if (!nlohmann::json::accept("[\"message\"," + *out + "]")) std::abort();
  return 0;
}
