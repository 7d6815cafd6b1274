// The JOSE layer: base64url, the compact serialization, the claims, topic patterns.
#include <gtest/gtest.h>

#include "libkasocki/auth/jose.hpp"
#include "libkasocki/auth/topic_grant.hpp"

using namespace kasocki::auth;

namespace {

std::string b64(std::string_view text) {
  std::string out;
  base64url_encode(text, out);
  return out;
}

std::string token(std::string_view header, std::string_view payload, std::string_view sig = "s") {
  return b64(header) + "." + b64(payload) + "." + b64(sig);
}

auth_errc refusal(std::string_view t) {
  auto parsed = parse_jws(t);
  EXPECT_FALSE(parsed);
  return parsed ? auth_errc::subject_changed : parsed.error().kind;
}

auth_errc claim_refusal(std::string_view payload, claim_rules rules = {}, std::int64_t now = 1000) {
  auto checked = check_claims(nlohmann::json::parse(payload), rules, now);
  EXPECT_FALSE(checked);
  return checked ? auth_errc::subject_changed : checked.error().kind;
}

}  // namespace

TEST(AuthBase64url, RoundTripsEveryLength) {
  std::string bytes;
  for (int i = 0; i < 40; ++i) {
    auto encoded = b64(bytes);
    EXPECT_EQ(encoded.find('='), std::string::npos);
    EXPECT_EQ(base64url_decode(encoded), bytes);
    bytes.push_back(static_cast<char>(i * 37));
  }
  EXPECT_EQ(b64("\xfb\xff"), "-_8");
}

TEST(AuthBase64url, RefusesOtherAlphabetsPaddingAndImpossibleLengths) {
  EXPECT_FALSE(base64url_decode("ab+/"));
  EXPECT_FALSE(base64url_decode("YQ=="));
  EXPECT_FALSE(base64url_decode("abcde"));
  EXPECT_FALSE(base64url_decode("a b"));
}

TEST(AuthJws, ParsesHeaderPayloadAndSignature) {
  auto parsed =
      parse_jws(token(R"({"alg":"ES256","kid":"k1","typ":"JWT"})", R"({"sub":"u"})", "sig"));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->alg, algorithm::es256);
  EXPECT_EQ(parsed->kid, "k1");
  EXPECT_EQ(parsed->signature, "sig");
  EXPECT_EQ(parsed->claims["sub"], "u");
  EXPECT_EQ(parsed->signing_input.find('.'),
            b64(R"({"alg":"ES256","kid":"k1","typ":"JWT"})").size());
}

TEST(AuthJws, RefusalReasons) {
  EXPECT_EQ(refusal(""), auth_errc::missing);
  EXPECT_EQ(refusal(std::string(max_token_bytes + 1, 'a')), auth_errc::too_large);
  EXPECT_EQ(refusal("a.b"), auth_errc::malformed);
  EXPECT_EQ(refusal("a.b.c.d"), auth_errc::malformed);
  EXPECT_EQ(refusal(token("[]", "{}")), auth_errc::malformed);
  EXPECT_EQ(refusal(token("{}", "{}")), auth_errc::malformed);
  EXPECT_EQ(refusal(token(R"({"alg":"none"})", "{}")), auth_errc::algorithm);
  EXPECT_EQ(refusal(b64(R"({"alg":"none"})") + "." + b64("{}") + "."), auth_errc::algorithm);
  EXPECT_EQ(refusal(token(R"({"alg":"HS512"})", "{}")), auth_errc::algorithm);
  EXPECT_EQ(refusal(token(R"({"alg":"HS256","crit":["x"]})", "{}")), auth_errc::malformed);
  EXPECT_EQ(refusal(token(R"({"alg":"HS256","kid":1})", "{}")), auth_errc::malformed);
  EXPECT_EQ(refusal(token(R"({"alg":"HS256"})", "not json")), auth_errc::malformed);
  EXPECT_EQ(refusal(b64(R"({"alg":"HS256"})") + "." + b64("{}") + "."), auth_errc::malformed);
}

TEST(AuthClaims, ReadsSubjectExpiryAndTopics) {
  auto checked = check_claims(
      nlohmann::json::parse(R"({"sub":"u","exp":2000,"topics":["a","b.*"]})"), {}, 1000);
  ASSERT_TRUE(checked);
  EXPECT_EQ(checked->subject, "u");
  EXPECT_EQ(checked->expires, 2000);
  EXPECT_EQ(checked->topics, (std::vector<std::string>{"a", "b.*"}));
}

TEST(AuthClaims, ExpiryAndNotBeforeWithLeeway) {
  claim_rules rules{30, "", ""};
  EXPECT_TRUE(check_claims(nlohmann::json::parse(R"({"exp":980})"), rules, 1000));
  EXPECT_EQ(claim_refusal(R"({"exp":970})", rules), auth_errc::expired);
  EXPECT_EQ(claim_refusal(R"({"exp":1000})", claim_rules{0, "", ""}), auth_errc::expired);
  EXPECT_TRUE(check_claims(nlohmann::json::parse(R"({"nbf":1020})"), rules, 1000));
  EXPECT_EQ(claim_refusal(R"({"nbf":1031})", rules), auth_errc::not_yet_valid);
  EXPECT_EQ(claim_refusal(R"({"exp":"soon"})"), auth_errc::malformed);
  EXPECT_TRUE(check_claims(nlohmann::json::parse(R"({"exp":1e300})"), rules, 1000));
  EXPECT_EQ(claim_refusal(R"({"exp":-1e300})", rules), auth_errc::expired);
}

TEST(AuthClaims, AudienceAndIssuer) {
  claim_rules rules{30, "kasocki", "https://idp"};
  EXPECT_TRUE(
      check_claims(nlohmann::json::parse(R"({"aud":"kasocki","iss":"https://idp"})"), rules, 0));
  EXPECT_TRUE(check_claims(nlohmann::json::parse(R"({"aud":["x","kasocki"],"iss":"https://idp"})"),
                           rules, 0));
  EXPECT_EQ(claim_refusal(R"({"aud":"other","iss":"https://idp"})", rules), auth_errc::audience);
  EXPECT_EQ(claim_refusal(R"({"iss":"https://idp"})", rules), auth_errc::audience);
  EXPECT_EQ(claim_refusal(R"({"aud":"kasocki","iss":"https://evil"})", rules), auth_errc::issuer);
  EXPECT_EQ(claim_refusal(R"({"topics":"a"})"), auth_errc::malformed);
  EXPECT_EQ(claim_refusal(R"({"topics":[1]})"), auth_errc::malformed);
  EXPECT_EQ(claim_refusal(R"({"sub":1})"), auth_errc::malformed);
}

TEST(AuthTopicGrant, Wildcards) {
  EXPECT_TRUE(topic_matches("a", "a"));
  EXPECT_FALSE(topic_matches("a", "ab"));
  EXPECT_TRUE(topic_matches("mediawiki.*", "mediawiki.recentchange"));
  EXPECT_TRUE(topic_matches("mediawiki.*", "mediawiki."));
  EXPECT_FALSE(topic_matches("mediawiki.*", "mediawiki"));
  EXPECT_TRUE(topic_matches("*", ""));
  EXPECT_TRUE(topic_matches("*change", "recentchange"));
  EXPECT_TRUE(topic_matches("a*b*c", "aXXbYYbc"));
  EXPECT_FALSE(topic_matches("a*b*c", "aXXbYYb"));
  EXPECT_FALSE(topic_matches("kasocki_?", "kasocki_a"));  // only * is special
  EXPECT_TRUE(topic_matches(std::string(200, '*') + "b", std::string(5000, 'a') + "b"));
  EXPECT_FALSE(topic_matches(std::string(50, '*') + "ab", std::string(5000, 'a')));

  EXPECT_TRUE(topic_grant{}.allows("anything"));
  auto grant = topic_grant::only({"a", "b.*"});
  EXPECT_TRUE(grant.allows("a"));
  EXPECT_TRUE(grant.allows("b.c"));
  EXPECT_FALSE(grant.allows("c"));
  EXPECT_FALSE(topic_grant::only({}).allows("a"));
}
