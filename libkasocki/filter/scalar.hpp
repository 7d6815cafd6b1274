// A JSON scalar as a filter entry holds it, and the strict typed equality of the filter contract
// (1 != "1", 25 == 25.0, true != 1) against a field of a simdjson-parsed message. Pure, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <simdjson.h>
#include <nlohmann/json.hpp>

namespace kasocki::filter {

// A number normalised so that integers of any JSON representation (int64, uint64, or a double
// with no fractional part) compare exactly, without going through double.
struct number {
  bool integral = false;
  bool negative = false;        // integral only
  std::uint64_t magnitude = 0;  // integral only: |value|
  double value = 0;             // non-integral only

  static number from_int(std::int64_t v) noexcept;
  static number from_uint(std::uint64_t v) noexcept;
  static number from_double(double v) noexcept;
  friend bool operator==(const number& a, const number& b) noexcept;
};

struct scalar {
  enum class kind : std::uint8_t { null, boolean, string, number };
  kind type = kind::null;
  bool boolean = false;
  std::string string;
  number num;
};

// nullopt for objects, arrays, binary and discarded values.
std::optional<scalar> scalar_from_json(const nlohmann::ordered_json& value);

// Strict equality, type included. Arrays and objects never equal a scalar.
bool equals(const simdjson::dom::element& field, const scalar& value) noexcept;

}  // namespace kasocki::filter
