// The keys that verify tokens, loaded from PEM files of public keys (RS256, ES256 on P-256,
// EdDSA on Ed25519), JWKS documents and HS256 secret files, and the signature check itself,
// through OpenSSL's EVP interface (no cryptography of our own). Loading reads files; verifying
// is pure. An immutable value once loaded: a reload builds a new one.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "libkasocki/auth/jose.hpp"

namespace kasocki::auth {

struct key_sources {
  std::vector<std::string> pem_files;     // --auth-jwt-key: one or more PEM public keys each
  std::vector<std::string> jwks_files;    // --auth-jwks: {"keys": [...]}
  std::vector<std::string> secret_files;  // --auth-jwt-secret-file: HS256, at least 32 bytes
  bool empty() const { return pem_files.empty() && jwks_files.empty() && secret_files.empty(); }
};

struct verification_key {
  algorithm alg;
  std::string kid;                   // "" for keys from PEM and secret files
  std::shared_ptr<void> public_key;  // EVP_PKEY, for every algorithm but HS256
  std::string secret;                // HS256
};

class key_set {
 public:
  // Every key of `sources`, or the first file that cannot be used and why.
  static result<key_set, std::string> load(const key_sources& sources);
  // Parses one JWKS document (exposed for tests and the fuzz target).
  static result<key_set, std::string> from_jwks(std::string_view document);
  static result<key_set, std::string> from_pem(std::string_view pem);

  std::size_t size() const { return keys_.size(); }
  // Checks the signature of `token` with the keys of its algorithm (and kid, when both have
  // one): algorithm when no key has that algorithm, signature when none of them verifies it.
  result<ok_t, auth_error> verify(const jws& token) const;

 private:
  std::vector<verification_key> keys_;
};

}  // namespace kasocki::auth
