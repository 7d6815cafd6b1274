// Signatures through key_set and authenticator: tokens signed here with OpenSSL, each algorithm,
// PEM and JWKS keys, kid selection, the key-confusion attack, the refusal reasons.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "libkasocki/auth/authenticator.hpp"
#include "libkasocki/auth/key_set.hpp"

using namespace kasocki::auth;

namespace {

std::string b64(std::string_view text) {
  std::string out;
  base64url_encode(text, out);
  return out;
}

struct private_key {
  EVP_PKEY* key = nullptr;
  algorithm alg;
  explicit private_key(algorithm a) : alg(a) {
    if (a == algorithm::rs256) key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048});
    if (a == algorithm::es256) key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    if (a == algorithm::eddsa) key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  }
  ~private_key() { EVP_PKEY_free(key); }
  std::string public_pem() const {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, key);
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<std::size_t>(n));
    BIO_free(bio);
    return out;
  }
  std::string sign(std::string_view input) const {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestSignInit(ctx, nullptr, alg == algorithm::eddsa ? nullptr : EVP_sha256(), nullptr,
                       key);
    std::size_t length = 0;
    auto in = reinterpret_cast<const unsigned char*>(input.data());
    EVP_DigestSign(ctx, nullptr, &length, in, input.size());
    std::string sig(length, '\0');
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &length, in, input.size());
    sig.resize(length);
    EVP_MD_CTX_free(ctx);
    if (alg != algorithm::es256) return sig;
    // DER to JOSE's r || s.
    auto p = reinterpret_cast<const unsigned char*>(sig.data());
    ECDSA_SIG* ecdsa = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
    std::string raw(64, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(ecdsa), reinterpret_cast<unsigned char*>(raw.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(ecdsa), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
    ECDSA_SIG_free(ecdsa);
    return raw;
  }
};

std::string hmac(std::string_view secret, std::string_view input) {
  unsigned char mac[32];
  unsigned int n = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &n);
  return std::string(reinterpret_cast<char*>(mac), n);
}

std::string mint(std::string header, std::string payload,
                 const std::function<std::string(std::string_view)>& sign) {
  auto input = b64(header) + "." + b64(payload);
  return input + "." + b64(sign(input));
}

std::string mint(const private_key& k, std::string payload, std::string kid = "") {
  std::string header = R"({"alg":")" + std::string(name_of(k.alg)) + "\"";
  if (!kid.empty()) header += R"(,"kid":")" + kid + "\"";
  header += "}";
  return mint(header, std::move(payload), [&](std::string_view in) { return k.sign(in); });
}

auth_errc reason(const key_set& keys, std::string_view token) {
  auto parsed = parse_jws(token);
  if (!parsed) return parsed.error().kind;
  auto verified = keys.verify(*parsed);
  return verified ? auth_errc::subject_changed : verified.error().kind;
}

bool verifies(const key_set& keys, std::string_view token) {
  auto parsed = parse_jws(token);
  return parsed && keys.verify(*parsed);
}

std::string write_temp(const std::string& name, const std::string& text) {
  auto path = testing::TempDir() + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

const std::string secret = "0123456789abcdef0123456789abcdef";

}  // namespace

TEST(AuthKeySet, VerifiesEachAlgorithmFromOnePemFile) {
  private_key rsa(algorithm::rs256), ec(algorithm::es256), ed(algorithm::eddsa);
  auto keys = key_set::from_pem(rsa.public_pem() + ec.public_pem() + ed.public_pem());
  ASSERT_TRUE(keys) << keys.error();
  EXPECT_EQ(keys->size(), 3u);
  for (const auto* k : {&rsa, &ec, &ed}) {
    auto t = mint(*k, R"({"sub":"u"})");
    EXPECT_TRUE(verifies(*keys, t)) << name_of(k->alg);
    // The same signature over another payload.
    auto tampered = t.substr(0, t.find('.') + 1) + b64(R"({"sub":"v"})") + t.substr(t.rfind('.'));
    EXPECT_EQ(reason(*keys, tampered), auth_errc::signature) << name_of(k->alg);
  }
}

TEST(AuthKeySet, RightAlgorithmOtherKeyIsASignatureFailure) {
  private_key ours(algorithm::es256), theirs(algorithm::es256);
  auto keys = key_set::from_pem(ours.public_pem());
  ASSERT_TRUE(keys);
  EXPECT_EQ(reason(*keys, mint(theirs, "{}")), auth_errc::signature);
  // An ES256 signature of another length, or a DER one, is refused, never read past.
  auto t = mint(ours, "{}");
  EXPECT_EQ(reason(*keys, t.substr(0, t.rfind('.') + 1) + b64("short")), auth_errc::signature);
}

TEST(AuthKeySet, KeyConfusionHs256WithThePublicKeyAsSecret) {
  private_key rsa(algorithm::rs256);
  auto pem = rsa.public_pem();
  auto keys = key_set::from_pem(pem);
  ASSERT_TRUE(keys);
  auto forged =
      mint(R"({"alg":"HS256"})", "{}", [&](std::string_view in) { return hmac(pem, in); });
  EXPECT_EQ(reason(*keys, forged), auth_errc::algorithm);
  EXPECT_EQ(reason(*keys, mint(private_key(algorithm::eddsa), "{}")), auth_errc::algorithm);
}

TEST(AuthKeySet, JwksOfEveryTypeAndKidSelection) {
  private_key ed(algorithm::eddsa);
  std::size_t n = 32;
  std::string raw(32, '\0');
  EVP_PKEY_get_raw_public_key(ed.key, reinterpret_cast<unsigned char*>(raw.data()), &n);
  private_key ec(algorithm::es256);
  BIGNUM *x = nullptr, *y = nullptr;
  EVP_PKEY_get_bn_param(ec.key, OSSL_PKEY_PARAM_EC_PUB_X, &x);
  EVP_PKEY_get_bn_param(ec.key, OSSL_PKEY_PARAM_EC_PUB_Y, &y);
  std::string xb(32, '\0'), yb(32, '\0');
  BN_bn2binpad(x, reinterpret_cast<unsigned char*>(xb.data()), 32);
  BN_bn2binpad(y, reinterpret_cast<unsigned char*>(yb.data()), 32);
  BN_free(x);
  BN_free(y);
  private_key rsa(algorithm::rs256);
  BIGNUM *bn_n = nullptr, *bn_e = nullptr;
  EVP_PKEY_get_bn_param(rsa.key, OSSL_PKEY_PARAM_RSA_N, &bn_n);
  EVP_PKEY_get_bn_param(rsa.key, OSSL_PKEY_PARAM_RSA_E, &bn_e);
  std::string nb(static_cast<std::size_t>(BN_num_bytes(bn_n)), '\0'),
      eb(static_cast<std::size_t>(BN_num_bytes(bn_e)), '\0');
  BN_bn2bin(bn_n, reinterpret_cast<unsigned char*>(nb.data()));
  BN_bn2bin(bn_e, reinterpret_cast<unsigned char*>(eb.data()));
  BN_free(bn_n);
  BN_free(bn_e);
  nlohmann::json jwks = {
      {"keys", nlohmann::json::array({
                   {{"kty", "OKP"}, {"crv", "Ed25519"}, {"kid", "ed"}, {"x", b64(raw)}},
                   {{"kty", "EC"},
                    {"crv", "P-256"},
                    {"kid", "ec"},
                    {"alg", "ES256"},
                    {"x", b64(xb)},
                    {"y", b64(yb)}},
                   {{"kty", "RSA"}, {"kid", "rsa"}, {"n", b64(nb)}, {"e", b64(eb)}},
                   {{"kty", "oct"}, {"kid", "hs"}, {"k", b64(secret)}},
                   {{"kty", "RSA"}, {"use", "enc"}, {"n", "x"}, {"e", "y"}},
               })}};
  auto keys = key_set::from_jwks(jwks.dump());
  ASSERT_TRUE(keys) << keys.error();
  EXPECT_EQ(keys->size(), 4u);
  EXPECT_TRUE(verifies(*keys, mint(ed, "{}", "ed")));
  EXPECT_TRUE(verifies(*keys, mint(ec, "{}", "ec")));
  EXPECT_TRUE(verifies(*keys, mint(rsa, "{}", "rsa")));
  EXPECT_TRUE(verifies(*keys, mint(R"({"alg":"HS256","kid":"hs"})", "{}",
                                   [](std::string_view in) { return hmac(secret, in); })));
  EXPECT_EQ(reason(*keys, mint(ec, "{}", "other")), auth_errc::signature);

  EXPECT_FALSE(key_set::from_jwks(R"({"keys":[{"kty":"EC","crv":"P-384","x":"AA","y":"AA"}]})"));
  EXPECT_FALSE(key_set::from_jwks(R"({"keys":[{"kty":"oct","k":"c2hvcnQ"}]})"));
  EXPECT_FALSE(key_set::from_jwks(R"({"keys":[{"kty":"OKP","crv":"Ed25519","alg":"RS256","x":")" +
                                  b64(raw) + "\"}]}"));
  EXPECT_FALSE(key_set::from_jwks("[]"));
  EXPECT_FALSE(key_set::from_pem("not a key"));
}

TEST(AuthAuthenticator, VerifiesClaimsAfterTheSignatureAndReloads) {
  private_key first(algorithm::eddsa), second(algorithm::eddsa);
  auto pem = write_temp("auth_reload.pem", first.public_pem());
  auth_options options;
  options.keys.pem_files = {pem};
  options.rules = {0, "kasocki", ""};
  auto auth = authenticator::create(options);
  ASSERT_TRUE(auth) << auth.error();
  auto& a = **auth;
  auto good = mint(first, R"({"sub":"u","aud":"kasocki","exp":2000,"topics":["t.*"]})");
  auto id = a.verify(good, 1000);
  ASSERT_TRUE(id);
  EXPECT_EQ(id->subject, "u");
  EXPECT_EQ(id->expires, 2000);
  EXPECT_TRUE(id->topics.allows("t.x"));
  EXPECT_FALSE(id->topics.allows("u"));
  EXPECT_EQ(a.verify(good, 2000).error().kind, auth_errc::expired);
  EXPECT_EQ(a.verify(mint(first, R"({"aud":"x"})"), 0).error().kind, auth_errc::audience);
  // An expired token with a bad signature is a signature failure: claims are read only then.
  EXPECT_EQ(a.verify(mint(second, R"({"exp":1})"), 1000).error().kind, auth_errc::signature);

  write_temp("auth_reload.pem", second.public_pem());
  ASSERT_TRUE(a.reload());
  EXPECT_EQ(a.verify(good, 1000).error().kind, auth_errc::signature);
  EXPECT_TRUE(a.verify(mint(second, R"({"aud":"kasocki"})"), 1000));
  write_temp("auth_reload.pem", "garbage");
  EXPECT_FALSE(a.reload());  // the keys in use stay
  EXPECT_TRUE(a.verify(mint(second, R"({"aud":"kasocki"})"), 1000));
  std::remove(pem.c_str());
}

TEST(AuthAuthenticator, SecretFilesAndBearerHeaders) {
  auto path = write_temp("auth_secret", secret + "\n");
  auth_options options;
  options.keys.secret_files = {path};
  auto auth = authenticator::create(options);
  ASSERT_TRUE(auth) << auth.error();
  auto t = mint(R"({"alg":"HS256"})", R"({"sub":"s"})",
                [](std::string_view in) { return hmac(secret, in); });
  EXPECT_TRUE((*auth)->verify(t, 0));
  EXPECT_EQ((*auth)->verify(t.substr(0, t.size() - 2) + "AA", 0).error().kind,
            auth_errc::signature);
  write_temp("auth_secret_short", "short");
  options.keys.secret_files = {testing::TempDir() + "auth_secret_short"};
  EXPECT_FALSE(authenticator::create(options));

  EXPECT_EQ(bearer_token("Bearer abc"), "abc");
  EXPECT_EQ(bearer_token("bearer  abc "), "abc");
  EXPECT_EQ(bearer_token("Basic abc"), "");
  EXPECT_EQ(bearer_token("Bear"), "");
}
