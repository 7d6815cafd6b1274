// See serve_auth.hpp.
#include "cli/serve_auth.hpp"

#include <boost/program_options/value_semantic.hpp>

namespace kasocki::cli {

namespace po = boost::program_options;

void add_auth_options(po::options_description& options, auth_option_values& values) {
  options.add_options()(
      "auth-jwt-key", po::value(&values.pem_files)->composing(),
      "PEM file of public keys (RS256, ES256, EdDSA) that sign client tokens (repeatable); with "
      "any --auth-* key option every client needs a JWT; reloaded on SIGHUP")(
      "auth-jwks", po::value(&values.jwks_files)->composing(),
      "JWKS file of keys that sign client tokens (repeatable; `kid` picks the key)")(
      "auth-jwt-secret-file", po::value(&values.secret_files)->composing(),
      "file holding an HS256 secret of at least 32 bytes (repeatable)")(
      "auth-leeway", po::value(&values.leeway)->default_value(30),
      "seconds of clock skew allowed on a token's exp and nbf")(
      "auth-audience", po::value(&values.audience), "a token's aud must contain this")(
      "auth-issuer", po::value(&values.issuer), "a token's iss must be this")(
      "max-connections-per-subject", po::value(&values.max_per_subject)->default_value(0),
      "sessions (socket.io and SSE) one token subject (`sub`) may hold open (0: no limit)");
}

std::optional<std::string> finish_auth_options(const auth_option_values& values,
                                               auth::auth_options& out) {
  if (values.leeway < 0) return "--auth-leeway must be >= 0";
  if (values.max_per_subject < 0) return "--max-connections-per-subject must be >= 0";
  out.keys.pem_files = values.pem_files;
  out.keys.jwks_files = values.jwks_files;
  out.keys.secret_files = values.secret_files;
  out.rules.leeway_seconds = values.leeway;
  out.rules.audience = values.audience;
  out.rules.issuer = values.issuer;
  out.max_connections_per_subject = static_cast<std::size_t>(values.max_per_subject);
  if (!out.enabled() &&
      (!values.audience.empty() || !values.issuer.empty() || values.max_per_subject > 0))
    return "--auth-audience, --auth-issuer and --max-connections-per-subject need a key "
           "(--auth-jwt-key, --auth-jwks or --auth-jwt-secret-file)";
  return std::nullopt;
}

}  // namespace kasocki::cli
