// The JOSE side of a JWT (RFC 7515/7519), without any cryptography: base64url, the compact
// serialization, the header's `alg` and `kid`, and the claims Kasocki reads (`sub`, `exp`, `nbf`,
// `aud`, `iss`, `topics`). Pure functions, no I/O; every input is untrusted and none may throw.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "libkasocki/common/result.hpp"

namespace kasocki::auth {

// Why a token was refused: the `reason` of the client's AuthenticationError.
enum class auth_errc {
  missing,          // no token at all
  malformed,        // not three base64url parts of JSON objects, or a claim of the wrong type
  too_large,        // over max_token_bytes, refused before any parsing
  algorithm,        // alg none, unknown, or not the algorithm of any configured key
  signature,        // no configured key of that algorithm (and kid) verifies it
  expired,          // exp + leeway is past
  not_yet_valid,    // nbf - leeway is still ahead
  audience,         // --auth-audience not among aud
  issuer,           // iss is not --auth-issuer
  subject_changed,  // a renewal with another sub
};
std::string_view reason_of(auth_errc kind);

struct auth_error {
  auth_errc kind;
  std::string message;  // says what is wrong, never quotes the token
  friend bool operator==(const auth_error&, const auth_error&) = default;
};

template <class T>
using auth_result = result<T, auth_error>;

// Tokens longer than this are refused before they are decoded (8 KiB).
inline constexpr std::size_t max_token_bytes = 8 * 1024;

enum class algorithm { hs256, rs256, es256, eddsa };
std::optional<algorithm> parse_algorithm(std::string_view name);  // "HS256", "RS256", ...
std::string_view name_of(algorithm alg);

// base64url without padding (RFC 7515, section 2); nullopt on any other character, on padding
// and on a length no encoding has (4n+1).
std::optional<std::string> base64url_decode(std::string_view text);
void base64url_encode(std::string_view bytes, std::string& out);  // appends, no padding

// A JWS in compact serialization, decoded but not verified.
struct jws {
  algorithm alg;
  std::optional<std::string> kid;
  std::string signing_input;  // "<header>.<payload>" as sent: what the signature covers
  std::string signature;      // raw bytes
  nlohmann::json claims;      // the payload, a JSON object
};
auth_result<jws> parse_jws(std::string_view token);

// What the claims say, once checked.
struct claims {
  std::string subject;                  // `sub`, "" when absent
  std::optional<std::int64_t> expires;  // `exp`, seconds since the epoch
  // `topics`: topic names, `*` matching any run of characters. Absent: none (reads nothing).
  std::vector<std::string> topics;
};

struct claim_rules {
  std::int64_t leeway_seconds = 30;  // clock skew allowed on exp and nbf
  std::string audience;              // required among `aud` when not empty
  std::string issuer;                // required as `iss` when not empty
};

// Checks exp, nbf, aud and iss at `now` (seconds since the epoch) and reads the claims.
auth_result<claims> check_claims(const nlohmann::json& payload, const claim_rules& rules,
                                 std::int64_t now);

}  // namespace kasocki::auth
