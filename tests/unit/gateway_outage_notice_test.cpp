// Unit tests of outage_notice: one KafkaUnavailableError per outage and per client.
#include "libkasocki/gateway/outage_notice.hpp"

#include <gtest/gtest.h>

namespace kasocki::gateway {
namespace {

TEST(OutageNotice, OncePerOutageHoweverOftenItIsReported) {
  outage_notice n;
  EXPECT_TRUE(n.should_tell(0));
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(n.should_tell(0));
}

TEST(OutageNotice, MessagesEndTheOutage) {
  outage_notice n;
  EXPECT_TRUE(n.should_tell(0));
  n.reachable();
  EXPECT_TRUE(n.should_tell(0));  // a second outage, with no recovery seen by the cache
  EXPECT_FALSE(n.should_tell(0));
}

TEST(OutageNotice, ARecoveryOfTheCacheEndsTheOutage) {
  outage_notice n;
  EXPECT_TRUE(n.should_tell(3));
  EXPECT_FALSE(n.should_tell(3));
  EXPECT_TRUE(n.should_tell(4));  // the cache reached Kafka again since: a new outage
  EXPECT_FALSE(n.should_tell(4));
}

}  // namespace
}  // namespace kasocki::gateway
