// The authentication options of `kasocki serve` (--auth-*, --max-connections-per-subject), kept
// apart from serve_config.cpp: declared into its options, checked into auth::auth_options.
// Pure (the key files are read when the server starts, not here).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <boost/program_options/options_description.hpp>

#include "libkasocki/auth/authenticator.hpp"

namespace kasocki::cli {

struct auth_option_values {
  std::vector<std::string> pem_files, jwks_files, secret_files;
  long leeway = 30;
  std::string audience, issuer;
  long max_per_subject = 0;
};

void add_auth_options(boost::program_options::options_description& options,
                      auth_option_values& values);
// The options as the authenticator takes them, or what is wrong with them.
std::optional<std::string> finish_auth_options(const auth_option_values& values,
                                               auth::auth_options& out);

}  // namespace kasocki::cli
