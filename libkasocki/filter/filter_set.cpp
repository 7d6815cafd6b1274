// Compiles client filters and matches parsed messages against them. Pure, no I/O.
#include "libkasocki/filter/filter_set.hpp"

#include <algorithm>
#include <string_view>

#include <re2/re2.h>

#include "libkasocki/filter/scalar.hpp"

namespace kasocki::filter {

namespace {

enum class entry_kind : std::uint8_t { equals, regex, any_of };

struct entry {
  std::string path;
  std::vector<std::string> segments;  // pre-split: matching does no string work
  entry_kind kind = entry_kind::equals;
  scalar value;                      // equals
  std::vector<scalar> values;        // any_of
  std::unique_ptr<const RE2> regex;  // regex
};

std::string dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string quoted(std::string_view path) {
  return dump(json(std::string(path)));
}

// RE2's messages quote the pattern, which may hold any bytes; error text must stay UTF-8.
std::string valid_utf8(const std::string& text) {
  json round_trip = json::parse(dump(json(text)), nullptr, false);
  return round_trip.is_string() ? round_trip.get<std::string>() : std::string();
}

filter_error error_for(filter_errc kind, std::string_view path, std::string_view what) {
  return filter_error{kind, "filter " + quoted(path) + ": " + std::string(what)};
}

// "a.b.c" -> {"a","b","c"}; false on an empty segment.
bool split_path(std::string_view path, std::vector<std::string>& out) {
  std::size_t start = 0;
  while (true) {
    std::size_t dot = path.find('.', start);
    std::string_view segment =
        path.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (segment.empty()) return false;
    out.emplace_back(segment);
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// A string is a pattern when it is "/<pattern>/<letters>".
bool looks_like_pattern(std::string_view s, std::string_view& pattern, std::string_view& flags) {
  if (s.size() < 2 || s.front() != '/') return false;
  std::size_t last = s.rfind('/');
  if (last == 0) return false;
  std::string_view tail = s.substr(last + 1);
  for (char c : tail) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return false;
  }
  pattern = s.substr(1, last - 1);
  flags = tail;
  return true;
}

std::size_t code_points(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::optional<filter_error> compile_pattern(entry& e, std::string_view pattern,
                                            std::string_view flags, const filter_limits& limits) {
  if (code_points(pattern) > limits.max_pattern) {
    return error_for(filter_errc::pattern_too_long, e.path,
                     "pattern longer than " + std::to_string(limits.max_pattern) + " characters");
  }
  std::string prefix;
  for (char c : flags) {
    if (c != 'i' && c != 'm' && c != 's') {
      return error_for(filter_errc::bad_regex_flag, e.path,
                       std::string("unsupported regex flag '") + c +
                           "' (allowed: i, m, s; to match a literal string starting "
                           "with '/', put it in an array: [\"/a/b\"])");
    }
    if (prefix.find(c) != std::string::npos) {
      return error_for(filter_errc::bad_regex_flag, e.path,
                       std::string("regex flag '") + c + "' given twice");
    }
    prefix += c;
  }
  std::string full =
      prefix.empty() ? std::string(pattern) : "(?" + prefix + ")" + std::string(pattern);
  RE2::Options options;
  options.set_log_errors(false);
  options.set_never_capture(true);  // only "does it match" is asked
  options.set_max_mem(limits.max_regex_memory);
  auto re = std::make_unique<const RE2>(re2::StringPiece(full.data(), full.size()), options);
  if (!re->ok())
    return error_for(filter_errc::bad_regex, e.path,
                     "invalid regular expression: " + valid_utf8(re->error()));
  e.kind = entry_kind::regex;
  e.regex = std::move(re);
  return std::nullopt;
}

std::optional<filter_error> compile_entry(entry& e, const json& value,
                                          const filter_limits& limits) {
  if (!split_path(e.path, e.segments))
    return error_for(filter_errc::empty_path_segment, e.path, "empty path segment");
  if (e.segments.size() > limits.max_depth) {
    return error_for(filter_errc::path_too_deep, e.path,
                     "path deeper than " + std::to_string(limits.max_depth));
  }
  if (value.is_string()) {
    std::string_view pattern, flags;
    if (looks_like_pattern(value.get_ref<const std::string&>(), pattern, flags)) {
      return compile_pattern(e, pattern, flags, limits);
    }
  }
  if (value.is_array()) {
    if (value.empty()) return error_for(filter_errc::bad_value, e.path, "empty array");
    for (const json& item : value) {
      auto s = scalar_from_json(item);
      if (!s)
        return error_for(filter_errc::bad_value, e.path,
                         "array elements must be strings, numbers, booleans or null");
      e.values.push_back(std::move(*s));
    }
    e.kind = entry_kind::any_of;
    return std::nullopt;
  }
  auto s = scalar_from_json(value);
  if (!s)
    return error_for(filter_errc::bad_value, e.path,
                     "value must be a string, number, boolean, null or array");
  e.kind = entry_kind::equals;
  e.value = std::move(*s);
  return std::nullopt;
}

bool field_matches(const entry& e, const simdjson::dom::element& field) noexcept {
  switch (e.kind) {
    case entry_kind::equals:
      return equals(field, e.value);
    case entry_kind::regex: {
      std::string_view s;
      if (field.get_string().get(s)) return false;
      return RE2::PartialMatch(re2::StringPiece(s.data(), s.size()), *e.regex);
    }
    case entry_kind::any_of: {
      simdjson::dom::array items;
      if (!field.get_array().get(items)) {
        for (const scalar& wanted : e.values) {
          bool found = false;
          for (simdjson::dom::element item : items) {
            if (equals(item, wanted)) {
              found = true;
              break;
            }
          }
          if (!found) return false;
        }
        return true;
      }
      for (const scalar& allowed : e.values) {
        if (equals(field, allowed)) return true;
      }
      return false;
    }
  }
  return false;
}

}  // namespace

struct compiled_filters {
  std::vector<entry> entries;
  json stored;
  std::string key;
};

bool filter_set::matches(const simdjson::dom::element& message) const noexcept {
  if (!compiled_) return true;
  for (const entry& e : compiled_->entries) {
    simdjson::dom::element field = message;
    for (const std::string& segment : e.segments) {
      simdjson::dom::object object;
      if (field.get_object().get(object)) return false;     // path through a non-object
      if (object.at_key(segment).get(field)) return false;  // missing field
    }
    if (!field_matches(e, field)) return false;
  }
  return true;
}

const json& filter_set::stored() const noexcept {
  static const json null_value;
  return compiled_ ? compiled_->stored : null_value;
}

std::vector<std::string> filter_set::paths() const {
  std::vector<std::string> out;
  if (compiled_) {
    for (const entry& e : compiled_->entries) out.push_back(e.path);
  }
  return out;
}

const std::string& filter_set::key() const noexcept {
  static const std::string no_key;
  return compiled_ ? compiled_->key : no_key;
}

std::string_view describe(filter_errc kind) noexcept {
  switch (kind) {
    case filter_errc::not_an_object:
      return "filters not an object or null";
    case filter_errc::too_many_keys:
      return "too many keys";
    case filter_errc::empty_path_segment:
      return "empty path segment";
    case filter_errc::path_too_deep:
      return "path too deep";
    case filter_errc::pattern_too_long:
      return "pattern too long";
    case filter_errc::bad_regex_flag:
      return "bad regex flag";
    case filter_errc::bad_regex:
      return "invalid regular expression";
    case filter_errc::bad_value:
      return "value of a wrong type";
  }
  return "invalid filter";
}

compile_result compile_filters(const json& filters, const filter_limits& limits) {
  if (filters.is_null()) return filter_set();
  if (!filters.is_object()) {
    return filter_error{filter_errc::not_an_object,
                        "filters must be an object mapping dotted field paths to values, or null"};
  }
  if (filters.empty()) return filter_set();
  if (filters.size() > limits.max_keys) {
    return filter_error{filter_errc::too_many_keys,
                        "filters has " + std::to_string(filters.size()) + " keys, more than " +
                            std::to_string(limits.max_keys)};
  }
  auto compiled = std::make_shared<compiled_filters>();
  compiled->stored = filters;
  json canonical = json::array();
  for (const auto& [path, value] : filters.items()) {
    entry e;
    e.path = path;
    if (auto error = compile_entry(e, value, limits)) return std::move(*error);
    canonical.push_back(json::array({path, value}));
    compiled->entries.push_back(std::move(e));
  }
  // Entry order does not change the outcome (AND), so the key sorts by path.
  std::sort(canonical.begin(), canonical.end(), [](const json& a, const json& b) {
    return a[0].get_ref<const std::string&>() < b[0].get_ref<const std::string&>();
  });
  compiled->key = dump(canonical);
  return filter_set(std::move(compiled));
}

}  // namespace kasocki::filter
