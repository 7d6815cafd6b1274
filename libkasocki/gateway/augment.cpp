// Message augmentation: one validating parse, then a splice of `_kafka` into the original text.
// Pure, no I/O.
#include "libkasocki/gateway/augment.hpp"

#include <charconv>

namespace kasocki::gateway {

namespace {

constexpr std::string_view kafka_name = "_kafka";
constexpr std::string_view replacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the well-formed UTF-8 sequence at s[i] (shortest form, no surrogates, at most
// U+10FFFF), or 0 when the byte does not start one.
std::size_t utf8_sequence(std::string_view s, std::size_t i) noexcept {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  auto cont = [&](std::size_t k) { return k < s.size() && (byte(k) & 0xC0) == 0x80; };
  unsigned char b = byte(i);
  if (b < 0x80) return 1;
  if (b >= 0xC2 && b <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (b >= 0xE0 && b <= 0xEF) {
    if (!cont(i + 1) || !cont(i + 2)) return 0;
    unsigned char b1 = byte(i + 1);
    if (b == 0xE0 && b1 < 0xA0) return 0;  // overlong
    if (b == 0xED && b1 > 0x9F) return 0;  // surrogate
    return 3;
  }
  if (b >= 0xF0 && b <= 0xF4) {
    if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return 0;
    unsigned char b1 = byte(i + 1);
    if (b == 0xF0 && b1 < 0x90) return 0;  // overlong
    if (b == 0xF4 && b1 > 0x8F) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

void append_integer(std::string& out, std::int64_t v) {
  char buffer[24];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
  (void)ec;  // 24 bytes always hold an int64
  out.append(buffer, end);
}

bool is_ws(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::size_t skip_ws(std::string_view t, std::size_t i) noexcept {
  while (i < t.size() && is_ws(t[i])) ++i;
  return i;
}

// i at an opening quote; returns the index after the closing quote.
std::size_t skip_string(std::string_view t, std::size_t i) noexcept {
  for (++i; i < t.size(); ++i) {
    if (t[i] == '\\') {
      ++i;
    } else if (t[i] == '"') {
      return i + 1;
    }
  }
  return t.size();
}

std::size_t skip_value(std::string_view t, std::size_t i) noexcept {
  if (i >= t.size()) return t.size();
  if (t[i] == '"') return skip_string(t, i);
  if (t[i] == '{' || t[i] == '[') {
    std::size_t depth = 0;
    while (i < t.size()) {
      char c = t[i];
      if (c == '"') {
        i = skip_string(t, i);
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if ((c == '}' || c == ']') && --depth == 0) return i + 1;
      ++i;
    }
    return t.size();
  }
  while (i < t.size() && t[i] != ',' && t[i] != '}' && t[i] != ']' && !is_ws(t[i])) ++i;
  return i;
}

int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Whether the raw (still escaped) key text between the quotes decodes to `name` (ASCII).
bool key_equals(std::string_view raw, std::string_view name) noexcept {
  std::size_t n = 0;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\\') {
      if (++i >= raw.size()) return false;
      switch (raw[i]) {
        case 'b':
          c = '\b';
          break;
        case 'f':
          c = '\f';
          break;
        case 'n':
          c = '\n';
          break;
        case 'r':
          c = '\r';
          break;
        case 't':
          c = '\t';
          break;
        case 'u': {
          if (i + 4 >= raw.size()) return false;
          int code = 0;
          for (std::size_t k = 1; k <= 4; ++k) {
            int d = hex_digit(raw[i + k]);
            if (d < 0) return false;
            code = code * 16 + d;
          }
          if (code >= 0x80) return false;  // non-ASCII never equals an ASCII name
          c = static_cast<char>(code);
          i += 4;
          break;
        }
        default:
          c = raw[i];  // \" \\ \/
      }
    }
    if (n >= name.size() || name[n] != c) return false;
    ++n;
  }
  return n == name.size();
}

// `object` without its top-level members named `name`, and without its closing brace:
// "{m1,m2" (or "{" when none is left). Precondition: `object` is a valid JSON object.
std::string without_member(std::string_view object, std::string_view name, bool& empty) {
  std::string out = "{";
  empty = true;
  std::size_t i = 1;
  while (true) {
    i = skip_ws(object, i);
    if (i >= object.size() || object[i] == '}') break;
    std::size_t key_start = i;
    std::size_t key_end = skip_string(object, i);
    i = skip_ws(object, key_end);
    i = skip_ws(object, i + 1);  // ':'
    std::size_t value_end = skip_value(object, i);
    std::string_view raw_key = object.substr(key_start + 1, key_end - key_start - 2);
    if (!key_equals(raw_key, name)) {
      if (!empty) out += ',';
      out.append(object.substr(key_start, value_end - key_start));
      empty = false;
    }
    i = skip_ws(object, value_end);
    if (i < object.size() && object[i] == ',') ++i;
  }
  return out;
}

}  // namespace

void append_json_string(std::string& out, std::string_view bytes) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  std::size_t i = 0;
  while (i < bytes.size()) {
    std::size_t n = utf8_sequence(bytes, i);
    if (n == 0) {
      out.append(replacement);
      ++i;
      continue;
    }
    if (n > 1) {
      out.append(bytes.substr(i, n));
      i += n;
      continue;
    }
    unsigned char c = static_cast<unsigned char>(bytes[i++]);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 0xF];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void append_kafka_member(std::string& out, const kafka_position& pos) {
  out += "\"_kafka\":{\"topic\":";
  append_json_string(out, pos.topic);
  out += ",\"partition\":";
  append_integer(out, pos.partition);
  out += ",\"offset\":";
  append_integer(out, pos.offset);
  out += ",\"timestamp\":";
  if (pos.timestamp) {
    append_integer(out, *pos.timestamp);
  } else {
    out += "null";
  }
  out += ",\"key\":";
  if (pos.key) {
    append_json_string(out, *pos.key);
  } else {
    out += "null";
  }
  out += '}';
}

bool augmenter::parse(std::string_view value) {
  parsed_ = false;
  simdjson::dom::object object;
  // An empty value (a null Kafka payload has a null data pointer) is no object; simdjson would
  // memcpy from that null pointer, which is undefined even for 0 bytes.
  if (value.empty()) return false;
  if (parser_.parse(value.data(), value.size()).get(root_)) return false;
  if (root_.get_object().get(object)) return false;
  // simdjson accepted an object: the text is whitespace, '{' ... '}', whitespace.
  std::size_t open = value.find('{');
  std::size_t close = value.rfind('}');
  object_ = value.substr(open, close - open + 1);
  empty_ = object.size() == 0;
  simdjson::dom::element existing;
  has_kafka_ = !object.at_key(kafka_name).get(existing);
  parsed_ = true;
  return true;
}

std::string augmenter::splice(const kafka_position& pos, std::string_view prefix,
                              std::string_view suffix) const {
  std::string out;
  if (!parsed_) return out;
  bool empty = empty_;
  std::string kept;
  std::string_view head = object_.substr(0, object_.size() - 1);  // without '}'
  if (has_kafka_) {
    kept = without_member(object_, kafka_name, empty);
    head = kept;
  }
  out.reserve(prefix.size() + head.size() + 96 + pos.topic.size() +
              (pos.key ? pos.key->size() + 8 : 0) + suffix.size());
  out.append(prefix);
  out.append(head);
  if (!empty) out += ',';
  append_kafka_member(out, pos);
  out += '}';
  out.append(suffix);
  return out;
}

std::optional<std::string> augmenter::augment(std::string_view value, const kafka_position& pos) {
  if (!parse(value)) return std::nullopt;
  return splice(pos);
}

}  // namespace kasocki::gateway
