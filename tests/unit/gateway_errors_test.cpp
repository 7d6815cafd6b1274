// Unit tests for the Kasocki error object.
#include <gtest/gtest.h>

#include "libkasocki/gateway/errors.hpp"

namespace gw = kasocki::gateway;
using gw::json;

namespace {

TEST(Errors, ObjectShapeAndKeyOrder) {
  auto e = gw::deserialization_error("t", 2, 42);
  json j = gw::to_json(e, "consume");
  EXPECT_EQ(j.dump(),
            R"({"name":"DeserializationError","message":"Message at t/2@42 is not a UTF-8 JSON )"
            R"(object; skipped","origin":"Kasocki","socketEvent":"consume","topic":"t",)"
            R"("partition":2,"offset":42})");
}

TEST(Errors, DetailsCannotOverrideFixedKeys) {
  gw::kasocki_error e{"X", "m", json{{"origin", "evil"}, {"extra", 1}}};
  EXPECT_EQ(gw::to_json(e, "s").dump(),
            R"({"name":"X","message":"m","origin":"Kasocki","socketEvent":"s","extra":1})");
}

TEST(Errors, NamesAndDetails) {
  struct {
    gw::kasocki_error error;
    const char* name;
    const char* details;
  } cases[] = {
      {gw::invalid_assignment_error("m"), "InvalidAssignmentError", "{}"},
      {gw::topic_not_available_error("m", {"a", "b"}), "TopicNotAvailableError",
       R"({"availableTopics":["a","b"]})"},
      {gw::already_subscribed_error(), "AlreadySubscribedError", "{}"},
      {gw::not_subscribed_error(), "NotSubscribedError", "{}"},
      {gw::already_started_error(), "AlreadyStartedError", "{}"},
      {gw::invalid_filter_error("m", json{{"a", json::object()}}), "InvalidFilterError",
       R"({"filters":{"a":{}}})"},
      {gw::kafka_error("m", "_TRANSPORT"), "KafkaError", R"({"code":"_TRANSPORT"})"},
      {gw::kafka_error("m"), "KafkaError", "{}"},
      {gw::kafka_unavailable_error("m"), "KafkaUnavailableError", "{}"},
      {gw::kafka_unavailable_error(), "KafkaUnavailableError", "{}"},
      {gw::offset_reset_error("t", 0, 5, 9), "OffsetResetError",
       R"({"topic":"t","partition":0,"offset":5,"resetTo":9})"},
      {gw::invalid_request_error("m"), "InvalidRequestError", "{}"},
      {gw::too_many_pending_events_error(100), "TooManyPendingEventsError",
       R"({"limit":"max-pending-events","max":100})"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(c.error.name, c.name);
    EXPECT_FALSE(c.error.message.empty()) << c.name;
    EXPECT_EQ(c.error.details.dump(), c.details) << c.name;
    json j = gw::to_json(c.error, "subscribe");
    EXPECT_EQ(j["origin"], "Kasocki");
    EXPECT_EQ(j["socketEvent"], "subscribe");
  }
}

TEST(Errors, Result) {
  gw::result<int> ok = 3;
  gw::result<int> bad = gw::not_subscribed_error();
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 3);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().name, "NotSubscribedError");
  // The error moves out of an rvalue result (no copy of its details).
  gw::kasocki_error moved = std::move(bad).error();
  EXPECT_EQ(moved.name, "NotSubscribedError");
}

TEST(Errors, LimitErrorsNameTheirOption) {
  auto e = gw::too_many_pending_events_error(7);
  EXPECT_NE(e.message.find("more than 7 events"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("(limit max-pending-events)"), std::string::npos) << e.message;
}

}  // namespace
