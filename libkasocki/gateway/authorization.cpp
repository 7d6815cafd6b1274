// See authorization.hpp.
#include "libkasocki/gateway/authorization.hpp"

namespace kasocki::gateway {

kasocki_error authentication_error(const auth::auth_error& e) {
  return {"AuthenticationError", e.message, json{{"reason", auth::reason_of(e.kind)}}};
}

kasocki_error token_expiring_error(std::int64_t expires_at) {
  return {"TokenExpiringError",
          "the token expires in " + std::to_string(token_expiring_notice_seconds) +
              " seconds: send a fresh one with the auth event",
          json{{"expiresAt", expires_at}}};
}

kasocki_error token_expired_error() {
  return {"TokenExpiredError", "the token has expired", json::object()};
}

kasocki_error subject_limit_error(std::size_t max) {
  return {"TooManyConnectionsError",
          "this token's subject has too many connections open (limit max-connections-per-subject)",
          json{{"limit", "max-connections-per-subject"}, {"max", max}}};
}

json connect_error_payload(const kasocki_error& error) {
  json data = json::object();
  data["name"] = error.name;
  for (const auto& [key, value] : error.details.items())
    if (key != "name") data[key] = value;
  return json{{"message", error.message}, {"data", std::move(data)}};
}

connect_token token_of_connect(const json& auth, std::string_view handshake_token) {
  if (auth.is_object()) {
    if (auto t = auth.find("token"); t != auth.end()) {
      if (!t->is_string()) return {{}, true};
      return {t->get_ref<const std::string&>(), false};
    }
  }
  return {handshake_token, false};
}

}  // namespace kasocki::gateway
