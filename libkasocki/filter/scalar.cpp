// Typed scalar equality for filters. Pure, no I/O.
#include "libkasocki/filter/scalar.hpp"

#include <cmath>

namespace kasocki::filter {

number number::from_int(std::int64_t v) noexcept {
  number n;
  n.integral = true;
  n.negative = v < 0;
  // -(v + 1) + 1 avoids overflowing on INT64_MIN.
  n.magnitude = v < 0 ? static_cast<std::uint64_t>(-(v + 1)) + 1 : static_cast<std::uint64_t>(v);
  return n;
}

number number::from_uint(std::uint64_t v) noexcept {
  number n;
  n.integral = true;
  n.magnitude = v;
  return n;
}

number number::from_double(double v) noexcept {
  constexpr double two_to_64 = 18446744073709551616.0;
  if (std::isfinite(v) && std::trunc(v) == v && std::fabs(v) < two_to_64) {
    number n;
    n.integral = true;
    n.negative = v < 0;
    n.magnitude = static_cast<std::uint64_t>(std::fabs(v));
    return n;
  }
  number n;
  n.value = v;
  return n;
}

bool operator==(const number& a, const number& b) noexcept {
  if (a.integral != b.integral) return false;
  if (!a.integral) return a.value == b.value;
  if (a.magnitude == 0 && b.magnitude == 0) return true;  // 0 == -0.0
  return a.negative == b.negative && a.magnitude == b.magnitude;
}

std::optional<scalar> scalar_from_json(const nlohmann::ordered_json& value) {
  using t = nlohmann::ordered_json::value_t;
  scalar s;
  switch (value.type()) {
    case t::null:
      s.type = scalar::kind::null;
      return s;
    case t::boolean:
      s.type = scalar::kind::boolean;
      s.boolean = value.get_ref<const bool&>();
      return s;
    case t::string:
      s.type = scalar::kind::string;
      s.string = value.get_ref<const std::string&>();
      return s;
    case t::number_integer:
      s.type = scalar::kind::number;
      s.num = number::from_int(value.get_ref<const std::int64_t&>());
      return s;
    case t::number_unsigned:
      s.type = scalar::kind::number;
      s.num = number::from_uint(value.get_ref<const std::uint64_t&>());
      return s;
    case t::number_float:
      s.type = scalar::kind::number;
      s.num = number::from_double(value.get_ref<const double&>());
      return s;
    default:
      return std::nullopt;
  }
}

bool equals(const simdjson::dom::element& field, const scalar& value) noexcept {
  using et = simdjson::dom::element_type;
  switch (field.type()) {
    case et::NULL_VALUE:
      return value.type == scalar::kind::null;
    case et::BOOL: {
      bool b = false;
      return value.type == scalar::kind::boolean && !field.get_bool().get(b) && b == value.boolean;
    }
    case et::STRING: {
      std::string_view s;
      return value.type == scalar::kind::string && !field.get_string().get(s) && s == value.string;
    }
    case et::INT64: {
      std::int64_t i = 0;
      return value.type == scalar::kind::number && !field.get_int64().get(i) &&
             number::from_int(i) == value.num;
    }
    case et::UINT64: {
      std::uint64_t u = 0;
      return value.type == scalar::kind::number && !field.get_uint64().get(u) &&
             number::from_uint(u) == value.num;
    }
    case et::DOUBLE: {
      double d = 0;
      return value.type == scalar::kind::number && !field.get_double().get(d) &&
             number::from_double(d) == value.num;
    }
    default:
      return false;
  }
}

}  // namespace kasocki::filter
