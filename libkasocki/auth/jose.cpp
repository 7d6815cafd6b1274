// See jose.hpp.
#include "libkasocki/auth/jose.hpp"

#include <array>
#include <cmath>
#include <limits>

namespace kasocki::auth {

using nlohmann::json;

namespace {

constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<std::int8_t, 256> make_decode_table() {
  std::array<std::int8_t, 256> table{};
  for (auto& v : table) v = -1;
  for (std::size_t i = 0; i < alphabet.size(); ++i)
    table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
  return table;
}
constexpr auto decode_table = make_decode_table();

auth_error malformed(std::string message) {
  return {auth_errc::malformed, std::move(message)};
}

// A JSON object from one base64url part; nullopt when it is anything else.
std::optional<json> decode_object(std::string_view part) {
  auto bytes = base64url_decode(part);
  if (!bytes) return std::nullopt;
  json value = json::parse(*bytes, nullptr, /*allow_exceptions=*/false);
  if (!value.is_object()) return std::nullopt;
  return value;
}

// A NumericDate (RFC 7519): a JSON number of seconds, possibly fractional; whole seconds kept,
// clamped so that adding a leeway cannot overflow.
std::optional<std::int64_t> numeric_date(const json& value) {
  if (value.is_number_integer()) {
    if (value.is_number_unsigned()) {
      auto u = value.get<std::uint64_t>();
      return u > (1ULL << 62) ? (std::int64_t{1} << 62) : static_cast<std::int64_t>(u);
    }
    auto i = value.get<std::int64_t>();
    return std::clamp<std::int64_t>(i, -(std::int64_t{1} << 62), std::int64_t{1} << 62);
  }
  if (value.is_number_float()) {
    double d = value.get<double>();
    if (!std::isfinite(d)) return std::nullopt;
    d = std::clamp(d, -4.6e18, 4.6e18);
    return static_cast<std::int64_t>(std::floor(d));
  }
  return std::nullopt;
}

}  // namespace

std::string_view reason_of(auth_errc kind) {
  switch (kind) {
    case auth_errc::missing:
      return "missing";
    case auth_errc::malformed:
      return "malformed";
    case auth_errc::too_large:
      return "too_large";
    case auth_errc::algorithm:
      return "algorithm";
    case auth_errc::signature:
      return "signature";
    case auth_errc::expired:
      return "expired";
    case auth_errc::not_yet_valid:
      return "not_yet_valid";
    case auth_errc::audience:
      return "audience";
    case auth_errc::issuer:
      return "issuer";
    case auth_errc::subject_changed:
      return "subject_changed";
  }
  return "malformed";
}

std::optional<algorithm> parse_algorithm(std::string_view name) {
  if (name == "HS256") return algorithm::hs256;
  if (name == "RS256") return algorithm::rs256;
  if (name == "ES256") return algorithm::es256;
  if (name == "EdDSA") return algorithm::eddsa;
  return std::nullopt;
}

std::string_view name_of(algorithm alg) {
  switch (alg) {
    case algorithm::hs256:
      return "HS256";
    case algorithm::rs256:
      return "RS256";
    case algorithm::es256:
      return "ES256";
    case algorithm::eddsa:
      return "EdDSA";
  }
  return "?";
}

std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    auto v = decode_table[static_cast<unsigned char>(c)];
    if (v < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    if (++count == 4) {
      out.push_back(static_cast<char>((bits >> 16) & 0xff));
      out.push_back(static_cast<char>((bits >> 8) & 0xff));
      out.push_back(static_cast<char>(bits & 0xff));
      bits = 0;
      count = 0;
    }
  }
  if (count == 2) {
    out.push_back(static_cast<char>((bits >> 4) & 0xff));
  } else if (count == 3) {
    out.push_back(static_cast<char>((bits >> 10) & 0xff));
    out.push_back(static_cast<char>((bits >> 2) & 0xff));
  }
  return out;
}

void base64url_encode(std::string_view bytes, std::string& out) {
  std::size_t i = 0;
  auto at = [&](std::size_t k) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k]));
  };
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t n = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    for (int shift : {18, 12, 6, 0}) out.push_back(alphabet[(n >> shift) & 63]);
  }
  if (bytes.size() - i == 1) {
    std::uint32_t n = at(i) << 16;
    out.push_back(alphabet[(n >> 18) & 63]);
    out.push_back(alphabet[(n >> 12) & 63]);
  } else if (bytes.size() - i == 2) {
    std::uint32_t n = (at(i) << 16) | (at(i + 1) << 8);
    out.push_back(alphabet[(n >> 18) & 63]);
    out.push_back(alphabet[(n >> 12) & 63]);
    out.push_back(alphabet[(n >> 6) & 63]);
  }
}

auth_result<jws> parse_jws(std::string_view token) {
  if (token.empty()) return auth_error{auth_errc::missing, "no token"};
  if (token.size() > max_token_bytes)
    return auth_error{auth_errc::too_large,
                      "the token is over " + std::to_string(max_token_bytes) + " bytes"};
  auto first = token.find('.');
  auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos)
    return malformed("a token is three base64url parts separated by dots");
  auto header = decode_object(token.substr(0, first));
  if (!header) return malformed("the token's header is not a base64url JSON object");
  auto alg_field = header->find("alg");
  if (alg_field == header->end() || !alg_field->is_string())
    return malformed("the token's header has no alg");
  auto alg = parse_algorithm(alg_field->get_ref<const std::string&>());
  if (!alg)
    return auth_error{auth_errc::algorithm,
                      "the token's alg is not one of HS256, RS256, ES256, EdDSA"};
  // Extensions that must be understood (RFC 7515, 4.1.11): Kasocki understands none.
  if (header->contains("crit")) return malformed("the token's header has crit extensions");
  jws out{*alg, std::nullopt, std::string(token.substr(0, second)), {}, {}};
  if (auto kid = header->find("kid"); kid != header->end()) {
    if (!kid->is_string()) return malformed("the token's kid is not a string");
    out.kid = kid->get<std::string>();
  }
  auto payload = decode_object(token.substr(first + 1, second - first - 1));
  if (!payload) return malformed("the token's payload is not a base64url JSON object");
  out.claims = std::move(*payload);
  auto signature = base64url_decode(token.substr(second + 1));
  if (!signature || signature->empty()) return malformed("the token's signature is not base64url");
  out.signature = std::move(*signature);
  return out;
}

auth_result<claims> check_claims(const json& payload, const claim_rules& rules, std::int64_t now) {
  claims out;
  if (auto sub = payload.find("sub"); sub != payload.end()) {
    if (!sub->is_string()) return malformed("the token's sub is not a string");
    out.subject = sub->get<std::string>();
  }
  if (auto exp = payload.find("exp"); exp != payload.end()) {
    auto when = numeric_date(*exp);
    if (!when) return malformed("the token's exp is not a number");
    if (now >= *when + rules.leeway_seconds)
      return auth_error{auth_errc::expired, "the token has expired"};
    out.expires = *when;
  }
  if (auto nbf = payload.find("nbf"); nbf != payload.end()) {
    auto when = numeric_date(*nbf);
    if (!when) return malformed("the token's nbf is not a number");
    if (now < *when - rules.leeway_seconds)
      return auth_error{auth_errc::not_yet_valid, "the token is not valid yet"};
  }
  if (!rules.audience.empty()) {
    bool found = false;
    if (auto aud = payload.find("aud"); aud != payload.end()) {
      if (aud->is_string()) found = *aud == rules.audience;
      if (aud->is_array())
        for (const auto& a : *aud) found = found || (a.is_string() && a == rules.audience);
    }
    if (!found) return auth_error{auth_errc::audience, "the token is not for this audience"};
  }
  if (!rules.issuer.empty()) {
    auto iss = payload.find("iss");
    if (iss == payload.end() || !iss->is_string() || *iss != rules.issuer)
      return auth_error{auth_errc::issuer, "the token is not from the expected issuer"};
  }
  if (auto topics = payload.find("topics"); topics != payload.end()) {
    if (!topics->is_array()) return malformed("the token's topics is not an array of strings");
    for (const auto& t : *topics) {
      if (!t.is_string()) return malformed("the token's topics is not an array of strings");
      out.topics.push_back(t.get<std::string>());
    }
  }
  return out;
}

}  // namespace kasocki::auth
