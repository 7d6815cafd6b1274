// Unit tests for the Socket.IO v5 packet decoder: every validity rule, table-driven, and the
// exact text of encodings.
#include <gtest/gtest.h>

#include "libkasocki/socketio/packet.hpp"

namespace {
using namespace kasocki::socketio;

// The error kind, or nullopt when the call succeeded: an unexpected success fails the
// comparison instead of reading an error that is not there.
template <class R>
auto error_of(const R& r) -> std::optional<std::decay_t<decltype(r.error())>> {
  if (r) return std::nullopt;
  return r.error();
}

packet make(packet_type type, std::string nsp, std::optional<std::uint64_t> id,
            std::optional<json> data, std::size_t attachments = 0) {
  packet p;
  p.type = type;
  p.nsp = std::move(nsp);
  p.id = id;
  p.data = std::move(data);
  p.attachments = attachments;
  return p;
}

json j(const char* text) {
  return json::parse(text);
}

struct valid_case {
  const char* text;
  packet expected;
};

TEST(SocketioDecode, ValidPackets) {
  const valid_case cases[] = {
      {"0", make(packet_type::connect, "/", {}, {})},
      {"0{}", make(packet_type::connect, "/", {}, j("{}"))},
      {"0{\"token\":\"x\"}", make(packet_type::connect, "/", {}, j(R"({"token":"x"})"))},
      {"0/custom", make(packet_type::connect, "/custom", {}, {})},
      {"0/custom,", make(packet_type::connect, "/custom", {}, {})},
      {"0/custom,{\"token\":\"x\"}",
       make(packet_type::connect, "/custom", {}, j(R"({"token":"x"})"))},
      {"0{\"sid\":\"abc\"}", make(packet_type::connect, "/", {}, j(R"({"sid":"abc"})"))},
      {"1", make(packet_type::disconnect, "/", {}, {})},
      {"1/custom", make(packet_type::disconnect, "/custom", {}, {})},
      {"1/custom,", make(packet_type::disconnect, "/custom", {}, {})},
      {"2[\"message\"]", make(packet_type::event, "/", {}, j(R"(["message"])"))},
      {"2[\"message\",1,\"two\",{\"3\":[4]},null,true]",
       make(packet_type::event, "/", {}, j(R"(["message",1,"two",{"3":[4]},null,true])"))},
      {"212[\"message-with-ack\",1]",
       make(packet_type::event, "/", 12, j(R"(["message-with-ack",1])"))},
      {"2/custom,[\"a\"]", make(packet_type::event, "/custom", {}, j(R"(["a"])"))},
      {"2/custom,7[\"a\"]", make(packet_type::event, "/custom", 7, j(R"(["a"])"))},
      {"2 [\"a\"] ", make(packet_type::event, "/", {}, j(R"(["a"])"))},  // JSON whitespace
      {"2[\"Connect\"]", make(packet_type::event, "/", {}, j(R"(["Connect"])"))},
      {"2[\"\"]", make(packet_type::event, "/", {}, j(R"([""])"))},
      {"3[]", make(packet_type::ack, "/", {}, j("[]"))},
      {"30[]", make(packet_type::ack, "/", 0, j("[]"))},
      {"312[\"a\",{\"b\":1}]", make(packet_type::ack, "/", 12, j(R"(["a",{"b":1}])"))},
      {"3/custom,5[1]", make(packet_type::ack, "/custom", 5, j("[1]"))},
      {"39007199254740991[]", make(packet_type::ack, "/", 9007199254740991ULL, j("[]"))},
      {"4", make(packet_type::connect_error, "/", {}, {})},
      {"4{\"message\":\"Invalid namespace\"}",
       make(packet_type::connect_error, "/", {}, j(R"({"message":"Invalid namespace"})"))},
      {"4/nsp,{\"message\":\"Invalid namespace\"}",
       make(packet_type::connect_error, "/nsp", {}, j(R"({"message":"Invalid namespace"})"))},
      {"01{}", make(packet_type::connect, "/", 1, j("{}"))},  // the reference accepts it too
      {"41", make(packet_type::connect_error, "/", 1, {})},
      {"4\"Not authorized\"", make(packet_type::connect_error, "/", {}, json("Not authorized"))},
      {"51-[\"a\",{\"_placeholder\":true,\"num\":0}]",
       make(packet_type::binary_event, "/", {}, j(R"(["a",{"_placeholder":true,"num":0}])"), 1)},
      {"52-/custom,3[\"a\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]",
       make(packet_type::binary_event, "/custom", 3,
            j(R"(["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])"), 2)},
      {"510-[\"a\"]", make(packet_type::binary_event, "/", {}, j(R"(["a"])"), 10)},
      {"61-4[{\"_placeholder\":true,\"num\":0}]",
       make(packet_type::binary_ack, "/", 4, j(R"([{"_placeholder":true,"num":0}])"), 1)},
      {"61-/custom,4[]", make(packet_type::binary_ack, "/custom", 4, j("[]"), 1)},
  };
  for (const auto& c : cases) {
    const auto p = decode_packet(c.text);
    ASSERT_TRUE(p.has_value()) << c.text;
    EXPECT_EQ(*p, c.expected) << c.text;
  }
}

TEST(SocketioDecode, InvalidPacketsSayWhy) {
  const struct {
    const char* text;
    packet_errc error;
  } cases[] = {
      {"", packet_errc::bad_type},
      {"abc", packet_errc::bad_type},                // unknown type
      {"7", packet_errc::bad_type},                  // type > 6
      {"9[\"a\"]", packet_errc::bad_type},           //
      {"-1", packet_errc::bad_type},                 //
      {"2abc[\"a\"]", packet_errc::bad_json},        // not an ack id, and not JSON
      {"2{}", packet_errc::bad_payload},             // EVENT not an array
      {"2[]", packet_errc::bad_payload},             // EVENT empty array
      {"2", packet_errc::bad_payload},               // EVENT without payload
      {"2/custom,", packet_errc::bad_payload},       // ... also in a namespace
      {"2[1]", packet_errc::bad_payload},            // event name not a string
      {"2[null]", packet_errc::bad_payload},         //
      {"2[[\"a\"]]", packet_errc::bad_payload},      //
      {"2\"a\"", packet_errc::bad_payload},          //
      {"2[\"a\"", packet_errc::bad_json},            // truncated JSON
      {"2[\"a\"]x", packet_errc::bad_json},          // trailing garbage
      {"2[\"a\"][\"b\"]", packet_errc::bad_json},    //
      {"2[\"a\"],", packet_errc::bad_json},          //
      {"2-1[\"a\"]", packet_errc::bad_json},         //
      {"21-[\"a\"]", packet_errc::bad_json},         // attachments on a non-binary type
      {"3", packet_errc::bad_payload},               // ACK without payload
      {"3{}", packet_errc::bad_payload},             // ACK not an array
      {"31\"a\"", packet_errc::bad_payload},         //
      {"3abc[]", packet_errc::bad_json},             //
      {"0[]", packet_errc::bad_payload},             // CONNECT payload not an object
      {"0\"x\"", packet_errc::bad_payload},          //
      {"0null", packet_errc::bad_payload},           //
      {"0/custom,x", packet_errc::bad_json},         //
      {"1{}", packet_errc::bad_payload},             // DISCONNECT with a payload
      {"1/custom,{}", packet_errc::bad_payload},     //
      {"1null", packet_errc::bad_payload},           //
      {"4[]", packet_errc::bad_payload},             // CONNECT_ERROR neither object nor string
      {"4null", packet_errc::bad_payload},           //
      {"5[\"a\"]", packet_errc::bad_attachments},    // binary without attachments
      {"5-[\"a\"]", packet_errc::bad_attachments},   // empty attachments count
      {"50-[\"a\"]", packet_errc::bad_attachments},  // zero attachments
      {"511-[\"a\"]", packet_errc::too_many_attachments},  // above the bound
      {"599999999999999999999999999-[\"a\"]", packet_errc::too_many_attachments},  // no overflow
      {"51[\"a\"]", packet_errc::bad_attachments},                                 // missing '-'
      {"51", packet_errc::bad_attachments},                                        //
      {"51-", packet_errc::bad_payload},                                           // no payload
      {"5a-[\"a\"]", packet_errc::bad_attachments},                                //
      {"51-{}", packet_errc::bad_payload},                                         //
      {"6[]", packet_errc::bad_attachments},                                       //
      {"61-{}", packet_errc::bad_payload},                                         //
      {"61-", packet_errc::bad_payload},                                           //
      {"39007199254740992[]", packet_errc::bad_ack_id},               // ack id above 2^53-1
      {"399999999999999999999999999999[]", packet_errc::bad_ack_id},  // no overflow
      {"2[\"\xff\"]", packet_errc::bad_json},                         // invalid UTF-8 in JSON
  };
  for (const auto& c : cases) {
    const auto p = decode_packet(c.text);
    ASSERT_FALSE(p.has_value()) << c.text;
    EXPECT_EQ(p.error(), c.error) << c.text << ": " << describe(p.error());
  }
  // An embedded NUL after valid JSON is trailing garbage too.
  using namespace std::string_literals;
  EXPECT_EQ(error_of(decode_packet("2[\"a\"]\0"s)), packet_errc::bad_json);
  EXPECT_EQ(error_of(decode_packet("2[\"a\"]\0garbage"s)), packet_errc::bad_json);
  EXPECT_EQ(error_of(decode_packet("2[\"a\0\"]"s)), packet_errc::bad_json);
  EXPECT_EQ(error_of(decode_packet("0\0"s)), packet_errc::bad_json);
}

TEST(SocketioDecode, EveryReservedEventNameIsRejected) {
  for (const char* name : {"connect", "connect_error", "disconnect", "disconnecting", "newListener",
                           "removeListener"}) {
    EXPECT_TRUE(is_reserved_event(name)) << name;
    const std::string quoted = std::string("[\"") + name + "\",1]";
    EXPECT_EQ(error_of(decode_packet("2" + quoted)), packet_errc::reserved_event) << name;
    EXPECT_EQ(error_of(decode_packet("21" + quoted)), packet_errc::reserved_event) << name;
    EXPECT_EQ(error_of(decode_packet("2/custom," + quoted)), packet_errc::reserved_event) << name;
    EXPECT_EQ(error_of(decode_packet("51-" + quoted)), packet_errc::reserved_event) << name;
    // As an argument, or as an ack payload, the names mean nothing.
    EXPECT_TRUE(decode_packet("2[\"message\",\"" + std::string(name) + "\"]").has_value()) << name;
    EXPECT_TRUE(decode_packet("3" + quoted).has_value()) << name;
  }
  for (const char* name : {"message", "Connect", "connect ", "", "newlistener", "error"})
    EXPECT_FALSE(is_reserved_event(name)) << name;
}

TEST(SocketioDecode, LimitsAreConfigurable) {
  EXPECT_TRUE(decode_packet("53-[\"a\"]", {.max_attachments = 3}).has_value());
  EXPECT_EQ(error_of(decode_packet("54-[\"a\"]", {.max_attachments = 3})),
            packet_errc::too_many_attachments);
  EXPECT_TRUE(decode_packet("2[\"a\",[[[1]]]]", {.max_depth = 4}).has_value());
  EXPECT_EQ(error_of(decode_packet("2[\"a\",[[[[1]]]]]", {.max_depth = 4})), packet_errc::too_deep);
  EXPECT_EQ(error_of(decode_packet("2[\"a\",{\"b\":{\"c\":{\"d\":{}}}}]", {.max_depth = 4})),
            packet_errc::too_deep);
  // Brackets inside strings are not nesting.
  EXPECT_TRUE(decode_packet("2[\"a\",\"[[[[[[\\\"[[[[[\"]", {.max_depth = 2}).has_value());
  // Deep nesting is refused by default instead of recursing without bound.
  const std::string deep = "2[\"a\"," + std::string(100000, '[') + std::string(100000, ']') + "]";
  EXPECT_EQ(error_of(decode_packet(deep)), packet_errc::too_deep);
}

}  // namespace
