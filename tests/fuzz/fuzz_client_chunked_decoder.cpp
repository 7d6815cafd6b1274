// libFuzzer target: arbitrary bytes into the client's chunked transfer decoder, whole and cut in
// two; nothing may crash, every data piece lies within its input, and both ways give the same
// data and the same ending.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "client/chunked_decoder.hpp"

using kasocki::client::chunked_decoder;
using kind = chunked_decoder::kind;

namespace {

kind feed(chunked_decoder& decoder, std::string_view input, std::string& out) {
  const char* begin = input.data();
  const char* end = input.data() + input.size();
  for (;;) {
    auto got = decoder.next(input);
    if (got.what != kind::data) return got.what;
    if (got.data.empty() || got.data.data() < begin || got.data.data() + got.data.size() > end)
      std::abort();
    out += got.data;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::string whole, cut;
  chunked_decoder a, b;
  kind end_a = feed(a, text, whole);
  const std::size_t at = size ? data[0] % (size + 1) : 0;
  kind end_b = feed(b, std::string_view(text).substr(0, at), cut);
  if (end_b == kind::need_more) end_b = feed(b, std::string_view(text).substr(at), cut);
  if (end_a != end_b || whole != cut) std::abort();
  return 0;
}
