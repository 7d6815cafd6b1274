// Unit tests of the socket.io 2.x auth-from-query parser (query_auth.hpp).
#include <gtest/gtest.h>

#include "libkasocki/socketio/query_auth.hpp"

namespace kasocki::socketio {
namespace {

TEST(SocketioQueryAuth, ParametersWithoutEngineIosOwn) {
  struct case_t {
    const char* input;
    const char* auth;  // JSON
  } cases[] = {
      {"/socket.io/?EIO=3&transport=polling&token=abc", R"({"token":"abc"})"},
      {"/socket.io/?EIO=3&transport=websocket&sid=x&b64=1&t=Nq2&a=1&b=2", R"({"a":"1","b":"2"})"},
      {"?a=1&b=2", R"({"a":"1","b":"2"})"},
      {"a=1&b=2", R"({"a":"1","b":"2"})"},
      {"/socket.io/", "{}"},  // no query at all
      {"", "{}"},
      {"?", "{}"},
      {"?&a=1&&=x&b=2&", R"({"a":"1","b":"2"})"},           // empty keys are no parameters
      {"?a=%C3%A9%20x&k%3D=v", R"({"a":"é x","k=":"v"})"},  // percent-decoded
      {"?a=1&a=2", R"({"a":"2"})"},                         // the last one wins
      {"?flag", R"({"flag":""})"},                          // a key without a value
      {"?a=%ZZ", "{}"},                                     // not URL syntax
      {"?a=1#frag", "{}"},                                  // not a request target's query
  };
  for (const auto& c : cases) EXPECT_EQ(query_auth(c.input), json::parse(c.auth)) << c.input;
}

TEST(SocketioQueryAuth, ValuesAreAlwaysStrings) {
  const auto auth = query_auth("?n=1&t2=true");
  ASSERT_TRUE(auth.is_object());
  for (const auto& [key, value] : auth.items()) EXPECT_TRUE(value.is_string()) << key;
}

}  // namespace
}  // namespace kasocki::socketio
