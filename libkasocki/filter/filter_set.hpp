// Client filters: compiles the `filters` argument of the `filter` event into a filter_set, and
// matches a message (parsed once by simdjson, shared by every client) against it.
// Pure, no I/O; nothing throws on any input.
//
// Rules (kasocki-api.md, "filter"): keys are dotted paths ("meta.domain"); every entry must match.
// - scalar value: strict equality with type (1 != "1", 25 == 25.0, true != 1, null == null);
// - string "/pattern/flags" (a leading '/', a later '/', only letters after it): RE2 search,
//   unanchored, in a string field; flags from {i, m, s}, each at most once;
// - array of scalars (non-empty): a scalar field equals any element, an array field contains
//   every element. Array elements are literal: ["/a/b"] matches the string "/a/b";
// - a missing field, or a path through a non-object (arrays are not indexed), never matches.
// Refused (filter_error): filters not an object or null, an object or nested array as a value,
// an empty array, too many keys, empty path segments, a path too deep, a pattern too long, bad
// flags, or a pattern RE2 cannot compile (e.g. a backreference).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <simdjson.h>
#include <nlohmann/json.hpp>

#include "libkasocki/common/result.hpp"

namespace kasocki::filter {

using json = nlohmann::ordered_json;

struct filter_limits {
  std::size_t max_keys = 32;                // entries in one filters object
  std::size_t max_depth = 16;               // segments in one dotted path
  std::size_t max_pattern = 1000;           // characters (code points) between the slashes
  std::int64_t max_regex_memory = 1 << 20;  // bytes RE2 may use per compiled pattern
};

// Why filters were refused. The three size limits are kinds of their own, so that the caller
// can name the limit (the option that sets it) without reading the message.
enum class filter_errc {
  not_an_object,       // filters neither an object nor null
  too_many_keys,       // more than filter_limits::max_keys
  empty_path_segment,  // "a..b", ".a", "a."
  path_too_deep,       // more than filter_limits::max_depth segments
  pattern_too_long,    // more than filter_limits::max_pattern characters
  bad_regex_flag,      // a flag not in {i, m, s}, or one given twice
  bad_regex,           // RE2 does not compile it (e.g. a backreference) or it needs more memory
  bad_value,           // an object, a nested array or an empty array as a value
};

// A short description of the kind, e.g. "too many keys".
std::string_view describe(filter_errc kind) noexcept;

struct filter_error {
  filter_errc kind;
  std::string message;  // names the offending key, e.g. `filter "meta.domain": ...`
};

struct compiled_filters;  // defined in filter_set.cpp
class filter_set;
// Either a filter_set or why the filters were refused.
using compile_result = kasocki::result<filter_set, filter_error>;
compile_result compile_filters(const json& filters, const filter_limits& limits);

class filter_set {
 public:
  filter_set() = default;  // the "no filter" state: matches everything, needs no parse

  bool empty() const noexcept { return compiled_ == nullptr; }

  // True when every entry matches. `message` is the root of the parsed Kafka value; when
  // empty() the argument is not looked at (a default element is fine). No allocation.
  bool matches(const simdjson::dom::element& message) const noexcept;

  // The filters as stored, for the ack echo: null when empty, else the object as sent.
  const json& stored() const noexcept;

  // The dotted paths the entries look at (empty when empty(): no DOM needed).
  std::vector<std::string> paths() const;

  // Canonical text of the entries (order of keys does not matter): equal keys, equal filters.
  // Used to evaluate a message once for all clients with identical filters. "" when empty.
  const std::string& key() const noexcept;

  friend bool operator==(const filter_set& a, const filter_set& b) noexcept {
    return a.key() == b.key();
  }

 private:
  friend compile_result compile_filters(const json& filters, const filter_limits& limits);
  explicit filter_set(std::shared_ptr<const compiled_filters> compiled)
      : compiled_(std::move(compiled)) {}

  std::shared_ptr<const compiled_filters> compiled_;  // immutable, shared by copies
};

// Compiles the `filters` argument. null and {} give the empty filter_set.
compile_result compile_filters(const json& filters, const filter_limits& limits = {});

}  // namespace kasocki::filter

template <>
struct std::hash<kasocki::filter::filter_set> {
  std::size_t operator()(const kasocki::filter::filter_set& f) const noexcept {
    return std::hash<std::string>{}(f.key());
  }
};
