// libFuzzer target: the JOSE layer of a JWT (auth/jose.hpp, auth/topic_grant.hpp): the compact
// serialization, base64url, the header and the claims, as an untrusted client sends them. No
// input may crash or throw; a token over max_token_bytes is refused as too_large whatever it holds;
// base64url round-trips; a topic always matches itself.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "libkasocki/auth/jose.hpp"
#include "libkasocki/auth/topic_grant.hpp"

using namespace kasocki::auth;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto token = parse_jws(input);
  if (size > max_token_bytes && (token || token.error().kind != auth_errc::too_large)) std::abort();
  if (token) {
    claim_rules rules{30, "aud", "iss"};
    (void)check_claims(token->claims, rules, 1'700'000'000);
    (void)check_claims(token->claims, claim_rules{}, 0);
  }
  if (auto bytes = base64url_decode(input)) {
    std::string again;
    base64url_encode(*bytes, again);
    if (base64url_decode(again) != bytes) std::abort();
  }
  // Split the input into a pattern and a topic at its first newline.
  auto cut = input.find('\n');
  if (cut != std::string_view::npos)
    (void)topic_matches(input.substr(0, cut), input.substr(cut + 1));
  if (input.find('*') == std::string_view::npos && !topic_matches(input, input)) std::abort();
  return 0;
}
