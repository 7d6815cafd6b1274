// Unit tests for the Socket.IO v5 encoder: exact texts, key order, invalid UTF-8, binary
// placeholders (deconstruct on encode, reconstruct after decode) and round trips.
#include <gtest/gtest.h>

#include "libkasocki/socketio/packet.hpp"

namespace {
using namespace kasocki::socketio;
using namespace std::string_literals;

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
json bytes(std::string s) {
  return json::binary(json::binary_t::container_type(s.begin(), s.end()));
}

TEST(SocketioEncode, ExactText) {
  struct {
    packet p;
    std::string text;
  } cases[] = {
      {make(packet_type::connect, "/", {}, {}), "0"},
      {make(packet_type::connect, "/", {}, j(R"({"sid":"abc"})")), R"(0{"sid":"abc"})"},
      {make(packet_type::connect, "/custom", {}, j(R"({"sid":"abc"})")),
       R"(0/custom,{"sid":"abc"})"},
      {make(packet_type::connect, "", {}, {}), "0"},  // empty is the main namespace too
      {make(packet_type::disconnect, "/", {}, {}), "1"},
      {make(packet_type::disconnect, "/custom", {}, {}), "1/custom,"},
      {make(packet_type::event, "/", {}, j(R"(["message-back","h\u00e9llo"])")),
       "2[\"message-back\",\"h\xc3\xa9llo\"]"},  // UTF-8 as is, not \u escapes
      {make(packet_type::event, "/", 12, j(R"(["message-with-ack",1,"2",{"3":[4.5,null,true]}])")),
       R"(212["message-with-ack",1,"2",{"3":[4.5,null,true]}])"},
      {make(packet_type::event, "/custom", 0, j(R"(["a"])")), R"(2/custom,0["a"])"},
      {make(packet_type::ack, "/", 7, j("[]")), "37[]"},
      {make(packet_type::ack, "/custom", 7, j(R"([{"z":1,"a":2}])")),
       R"(3/custom,7[{"z":1,"a":2}])"},
      {make(packet_type::connect_error, "/nsp", {}, j(R"({"message":"Invalid namespace"})")),
       R"(4/nsp,{"message":"Invalid namespace"})"},
      {make(packet_type::connect_error, "/", {}, json("Not authorized")), R"(4"Not authorized")"},
      // Already deconstructed binary packets keep their type and count.
      {make(packet_type::binary_event, "/", {}, j(R"(["a",{"_placeholder":true,"num":0}])"), 1),
       R"(51-["a",{"_placeholder":true,"num":0}])"},
      {make(packet_type::binary_ack, "/x", 3, j("[]"), 2), R"(62-/x,3[])"},
  };
  for (const auto& c : cases) {
    const auto e = encode_packet(c.p);
    EXPECT_EQ(e.text, c.text);
    EXPECT_TRUE(e.attachments.empty());
  }
}

TEST(SocketioEncode, KeepsKeyOrder) {
  json data = json::array({"message"});
  json obj = json::object();
  obj["zeta"] = 1;
  obj["alpha"] = 2;
  obj["mid"] = json::object({{"y", 1}, {"b", 2}});
  data.push_back(obj);
  EXPECT_EQ(encode_packet(make(packet_type::event, "/", {}, data)).text,
            R"(2["message",{"zeta":1,"alpha":2,"mid":{"y":1,"b":2}}])");
  // And so does a decode/encode round trip.
  const std::string text = R"(2["m",{"b":1,"a":{"d":2,"c":3}}])";
  EXPECT_EQ(encode_packet(*decode_packet(text)).text, text);
}

TEST(SocketioEncode, InvalidUtf8IsReplacedNotThrown) {
  const json data = json::array({"message",
                                 "a\xff"
                                 "b\xc3"});
  std::string text;
  EXPECT_NO_THROW(text = encode_packet(make(packet_type::event, "/", {}, data)).text);
  EXPECT_EQ(text,
            "2[\"message\",\"a\xef\xbf\xbd"
            "b\xef\xbf\xbd\"]");
  EXPECT_TRUE(decode_packet(text).has_value());
}

TEST(SocketioBinary, EncodeReplacesBinaryDepthFirst) {
  json data = json::array({"upload", bytes("\x00\x01"s),
                           json::array({bytes("B"), json::object({{"k", bytes("C")}})}),
                           json::object({{"z", bytes("D")}, {"a", "text"}})});
  const auto e = encode_packet(make(packet_type::event, "/custom", 4, data));
  EXPECT_EQ(
      e.text,
      R"(54-/custom,4["upload",{"_placeholder":true,"num":0},[{"_placeholder":true,"num":1},)"
      R"({"k":{"_placeholder":true,"num":2}}],{"z":{"_placeholder":true,"num":3},"a":"text"}])");
  EXPECT_EQ(e.attachments, (std::vector<std::string>{"\x00\x01"s, "B", "C", "D"}));

  // Decode the text, put the attachments back: the original data again.
  auto p = decode_packet(e.text);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->type, packet_type::binary_event);
  EXPECT_EQ(p->attachments, 4u);
  EXPECT_EQ(p->id, 4u);
  EXPECT_EQ(p->nsp, "/custom");
  auto attachments = e.attachments;
  ASSERT_TRUE(reconstruct(*p->data, attachments));
  EXPECT_EQ(*p->data, data);
}

TEST(SocketioBinary, AckBecomesBinaryAck) {
  const auto e = encode_packet(make(packet_type::ack, "/", 9, json::array({bytes("x"), 1})));
  EXPECT_EQ(e.text, R"(61-9[{"_placeholder":true,"num":0},1])");
  EXPECT_EQ(e.attachments, std::vector<std::string>{"x"});
  // A binary type that really carries binary gets the actual count.
  const auto e2 =
      encode_packet(make(packet_type::binary_ack, "/", 9, json::array({bytes("x"), bytes("")}), 7));
  EXPECT_EQ(e2.text, R"(62-9[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
  EXPECT_EQ(e2.attachments, (std::vector<std::string>{"x", ""}));
}

TEST(SocketioBinary, ReconstructAcceptsValidPlaceholders) {
  std::vector<std::string> att = {"zero", "one"};
  json data = j(R"(["a",{"_placeholder":true,"num":1},{"_placeholder":true,"num":1.0},
                    {"k":[{"num":0,"_placeholder":true}]},{"_placeholder":false,"num":0}])");
  ASSERT_TRUE(reconstruct(data, att));
  EXPECT_EQ(data, (json::array({"a", bytes("one"), bytes("one"),
                                json::object({{"k", json::array({bytes("zero")})}}),
                                j(R"({"_placeholder":false,"num":0})")})));
  json none = j(R"(["a",1])");
  std::vector<std::string> empty;
  EXPECT_TRUE(reconstruct(none, empty));
  EXPECT_EQ(none, j(R"(["a",1])"));
}

TEST(SocketioBinary, ReconstructRejectsMalformedPlaceholders) {
  for (const char* text : {
           R"([{"_placeholder":true,"num":2}])",    // out of range
           R"([{"_placeholder":true,"num":-1}])",   //
           R"([{"_placeholder":true}])",            // no num
           R"([{"_placeholder":true,"num":"0"}])",  //
           R"([{"_placeholder":true,"num":0.5}])",  //
           R"([{"_placeholder":true,"num":null}])",
           R"({"a":[1,{"_placeholder":true,"num":99}]})",
           R"({"_placeholder":true,"num":1e300})",
       }) {
    std::vector<std::string> att = {"zero", "one"};
    json data = j(text);
    EXPECT_FALSE(reconstruct(data, att)) << text;
  }
}

// Every valid text decodes, encodes back to itself (these are already canonical), and decodes
// to the same packet again.
TEST(SocketioRoundTrip, CanonicalTexts) {
  for (const char* text : {
           "0",
           "0{}",
           R"(0{"token":"x"})",
           "0/custom,",
           R"(0/custom,{"token":"x"})",
           "1",
           "1/custom,",
           R"(2["message"])",
           R"(2["message",1,"two",{"3":[4]},null,true,-1.5])",
           R"(212["message-with-ack",1])",
           R"(2/custom,7["a"])",
           "3[]",
           R"(30[])",
           R"(3/custom,5[1])",
           "4",
           R"(4{"message":"Invalid namespace"})",
           R"(4"x")",
           R"(51-["a",{"_placeholder":true,"num":0}])",
           R"(52-/custom,3["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])",
           R"(61-4[{"_placeholder":true,"num":0}])",
           "2[\"h\xc3\xa9llo \xf0\x9f\x98\x80\"]",
           R"(2["\"quoted\" \\ \n"])",
           R"(2["big",18446744073709551615,-9223372036854775808,1e+300])",
       }) {
    const auto p = decode_packet(text);
    ASSERT_TRUE(p.has_value()) << text;
    const auto e = encode_packet(*p);
    EXPECT_EQ(e.text, text);
    EXPECT_EQ(decode_packet(e.text), p) << text;
  }
}

// Non-canonical texts still round-trip to the same packet.
TEST(SocketioRoundTrip, NonCanonicalTexts) {
  struct {
    const char* text;
    const char* canonical;
  } cases[] = {
      {"0/custom", "0/custom,"},
      {"1/custom", "1/custom,"},
      {R"(2 [ "a" , 1 ] )", R"(2["a",1])"},
      {R"(2007["a"])", R"(27["a"])"},
      {R"(2/,["a"])", R"(2["a"])"},
      {R"(2["a",{"k":1,"k":2}])", R"(2["a",{"k":2}])"},
      {R"(2["\u00e9"])", "2[\"\xc3\xa9\"]"},
      {R"(2["a",1E2])", R"(2["a",100.0])"},
  };
  for (const auto& c : cases) {
    const auto p = decode_packet(c.text);
    ASSERT_TRUE(p.has_value()) << c.text;
    const auto e = encode_packet(*p);
    EXPECT_EQ(e.text, c.canonical) << c.text;
    EXPECT_EQ(decode_packet(e.text), p) << c.text;
  }
}

TEST(SocketioRoundTrip, PacketsBuiltInCode) {
  const packet cases[] = {
      make(packet_type::connect, "/", {}, json::object()),
      make(packet_type::event, "/a-b_c.d", 123456789,
           json::array({"ev", json::object({{"k", "v"}})})),
      make(packet_type::ack, "/", 0, json::array()),
      make(packet_type::connect_error, "/z", {}, json("reason")),
      make(packet_type::disconnect, "/z", {}, {}),
      make(packet_type::binary_event, "/", 1, json::array({"ev"}), 3),
  };
  for (const auto& p : cases) {
    const auto e = encode_packet(p);
    EXPECT_EQ(decode_packet(e.text), p) << e.text;
  }
}

// The head of a pre-encoded event is what encode_packet writes before the arguments, so a
// shared body framed by it decodes as that event, in any namespace.
TEST(SocketioEncode, EventHeadIsTheEncodedPacketUpToItsArguments) {
  struct case_t {
    std::string nsp, event, head;
  } cases[] = {
      {"/", "message", R"(2["message",)"},
      {"", "message", R"(2["message",)"},
      {"/admin", "message", R"(2/admin,["message",)"},
      {"/", "a\"b\\c\n\x01", R"(2["a\"b\\c\n\u0001",)"},
  };
  for (const auto& c : cases) {
    const auto head = event_head(c.nsp, c.event);
    EXPECT_EQ(head, c.head);
    const auto args = json::parse(R"({"k":[1,"x"]})");
    const auto full = encode_packet(
        make(packet_type::event, c.nsp.empty() ? "/" : c.nsp, {}, json::array({c.event, args})));
    EXPECT_EQ(head + args.dump() + "]", full.text);
    const auto decoded = decode_packet(head + args.dump() + "]");
    ASSERT_TRUE(decoded) << head;
    EXPECT_EQ((*decoded->data)[0], c.event);
  }
}

}  // namespace
