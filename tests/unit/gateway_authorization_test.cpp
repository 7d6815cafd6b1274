// The gateway's side of tokens: the error objects and CONNECT_ERROR payload, which token of a
// CONNECT counts, and the topics claim meeting --allowed-topics in the ready list and subscribe.
#include <gtest/gtest.h>

#include "libkasocki/gateway/authorization.hpp"
#include "libkasocki/gateway/subscribe_spec.hpp"

using namespace kasocki;
using namespace kasocki::gateway;

TEST(GatewayAuthorization, ConnectErrorPayloadCarriesNameAndReason) {
  auto payload = connect_error_payload(
      authentication_error({auth::auth_errc::not_yet_valid, "the token is not valid yet"}));
  EXPECT_EQ(
      payload.dump(),
      R"({"message":"the token is not valid yet","data":{"name":"AuthenticationError","reason":"not_yet_valid"}})");
  auto limit = connect_error_payload(subject_limit_error(3));
  EXPECT_EQ(limit["data"]["name"], "TooManyConnectionsError");
  EXPECT_EQ(limit["data"]["limit"], "max-connections-per-subject");
  EXPECT_EQ(limit["data"]["max"], 3);
}

TEST(GatewayAuthorization, TheAuthObjectTokenWinsOverTheHandshake) {
  EXPECT_EQ(token_of_connect(json{{"token", "a"}}, "b").token, "a");
  EXPECT_EQ(token_of_connect(json::object(), "b").token, "b");
  EXPECT_EQ(token_of_connect(json(), "b").token, "b");
  EXPECT_EQ(token_of_connect(json{{"pid", "x"}}, "").token, "");
  EXPECT_TRUE(token_of_connect(json{{"token", 1}}, "b").malformed);
}

TEST(GatewayAuthorization, TheClaimNarrowsTheAllowedTopics) {
  topic_partitions metadata{{"a.one", 1}, {"a.two", 2}, {"b", 1}, {"__consumer_offsets", 50}};
  EXPECT_EQ(available_topics(metadata, {}, auth::topic_grant::only({"a.*", "__*"})),
            (std::vector<std::string>{"a.one", "a.two"}));
  EXPECT_EQ(available_topics(metadata, {"a.one", "b"}, auth::topic_grant::only({"a.*"})),
            (std::vector<std::string>{"a.one"}));
  EXPECT_EQ(available_topics(metadata, {}, auth::topic_grant::only({})),
            std::vector<std::string>{});
  EXPECT_EQ(available_topics(metadata, {}).size(), 3u);

  std::vector<assignment_request> two{{"a.two", 1, 0, std::nullopt}};
  auto refused = check_assignment(two, metadata, {}, auth::topic_grant::only({"a.one"}));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().name, "TopicNotAvailableError");
  EXPECT_EQ(refused.error().details["availableTopics"], json::array({"a.one"}));
  EXPECT_TRUE(check_assignment(two, metadata, {}, auth::topic_grant::only({"a.*"})));
}
