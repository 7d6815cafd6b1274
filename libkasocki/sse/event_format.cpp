// See event_format.hpp.
#include "libkasocki/sse/event_format.hpp"

#include <algorithm>
#include <cstring>

namespace kasocki::sse {

std::string_view keepalive(bool ndjson) {
  return ndjson ? "\n" : ":\n\n";
}

std::string message_head(bool ndjson, std::string_view id) {
  if (ndjson) return {};
  std::string head;
  head.reserve(30 + id.size());
  head += message_head_start;
  head += id;
  head += message_head_end;
  return head;
}

std::string_view message_tail(bool ndjson) {
  return ndjson ? "\n" : "\n\n";
}

std::string error_event(bool ndjson, const gateway::json& error, std::string_view id) {
  // dump() escapes every control character, so the data is one line.
  std::string data = error.dump(-1, ' ', false, gateway::json::error_handler_t::replace);
  if (ndjson) return data + "\n";
  std::string out = "event: error\n";
  if (!id.empty()) {
    out += "id: ";
    out += id;
    out += "\n";
  }
  out += "data: " + data + "\n\n";
  return out;
}

std::optional<std::string> single_line(std::string_view json_text) {
  auto has = [&](char c) { return std::memchr(json_text.data(), c, json_text.size()) != nullptr; };
  if (json_text.empty() || (!has('\n') && !has('\r'))) return std::nullopt;
  std::string out(json_text);
  for (char& c : out)
    if (c == '\r' || c == '\n') c = ' ';
  return out;
}

std::string chunk_head(std::size_t size) {
  static constexpr char hex[] = "0123456789abcdef";
  char buffer[20];
  std::size_t n = 0;
  do {
    buffer[n++] = hex[size & 15];
    size >>= 4;
  } while (size != 0);
  std::string out(buffer, n);
  std::reverse(out.begin(), out.end());
  out += "\r\n";
  return out;
}

}  // namespace kasocki::sse
