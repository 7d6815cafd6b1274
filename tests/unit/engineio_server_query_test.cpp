// Unit tests of the Engine.IO request query parser (engineio/server_query.hpp).
#include <gtest/gtest.h>

#include "libkasocki/engineio/server_query.hpp"

namespace kasocki::engineio {
namespace {

TEST(EngineioServerQuery, ReadsItsParametersAndIgnoresOthers) {
  struct case_t {
    const char* target;
    std::optional<std::string> eio, transport, sid;
    bool b64;
  } cases[] = {
      {"/socket.io/?EIO=4&transport=polling", "4", "polling", std::nullopt, false},
      {"/socket.io/?EIO=3&transport=websocket&sid=ab%2Fc&b64=1", "3", "websocket", "ab/c", true},
      {"/socket.io/?b64=true&t=Nx&token=1", std::nullopt, std::nullopt, std::nullopt, true},
      {"/socket.io/?b64=0&EIO=4&EIO=3", "3", std::nullopt, std::nullopt, false},  // last wins
      {"/socket.io/", std::nullopt, std::nullopt, std::nullopt, false},
      {"/socket.io/?sid=", std::nullopt, std::nullopt, "", false},
  };
  for (const auto& c : cases) {
    const auto q = parse_request_query(c.target);
    ASSERT_TRUE(q) << c.target;
    EXPECT_EQ(q->eio, c.eio) << c.target;
    EXPECT_EQ(q->transport, c.transport) << c.target;
    EXPECT_EQ(q->sid, c.sid) << c.target;
    EXPECT_EQ(q->b64, c.b64) << c.target;
  }
}

TEST(EngineioServerQuery, RefusesWhatIsNotAnOriginFormTarget) {
  for (const char* target : {"", "socket.io/?EIO=4", "http://h/socket.io/?EIO=4",
                             "/socket.io/?EIO=%G4", "/socket.io/?EIO=4#x", "/a b"})
    EXPECT_FALSE(parse_request_query(target)) << target;
}

TEST(EngineioServerQuery, PathIsTheTargetBeforeItsQuery) {
  EXPECT_EQ(target_path("/socket.io/?EIO=4"), "/socket.io/");
  EXPECT_EQ(target_path("/socket.io/"), "/socket.io/");
  EXPECT_EQ(target_path("/a?b?c"), "/a");
  EXPECT_EQ(target_path(""), "");
}

}  // namespace
}  // namespace kasocki::engineio
