// Unit tests for client/raw_packet.hpp: the allocation-free Socket.IO packet scanner.
#include <gtest/gtest.h>

#include "client/raw_packet.hpp"

namespace kasocki::client {
namespace {

// The error kind, or nullopt when the call succeeded: an unexpected success fails the
// comparison instead of reading an error that is not there.
template <class R>
auto error_of(const R& r) -> std::optional<std::decay_t<decltype(r.error())>> {
  if (r) return std::nullopt;
  return r.error();
}

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
      {"0/custom,{\"token\":\"x\"}", '0', "/custom", std::nullopt, 0, "{\"token\":\"x\"}"},
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

TEST(ClientRawPacket, BadHeadersSayWhy) {
  const struct {
    const char* text;
    raw_errc error;
  } rows[] = {
      {"", raw_errc::bad_type},
      {"7", raw_errc::bad_type},
      {"x", raw_errc::bad_type},
      {"5[1]", raw_errc::bad_attachments},
      {"5x-[1]", raw_errc::bad_attachments},
      {"51[1]", raw_errc::bad_attachments},
      {"299999999999999999999[1]", raw_errc::bad_ack_id},
  };
  for (const auto& r : rows) EXPECT_EQ(error_of(scan_header(r.text)), r.error) << r.text;
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
  const struct {
    const char* payload;
    raw_errc error;
  } refused[] = {
      {R"(["a\"b",1])", raw_errc::no_plain_name},  // escaped names go through the full decoder
      {R"([1,2])", raw_errc::no_plain_name},      {R"([])", raw_errc::no_plain_name},
      {R"({"a":1})", raw_errc::not_an_array},     {R"(["a)", raw_errc::not_an_array},
      {R"(["a])", raw_errc::unbalanced},          {R"(["a" 1])", raw_errc::missing_comma},
      {R"(["a",])", raw_errc::missing_value},
  };
  for (const auto& r : refused) EXPECT_EQ(error_of(scan_event(r.payload)), r.error) << r.payload;
}

TEST(ClientRawPacket, ArrayItems) {
  EXPECT_EQ(array_items("[null,{\"a\":1}]").value_or("error"), "null,{\"a\":1}");
  EXPECT_EQ(array_items(" [ ] ").value_or("error"), "");
  EXPECT_EQ(error_of(array_items("null")), raw_errc::not_an_array);
  EXPECT_EQ(error_of(array_items("[1")), raw_errc::not_an_array);
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
  const struct {
    const char* items;
    raw_errc error;
  } refused[] = {
      {"", raw_errc::missing_value},      {" ", raw_errc::missing_value},
      {",1", raw_errc::missing_value},    {"1,", raw_errc::missing_value},
      {"{\"a\":1", raw_errc::unbalanced}, {"\"open", raw_errc::unbalanced},
      {"]", raw_errc::unbalanced},        {"1 2", raw_errc::missing_comma},
      {"[1]{}", raw_errc::missing_comma},
  };
  for (const auto& r : refused) EXPECT_EQ(error_of(split_first_value(r.items)), r.error) << r.items;
}

TEST(ClientRawPacket, SkipJsonValue) {
  EXPECT_EQ(skip_json_value("  123,4", 0), 5u);
  EXPECT_EQ(skip_json_value("[[],{}]x", 0), 7u);
  EXPECT_EQ(skip_json_value("\"a\\\\\"b", 0), 5u);
  EXPECT_FALSE(skip_json_value("   ", 0));
}

}  // namespace
}  // namespace kasocki::client

TEST(RawPacket, WithoutRecoveryCursor) {
  using kasocki::client::without_recovery_cursor;
  EXPECT_EQ(without_recovery_cursor(R"({"a":1},"AQID-_x")"), R"({"a":1})");
  EXPECT_EQ(without_recovery_cursor(R"({"a":1})"), R"({"a":1})");
  EXPECT_EQ(without_recovery_cursor(R"({"a":"b"})"), R"({"a":"b"})");
  EXPECT_EQ(without_recovery_cursor(R"("x y")"), R"("x y")");
  EXPECT_EQ(without_recovery_cursor(R"({"a":1},"not a cursor")"), R"({"a":1},"not a cursor")");
  EXPECT_EQ(without_recovery_cursor(R"(")"), R"(")");
  EXPECT_EQ(without_recovery_cursor(""), "");
}
