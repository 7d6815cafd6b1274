// See key_set.hpp. Everything OpenSSL is in this file.
#include "libkasocki/auth/key_set.hpp"

#include <fstream>
#include <sstream>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

namespace kasocki::auth {

using nlohmann::json;

namespace {

std::shared_ptr<void> own(EVP_PKEY* key) {
  return std::shared_ptr<void>(key, [](void* k) { EVP_PKEY_free(static_cast<EVP_PKEY*>(k)); });
}

// The JOSE algorithm a public key verifies: its type decides, never the token.
std::optional<algorithm> algorithm_of(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "RSA"))
    return EVP_PKEY_get_bits(key) >= 2048 ? std::optional(algorithm::rs256) : std::nullopt;
  if (EVP_PKEY_is_a(key, "ED25519")) return algorithm::eddsa;
  if (EVP_PKEY_is_a(key, "EC")) {
    char group[64] = {};
    std::size_t length = 0;
    if (EVP_PKEY_get_group_name(key, group, sizeof group, &length) != 1) return std::nullopt;
    std::string_view name(group, length);
    if (name == "prime256v1" || name == "P-256") return algorithm::es256;
  }
  return std::nullopt;
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return std::move(text).str();
}

struct bn_deleter {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
using bn_ptr = std::unique_ptr<BIGNUM, bn_deleter>;

bn_ptr bignum(const std::string& bytes) {
  return bn_ptr(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()), nullptr));
}

// Builds a public key of `type` ("RSA", "EC") from OSSL parameters.
EVP_PKEY* from_params(const char* type, OSSL_PARAM_BLD* builder) {
  EVP_PKEY* key = nullptr;
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(builder);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  if (params && ctx && EVP_PKEY_fromdata_init(ctx) == 1)
    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params);
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  return key;
}

std::optional<std::string> member(const json& jwk, const char* name) {
  auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string()) return std::nullopt;
  return base64url_decode(it->get_ref<const std::string&>());
}

std::string string_member(const json& jwk, const char* name) {
  auto it = jwk.find(name);
  return it != jwk.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// One JWK as a key, or why not.
result<verification_key, std::string> from_jwk(const json& jwk) {
  if (!jwk.is_object()) return std::string("a key is not a JSON object");
  const auto kty = string_member(jwk, "kty");
  verification_key out{algorithm::hs256, string_member(jwk, "kid"), nullptr, {}};
  EVP_PKEY* key = nullptr;
  if (kty == "oct") {
    auto k = member(jwk, "k");
    if (!k || k->size() < 32) return std::string("an oct key needs k of at least 32 bytes");
    out.secret = std::move(*k);
  } else if (kty == "RSA") {
    auto n = member(jwk, "n"), e = member(jwk, "e");
    if (!n || !e) return std::string("an RSA key needs n and e");
    auto bn_n = bignum(*n), bn_e = bignum(*e);
    OSSL_PARAM_BLD* builder = OSSL_PARAM_BLD_new();
    if (builder && bn_n && bn_e &&
        OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_N, bn_n.get()) &&
        OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_E, bn_e.get()))
      key = from_params("RSA", builder);
    OSSL_PARAM_BLD_free(builder);
  } else if (kty == "EC") {
    auto x = member(jwk, "x"), y = member(jwk, "y");
    if (string_member(jwk, "crv") != "P-256" || !x || !y || x->size() != 32 || y->size() != 32)
      return std::string("an EC key needs crv P-256 and x, y of 32 bytes");
    std::string point = "\x04" + *x + *y;  // uncompressed
    OSSL_PARAM_BLD* builder = OSSL_PARAM_BLD_new();
    char group[] = "P-256";
    if (builder && OSSL_PARAM_BLD_push_utf8_string(builder, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) &&
        OSSL_PARAM_BLD_push_octet_string(builder, OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                         point.size()))
      key = from_params("EC", builder);
    OSSL_PARAM_BLD_free(builder);
  } else if (kty == "OKP") {
    auto x = member(jwk, "x");
    if (string_member(jwk, "crv") != "Ed25519" || !x || x->size() != 32)
      return std::string("an OKP key needs crv Ed25519 and x of 32 bytes");
    key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                      reinterpret_cast<const unsigned char*>(x->data()), x->size());
  } else {
    return std::string("a key's kty is not RSA, EC, OKP or oct");
  }
  ERR_clear_error();
  if (kty != "oct") {
    if (!key) return "the " + kty + " key is not a valid public key";
    out.public_key = own(key);
    auto alg = algorithm_of(key);
    if (!alg) return "the " + kty + " key is of no supported algorithm (RSA keys need 2048 bits)";
    out.alg = *alg;
  }
  // A key that names its algorithm must name the one its type verifies.
  if (auto alg = string_member(jwk, "alg"); !alg.empty() && parse_algorithm(alg) != out.alg)
    return "a key's alg " + alg + " does not fit its kty " + kty;
  return out;
}

// A JOSE ES256 signature is r || s, 32 bytes each; OpenSSL verifies the DER of the pair.
std::optional<std::string> der_of_jose_ecdsa(const std::string& raw) {
  if (raw.size() != 64) return std::nullopt;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  if (!sig) return std::nullopt;
  auto r = bignum(raw.substr(0, 32)), s = bignum(raw.substr(32));
  if (!r || !s || ECDSA_SIG_set0(sig, r.get(), s.get()) != 1) {
    ECDSA_SIG_free(sig);
    return std::nullopt;
  }
  (void)r.release();  // owned by sig now
  (void)s.release();
  unsigned char* der = nullptr;
  int length = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (length <= 0) return std::nullopt;
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return out;
}

bool verify_with(const verification_key& key, const jws& token) {
  const auto* input = reinterpret_cast<const unsigned char*>(token.signing_input.data());
  if (key.alg == algorithm::hs256) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!HMAC(EVP_sha256(), key.secret.data(), static_cast<int>(key.secret.size()), input,
              token.signing_input.size(), mac, &length))
      return false;
    return token.signature.size() == length &&
           CRYPTO_memcmp(mac, token.signature.data(), length) == 0;  // constant time
  }
  std::string signature = token.signature;
  if (key.alg == algorithm::es256) {
    auto der = der_of_jose_ecdsa(token.signature);
    if (!der) return false;
    signature = std::move(*der);
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (!ctx) return false;
  // Ed25519 signs the message itself: no digest.
  const EVP_MD* digest = key.alg == algorithm::eddsa ? nullptr : EVP_sha256();
  bool ok = EVP_DigestVerifyInit(ctx, nullptr, digest, nullptr,
                                 static_cast<EVP_PKEY*>(key.public_key.get())) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                             signature.size(), input, token.signing_input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  ERR_clear_error();
  return ok;
}

}  // namespace

result<key_set, std::string> key_set::from_pem(std::string_view pem) {
  key_set out;
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (!bio) return std::string("out of memory");
  while (EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr)) {
    auto alg = algorithm_of(key);
    if (!alg) {
      EVP_PKEY_free(key);
      BIO_free(bio);
      return std::string("a key is not RSA (2048 bits or more), EC P-256 or Ed25519");
    }
    out.keys_.push_back({*alg, "", own(key), {}});
  }
  BIO_free(bio);
  ERR_clear_error();
  if (out.keys_.empty()) return std::string("no PEM public key (BEGIN PUBLIC KEY) in it");
  return out;
}

result<key_set, std::string> key_set::from_jwks(std::string_view document) {
  json doc = json::parse(document, nullptr, false);
  if (!doc.is_object() || !doc.contains("keys") || !doc["keys"].is_array())
    return std::string("not a JWKS document ({\"keys\": [...]})");
  key_set out;
  for (const auto& jwk : doc["keys"]) {
    if (jwk.is_object() && string_member(jwk, "use") == "enc") continue;  // not for signatures
    auto key = from_jwk(jwk);
    if (!key) return key.error();
    out.keys_.push_back(std::move(*key));
  }
  if (out.keys_.empty()) return std::string("no signature key in it");
  return out;
}

result<key_set, std::string> key_set::load(const key_sources& sources) {
  key_set out;
  auto add = [&](const std::string& path, auto parse) -> std::optional<std::string> {
    auto text = read_file(path);
    if (!text) return path + ": cannot be read";
    auto keys = parse(*text);
    if (!keys) return path + ": " + keys.error();
    for (auto& k : keys->keys_) out.keys_.push_back(std::move(k));
    return std::nullopt;
  };
  for (const auto& path : sources.pem_files)
    if (auto error = add(path, [](std::string_view t) { return from_pem(t); })) return *error;
  for (const auto& path : sources.jwks_files)
    if (auto error = add(path, [](std::string_view t) { return from_jwks(t); })) return *error;
  for (const auto& path : sources.secret_files) {
    auto error = add(path, [](std::string_view t) -> result<key_set, std::string> {
      while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.remove_suffix(1);
      if (t.size() < 32) return std::string("an HS256 secret needs at least 32 bytes");
      key_set one;
      one.keys_.push_back({algorithm::hs256, "", nullptr, std::string(t)});
      return one;
    });
    if (error) return *error;
  }
  return out;
}

result<ok_t, auth_error> key_set::verify(const jws& token) const {
  bool any_of_alg = false;
  for (const auto& key : keys_) {
    if (key.alg != token.alg) continue;
    any_of_alg = true;
    // A kid on both sides picks the key; a key without one is tried for any token.
    if (token.kid && !key.kid.empty() && key.kid != *token.kid) continue;
    if (verify_with(key, token)) return ok_t{};
  }
  if (!any_of_alg)
    return auth_error{auth_errc::algorithm,
                      "no key of the server verifies " + std::string(name_of(token.alg))};
  return auth_error{auth_errc::signature, "the token's signature does not verify"};
}

}  // namespace kasocki::auth
