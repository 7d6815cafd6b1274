// Unit tests of the Engine.IO request query parser (engineio/server_query.hpp).
#include <gtest/gtest.h>

#include "libkasocki/engineio/server_query.hpp"

namespace kasocki::engineio {
namespace {

TEST(EngineioServerQuery, ReadsItsParametersAndIgnoresOthers) {
  struct case_t {
    const char* target;
    int protocol;
    std::string transport;
    std::optional<std::string> sid;
    bool b64;
  } cases[] = {
      {"/socket.io/?EIO=4&transport=polling", 4, "polling", std::nullopt, false},
      {"/socket.io/?EIO=3&transport=websocket&sid=ab%2Fc&b64=1", 3, "websocket", "ab/c", true},
      {"/socket.io/?b64=true&t=Nx&token=1&EIO=4&transport=polling", 4, "polling", std::nullopt,
       true},
      {"/socket.io/?b64=0&EIO=3&EIO=4&transport=websocket", 4, "websocket", std::nullopt,
       false},  // the last wins
      {"/socket.io/?sid=&EIO=4&transport=polling", 4, "polling", "", false},
  };
  for (const auto& c : cases) {
    const auto q = parse_request_query(c.target);
    ASSERT_TRUE(q) << c.target << ": " << describe(q.error());
    EXPECT_EQ(q->protocol, c.protocol) << c.target;
    EXPECT_EQ(q->transport, c.transport) << c.target;
    EXPECT_EQ(q->sid, c.sid) << c.target;
    EXPECT_EQ(q->b64, c.b64) << c.target;
  }
}

TEST(EngineioServerQuery, SaysWhyATargetIsRefused) {
  struct case_t {
    const char* target;
    query_errc error;
  } cases[] = {
      {"", query_errc::bad_target},
      {"socket.io/?EIO=4&transport=polling", query_errc::bad_target},
      {"http://h/socket.io/?EIO=4&transport=polling", query_errc::bad_target},
      {"/socket.io/?EIO=%G4&transport=polling", query_errc::bad_target},
      {"/socket.io/?EIO=4&transport=polling#x", query_errc::bad_target},
      {"/a b", query_errc::bad_target},
      // The transport is checked before the protocol, as the reference server does.
      {"/socket.io/", query_errc::unknown_transport},
      {"/socket.io/?EIO=4", query_errc::unknown_transport},
      {"/socket.io/?EIO=5&transport=flash", query_errc::unknown_transport},
      {"/socket.io/?EIO=4&transport=Polling", query_errc::unknown_transport},
      {"/socket.io/?transport=polling", query_errc::unsupported_protocol},
      {"/socket.io/?EIO=5&transport=polling", query_errc::unsupported_protocol},
      {"/socket.io/?EIO=04&transport=websocket", query_errc::unsupported_protocol},
      {"/socket.io/?EIO=2&transport=polling", query_errc::unsupported_protocol},
  };
  for (const auto& c : cases) {
    const auto q = parse_request_query(c.target);
    ASSERT_FALSE(q) << c.target;
    EXPECT_EQ(q.error(), c.error) << c.target << ": " << describe(q.error());
  }
}

TEST(EngineioServerQuery, PathIsTheTargetBeforeItsQuery) {
  EXPECT_EQ(target_path("/socket.io/?EIO=4"), "/socket.io/");
  EXPECT_EQ(target_path("/socket.io/"), "/socket.io/");
  EXPECT_EQ(target_path("/a?b?c"), "/a");
  EXPECT_EQ(target_path(""), "");
}

}  // namespace
}  // namespace kasocki::engineio
