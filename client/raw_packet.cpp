// See raw_packet.hpp.
#include "client/raw_packet.hpp"

namespace kasocki::client {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Reads up to 19 digits at text[pos]; advances pos. nullopt when there are none or too many.
std::optional<std::uint64_t> read_number(std::string_view text, std::size_t& pos) {
  std::size_t start = pos;
  std::uint64_t value = 0;
  while (pos < text.size() && is_digit(text[pos])) {
    if (pos - start >= 19) return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(text[pos] - '0');
    ++pos;
  }
  if (pos == start) return std::nullopt;
  return value;
}

}  // namespace

std::string_view describe(raw_errc kind) noexcept {
  switch (kind) {
    case raw_errc::bad_type:
      return "unknown packet type";
    case raw_errc::bad_attachments:
      return "bad attachment count";
    case raw_errc::bad_ack_id:
      return "bad ack id";
    case raw_errc::not_an_array:
      return "not an array";
    case raw_errc::no_plain_name:
      return "no plain event name";
    case raw_errc::unbalanced:
      return "unbalanced string or brackets";
    case raw_errc::missing_comma:
      return "missing comma";
    case raw_errc::missing_value:
      return "missing value";
  }
  return "malformed packet";
}

raw_result<raw_header> scan_header(std::string_view text) {
  if (text.empty() || text[0] < '0' || text[0] > '6') return raw_errc::bad_type;
  raw_header h;
  h.type = text[0];
  std::size_t pos = 1;
  if (h.type == '5' || h.type == '6') {
    auto n = read_number(text, pos);
    if (!n || pos >= text.size() || text[pos] != '-') return raw_errc::bad_attachments;
    h.attachments = static_cast<std::size_t>(*n);
    ++pos;
  }
  if (pos < text.size() && text[pos] == '/') {
    std::size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) {
      h.nsp = text.substr(pos);
      pos = text.size();
    } else {
      h.nsp = text.substr(pos, comma - pos);
      pos = comma + 1;
    }
  }
  if (pos < text.size() && is_digit(text[pos])) {
    h.id = read_number(text, pos);
    if (!h.id) return raw_errc::bad_ack_id;
  }
  h.payload = text.substr(pos);
  return h;
}

std::optional<std::size_t> skip_json_value(std::string_view text, std::size_t pos) {
  while (pos < text.size() && is_space(text[pos])) ++pos;
  if (pos >= text.size()) return std::nullopt;
  std::size_t depth = 0;
  do {
    if (pos >= text.size()) return std::nullopt;
    char c = text[pos];
    if (c == '"') {
      ++pos;
      while (pos < text.size() && text[pos] != '"') pos += text[pos] == '\\' ? 2 : 1;
      if (pos >= text.size()) return std::nullopt;
      ++pos;
    } else if (c == '[' || c == '{') {
      ++depth;
      ++pos;
    } else if (c == ']' || c == '}') {
      if (depth == 0) return std::nullopt;
      --depth;
      ++pos;
    } else if (depth == 0) {
      // A scalar at top level: runs until a delimiter.
      std::size_t start = pos;
      while (pos < text.size() && !is_space(text[pos]) && text[pos] != ',' && text[pos] != ']' &&
             text[pos] != '}' && text[pos] != '[' && text[pos] != '{' && text[pos] != '"')
        ++pos;
      if (pos == start) return std::nullopt;
    } else {
      ++pos;
    }
  } while (depth > 0);
  return pos;
}

raw_result<std::string_view> array_items(std::string_view payload) {
  payload = trim(payload);
  if (payload.size() < 2 || payload.front() != '[' || payload.back() != ']')
    return raw_errc::not_an_array;
  return trim(payload.substr(1, payload.size() - 2));
}

raw_result<raw_event> scan_event(std::string_view payload) {
  auto items = array_items(payload);
  if (!items) return items.error();
  if (items->empty() || items->front() != '"') return raw_errc::no_plain_name;
  std::size_t close = items->find_first_of("\"\\", 1);
  if (close == std::string_view::npos) return raw_errc::unbalanced;
  if ((*items)[close] != '"') return raw_errc::no_plain_name;
  raw_event ev;
  ev.name = items->substr(1, close - 1);
  std::string_view rest = trim(items->substr(close + 1));
  if (rest.empty()) return ev;
  if (rest.front() != ',') return raw_errc::missing_comma;
  ev.args = trim(rest.substr(1));
  if (ev.args.empty()) return raw_errc::missing_value;
  return ev;
}

raw_result<std::pair<std::string_view, std::string_view>> split_first_value(
    std::string_view items) {
  items = trim(items);
  if (items.empty() || items.front() == ',') return raw_errc::missing_value;
  auto end = skip_json_value(items, 0);
  if (!end) return raw_errc::unbalanced;
  std::string_view first = trim(items.substr(0, *end));
  std::string_view rest = trim(items.substr(*end));
  if (rest.empty()) return std::pair{first, rest};
  if (rest.front() != ',') return raw_errc::missing_comma;
  rest = trim(rest.substr(1));
  if (rest.empty()) return raw_errc::missing_value;
  return std::pair{first, rest};
}

std::string_view without_recovery_cursor(std::string_view args_json) {
  if (args_json.size() < 3 || args_json.back() != '"') return args_json;
  std::size_t i = args_json.size() - 1;
  while (i > 0) {
    const char c = args_json[--i];
    const bool base64url = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                           (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (base64url) continue;
    // The cursor's opening quote, after the comma that ends the message.
    if (c == '"' && i > 0 && args_json[i - 1] == ',') return args_json.substr(0, i - 1);
    break;
  }
  return args_json;
}

}  // namespace kasocki::client
