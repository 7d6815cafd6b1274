// libFuzzer target: the client's raw socket.io packet scanners (client/raw_packet.hpp), which
// read a server's packets without a DOM. No input may crash; every view points into the input;
// the scanners agree with a JSON parser on what a value is.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "client/raw_packet.hpp"

using namespace kasocki::client;

namespace {

void inside(std::string_view part, std::string_view whole) {
  if (part.empty()) return;
  if (part.data() < whole.data() || part.data() + part.size() > whole.data() + whole.size())
    std::abort();
}

bool blank(std::string_view s) {
  return s.find_first_not_of(" \t\n\r") == std::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto h = scan_header(text)) {
    inside(h->payload, text);
    if (h->type < '0' || h->type > '6') std::abort();
    if (h->nsp != "/") inside(h->nsp, text);
  }
  if (auto e = scan_event(text)) {
    inside(e->name, text);
    inside(e->args, text);
  }
  if (auto items = array_items(text)) {
    inside(*items, text);
    if (auto split = split_first_value(*items)) {
      inside(split->first, text);
      inside(split->second, text);
    }
  }
  const auto end = skip_json_value(text, 0);
  if (end && *end > text.size()) std::abort();
  // A whole JSON value is skipped to its end (only whitespace after it). nlohmann's parser ends
  // its input at a NUL byte, so it is no judge of inputs that hold one.
  if (text.find('\0') == std::string_view::npos && nlohmann::json::accept(text) &&
      (!end || !blank(text.substr(*end))))
    std::abort();
  return 0;
}
