// See authenticator.hpp.
#include "libkasocki/auth/authenticator.hpp"

#include <cctype>

#include "libkasocki/common/metrics.hpp"

namespace kasocki::auth {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string_view bearer_token(std::string_view authorization) {
  constexpr std::string_view scheme = "bearer ";
  if (authorization.size() < scheme.size()) return {};
  for (std::size_t i = 0; i < scheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != scheme[i]) return {};
  auto token = authorization.substr(scheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return token;
}

result<std::unique_ptr<authenticator>, std::string> authenticator::create(auth_options options) {
  std::unique_ptr<authenticator> out(new authenticator(std::move(options)));
  auto keys = key_set::load(out->options_.keys);
  if (!keys) return keys.error();
  out->keys_ = std::make_shared<const key_set>(std::move(*keys));
  auto& failures = metrics::global();
  failures.declare("kasocki_auth_failures_total", metrics::metric_type::counter);
  return out;
}

result<ok_t, std::string> authenticator::reload() {
  auto keys = key_set::load(options_.keys);
  if (!keys) return keys.error();
  keys_ = std::make_shared<const key_set>(std::move(*keys));
  return ok_t{};
}

void authenticator::count_failure(auth_errc kind) {
  metrics::global()
      .counter("kasocki_auth_failures_total", {{"reason", std::string(reason_of(kind))}})
      .inc();
}

auth_result<identity> authenticator::verify(std::string_view token) const {
  return verify(token, unix_now());
}

auth_result<identity> authenticator::verify(std::string_view token, std::int64_t now) const {
  auto refused = [](auth_error e) {
    count_failure(e.kind);
    return e;
  };
  auto parsed = parse_jws(token);  // refuses a token over max_token_bytes before decoding it
  if (!parsed) return refused(parsed.error());
  // The signature first: claims of a token nobody vouches for decide nothing.
  if (auto signed_ok = keys_->verify(*parsed); !signed_ok) return refused(signed_ok.error());
  auto checked = check_claims(parsed->claims, options_.rules, now);
  if (!checked) return refused(checked.error());
  return identity{std::move(checked->subject), checked->expires,
                  topic_grant::only(std::move(checked->topics))};
}

}  // namespace kasocki::auth
