// Tokens as the contract's clients see them (kasocki-api.md, "Authentication"): the error objects
// of a refused, expiring or expired token, the CONNECT_ERROR payload, and which token of a
// CONNECT counts. Pure, no I/O; the checks themselves are auth::authenticator's.
#pragma once

#include <cstdint>
#include <string_view>

#include "libkasocki/auth/jose.hpp"
#include "libkasocki/gateway/errors.hpp"

namespace kasocki::gateway {

// AuthenticationError with details {reason} (missing, malformed, ..., subject_changed).
kasocki_error authentication_error(const auth::auth_error& e);
// Emitted 60 s before the token's end; details {expiresAt} (seconds since the epoch).
kasocki_error token_expiring_error(std::int64_t expires_at);
// At the token's end, before the disconnect (or the end of an SSE stream).
kasocki_error token_expired_error();
// One `sub` holds --max-connections-per-subject sessions already.
kasocki_error subject_limit_error(std::size_t max);

// The CONNECT_ERROR payload of socket.io v5 for a refused CONNECT:
// {message, data: {name, reason | limit, max}}.
json connect_error_payload(const kasocki_error& error);

// The token of a CONNECT: the auth object's `token`, else the handshake's bearer token.
// A `token` that is not a string is an empty token (refused as malformed, not as missing).
struct connect_token {
  std::string_view token;
  bool malformed = false;
};
connect_token token_of_connect(const json& auth, std::string_view handshake_token);

// Seconds before the end of a token at which TokenExpiringError is emitted.
inline constexpr std::int64_t token_expiring_notice_seconds = 60;

}  // namespace kasocki::gateway
