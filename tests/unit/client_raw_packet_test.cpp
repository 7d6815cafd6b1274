// Unit tests for client/raw_packet.hpp: the allocation-free Socket.IO packet scanner.
#include <gtest/gtest.h>

#include "client/raw_packet.hpp"

namespace kasocki::client {
namespace {

TEST(ClientRawPacket, Headers) {
  struct row {
    const char* text;
    char type;
    const char* nsp;
    std::optional<std::uint64_t> id;
    std::size_t attachments;
    const char* payload;
  };
  const row rows[] = {
      {"2[\"a\"]", '2', "/", std::nullopt, 0, "[\"a\"]"},
      {"212[\"a\"]", '2', "/", 12, 0, "[\"a\"]"},
      {"2/chat,7[\"a\"]", '2', "/chat", 7, 0, "[\"a\"]"},
      {"0/custom", '0', "/custom", std::nullopt, 0, ""},
      {"40/custom,{\"token\":\"x\"}" + 1, '0', "/custom", std::nullopt, 0, "{\"token\":\"x\"}"},
      {"1", '1', "/", std::nullopt, 0, ""},
      {"51-[\"b\",{\"_placeholder\":true,\"num\":0}]", '5', "/", std::nullopt, 1,
       "[\"b\",{\"_placeholder\":true,\"num\":0}]"},
      {"62-/x,3[1]", '6', "/x", 3, 2, "[1]"},
      {"30[null,{\"a\":1}]", '3', "/", 0, 0, "[null,{\"a\":1}]"},
  };
  for (const auto& r : rows) {
    auto h = scan_header(r.text);
    ASSERT_TRUE(h) << r.text;
    EXPECT_EQ(h->type, r.type) << r.text;
    EXPECT_EQ(h->nsp, r.nsp) << r.text;
    EXPECT_EQ(h->id, r.id) << r.text;
    EXPECT_EQ(h->attachments, r.attachments) << r.text;
    EXPECT_EQ(h->payload, r.payload) << r.text;
  }
}

TEST(ClientRawPacket, BadHeaders) {
  for (const char* bad : {"", "7", "x", "5[1]", "5x-[1]", "299999999999999999999[1]"}) {
    EXPECT_FALSE(scan_header(bad)) << bad;
  }
}

TEST(ClientRawPacket, Events) {
  auto ev = scan_event(R"(["message",{"a":"x,]"},2])");
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->name, "message");
  EXPECT_EQ(ev->args, R"({"a":"x,]"},2)");
  ev = scan_event(R"([ "ready" ])");
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->name, "ready");
  EXPECT_EQ(ev->args, "");
  EXPECT_FALSE(scan_event(R"(["a\"b",1])"));  // escaped names go through the full decoder
  EXPECT_FALSE(scan_event(R"([1,2])"));
  EXPECT_FALSE(scan_event(R"({"a":1})"));
  EXPECT_FALSE(scan_event(R"(["a" 1])"));
  EXPECT_FALSE(scan_event(R"(["a",])"));
}

TEST(ClientRawPacket, ArrayItems) {
  EXPECT_EQ(array_items("[null,{\"a\":1}]"), "null,{\"a\":1}");
  EXPECT_EQ(array_items(" [ ] "), "");
  EXPECT_FALSE(array_items("null"));
}

TEST(ClientRawPacket, SplitFirstValue) {
  auto parts = split_first_value(R"(null,{"a":[1,"]"],"b":"\"{"})");
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->first, "null");
  EXPECT_EQ(parts->second, R"({"a":[1,"]"],"b":"\"{"})");
  parts = split_first_value(R"({"name":"E","x":[1,2]} , 5)");
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->first, R"({"name":"E","x":[1,2]})");
  EXPECT_EQ(parts->second, "5");
  parts = split_first_value("\"only\"");
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->first, "\"only\"");
  EXPECT_EQ(parts->second, "");
  EXPECT_FALSE(split_first_value(""));
  EXPECT_FALSE(split_first_value("{\"a\":1"));
  EXPECT_FALSE(split_first_value("\"open"));
  EXPECT_FALSE(split_first_value("1 2"));
  EXPECT_FALSE(split_first_value("1,"));
  EXPECT_FALSE(split_first_value("]"));
}

TEST(ClientRawPacket, SkipJsonValue) {
  EXPECT_EQ(skip_json_value("  123,4", 0), 5u);
  EXPECT_EQ(skip_json_value("[[],{}]x", 0), 7u);
  EXPECT_EQ(skip_json_value("\"a\\\\\"b", 0), 5u);
  EXPECT_FALSE(skip_json_value("   ", 0));
}

}  // namespace
}  // namespace kasocki::client
