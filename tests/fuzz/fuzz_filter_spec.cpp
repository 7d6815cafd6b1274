// libFuzzer target: compiles arbitrary filters and matches them against fixed messages.
// Input that is not JSON is tried as a /pattern/ instead, to reach the RE2 compile path.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "libkasocki/filter/filter_set.hpp"

using kasocki::filter::compile_filters;
using kasocki::filter::json;

namespace {

const char* const messages[] = {
    R"({"a":1,"b":"x","c":{"d":[1,"x",true,null],"e":{"f":2.5}},"g":null,"h":false})",
    R"({"a":"1","b":["x"],"c":[{"d":1}],"meta":{"domain":"en.wikipedia.org"}})",
    R"({})",
};

struct parsed {
  simdjson::dom::parser parser[3];
  simdjson::dom::element root[3];
  parsed() {
    for (int i = 0; i < 3; ++i) {
      if (parser[i].parse(std::string(messages[i])).get(root[i])) std::abort();
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static parsed fixed;
  std::string text(reinterpret_cast<const char*>(data), size);
  json filters = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (filters.is_discarded()) filters = json{{"b", "/" + text + "/"}, {"c.d", "/" + text + "/i"}};
  auto r = compile_filters(filters);
  if (!r) {
    if (r.error().message.empty()) std::abort();
    try {
      (void)json(r.error().message).dump();  // error text must be valid UTF-8
    } catch (...) {
      std::abort();
    }
    return 0;
  }
  for (const auto& root : fixed.root) (void)r->matches(root);
  if (r->empty() != r->stored().is_null()) std::abort();
  if (r->empty() != r->paths().empty()) std::abort();
  auto again = compile_filters(r->stored());
  if (!again || !(*again == *r)) std::abort();  // the echo compiles to the same filters
  return 0;
}
