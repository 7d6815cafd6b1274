// The server's token check: the loaded keys (swapped whole on reload, so a SIGHUP never drops a
// client) and the claim rules. verify() is what every route calls (socket.io CONNECT, the `auth`
// renewal event, SSE); each refusal counts in kasocki_auth_failures_total{reason}.
// Reads key files on load/reload only; event-loop thread only.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "libkasocki/auth/jose.hpp"
#include "libkasocki/auth/key_set.hpp"
#include "libkasocki/auth/topic_grant.hpp"

namespace kasocki::auth {

struct auth_options {
  key_sources keys;
  claim_rules rules;
  // Sessions one `sub` may hold open at once, socket.io and SSE together. 0: no limit.
  std::size_t max_connections_per_subject = 0;
  bool enabled() const { return !keys.empty(); }
};

// A verified token: who, until when, which topics.
struct identity {
  std::string subject;
  std::optional<std::int64_t> expires;  // seconds since the epoch
  topic_grant topics;                   // unrestricted only when the server takes no tokens
};

// The credentials of "Authorization: Bearer <token>" (scheme case-insensitive), "" otherwise.
std::string_view bearer_token(std::string_view authorization);

class authenticator {
 public:
  // Loads the keys; the error names the file that cannot be used.
  static result<std::unique_ptr<authenticator>, std::string> create(auth_options options);

  // Reads the key files again; on any error the keys in use stay (and the error is returned).
  result<ok_t, std::string> reload();

  auth_result<identity> verify(std::string_view token) const;
  auth_result<identity> verify(std::string_view token, std::int64_t now) const;
  // Counts a refusal decided outside verify() (subject_changed) in the metric.
  static void count_failure(auth_errc kind);

  const auth_options& options() const { return options_; }
  std::size_t key_count() const { return keys_->size(); }

 private:
  explicit authenticator(auth_options options) : options_(std::move(options)) {}
  auth_options options_;
  std::shared_ptr<const key_set> keys_;
};

std::int64_t unix_now();

}  // namespace kasocki::auth
