// The signed tokens of connection state recovery: the pid (a random session id with its issue
// time) and the cursor (a session_state bound to a pid), both HMAC-SHA256 (OpenSSL) with the
// operator's secret, truncated, compared in constant time, in base64url without padding.
// Signed, not encrypted: whoever holds them can read the topics' hashes, positions and filters.
// Pure apart from the random bytes of a new pid; safe to share between threads (const).
//
//   pid    = base64url(1 | 12 random bytes | issue time, 5 bytes of seconds since the epoch,
//                      big endian | 16 bytes of HMAC("kasocki-pid-1" | the 18 bytes before))
//   cursor = base64url(state bytes | 10 bytes of HMAC("kasocki-cursor-1" | pid length | pid |
//                      state bytes))
// The cursor's 80-bit tag keeps one topic of 6 partitions within 64 characters; forging one
// still takes some 2^79 attempts, each a connection to the server.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "libkasocki/recovery/session_state.hpp"

namespace kasocki::recovery {

class recovery_keys;

// The HMAC of the cursors of one pid, keyed and fed the pid once: a session signs a cursor per
// message with a copy of it. Not thread safe.
class cursor_signer {
 public:
  cursor_signer(const recovery_keys& keys, std::string_view pid);
  ~cursor_signer();
  cursor_signer(const cursor_signer&) = delete;
  cursor_signer& operator=(const cursor_signer&) = delete;
  // Appends the cursor text of `state_bytes` (encode_state's output) to `out`.
  void sign(std::string_view state_bytes, std::string& out);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// What a verified session brings back: its state and when its pid was issued.
struct recovered_state {
  std::chrono::system_clock::time_point pid_issued;
  session_state state;
};

class recovery_keys {
 public:
  // The first secret signs; every one verifies, so that a new secret can be put first while
  // sessions signed with the old one still recover (rotation). Secrets must not be empty.
  explicit recovery_keys(std::vector<std::string> secrets);

  // A new pid issued at `now`.
  std::string issue_pid(std::chrono::system_clock::time_point now) const;
  // The issue time of a pid that verifies (any secret).
  recovery_result<std::chrono::system_clock::time_point> verify_pid(std::string_view pid) const;
  // The cursor of `state` for `pid` (one-off; a session uses a cursor_signer).
  std::string sign_cursor(std::string_view pid, const session_state& state) const;
  // The state of a cursor that verifies for `pid`, and whose pid verifies, and whose age (the pid's
  // issue time + age_minutes) is within `window` of `now`. Errors: malformed, bad_signature,
  // expired.
  recovery_result<recovered_state> open(std::string_view pid, std::string_view cursor,
                                        std::chrono::system_clock::time_point now,
                                        std::chrono::seconds window) const;

  const std::vector<std::string>& secrets() const { return secrets_; }

 private:
  std::vector<std::string> secrets_;
};

// Reads the secrets of --recovery-secret-file: one per line (the first signs), blank lines and
// lines starting with '#' ignored, surrounding whitespace trimmed. Pure (the file's text).
std::vector<std::string> parse_secret_lines(std::string_view text);

// base64url without padding (RFC 4648 section 5). decode: nullopt on any other character, on
// padding, or on a length no encoding has.
void base64url_encode(std::string_view bytes, std::string& out);
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace kasocki::recovery
