// Unit tests for libkasocki/websocket/handshake.hpp: RFC 6455's accept example, header token
// lists, and every way an upgrade request can be refused.
#include <gtest/gtest.h>

#include "libkasocki/websocket/handshake.hpp"

namespace kasocki::websocket {
namespace {

TEST(Handshake, AcceptKeyRfcExample) {
  // RFC 6455 1.3.
  EXPECT_EQ(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(Handshake, Tokens) {
  EXPECT_TRUE(has_token("Upgrade", "upgrade"));
  EXPECT_TRUE(has_token("keep-alive, Upgrade", "upgrade"));
  EXPECT_TRUE(has_token(" upgrade ,x", "upgrade"));
  EXPECT_FALSE(has_token("upgrades", "upgrade"));
  EXPECT_FALSE(has_token("", "upgrade"));
  EXPECT_TRUE(asks_for_websocket("WebSocket"));
  EXPECT_FALSE(asks_for_websocket("h2c"));
}

TEST(Handshake, CheckUpgrade) {
  const upgrade_request good{"GET", 11, "websocket", "Upgrade", "13", "dGhlIHNhbXBsZSBub25jZQ=="};
  EXPECT_EQ(check_upgrade(good), upgrade_error::none);
  struct row {
    upgrade_request request;
    upgrade_error error;
  };
  auto with = [&](auto change) {
    upgrade_request r = good;
    change(r);
    return r;
  };
  const row rows[] = {
      {with([](auto& r) { r.method = "POST"; }), upgrade_error::not_get},
      {with([](auto& r) { r.http_version = 10; }), upgrade_error::old_http},
      {with([](auto& r) { r.upgrade = "h2c"; }), upgrade_error::no_upgrade_websocket},
      {with([](auto& r) { r.connection = "keep-alive"; }), upgrade_error::no_connection_upgrade},
      {with([](auto& r) { r.connection = ""; }), upgrade_error::no_connection_upgrade},
      {with([](auto& r) { r.version = "8"; }), upgrade_error::bad_version},
      {with([](auto& r) { r.version = ""; }), upgrade_error::bad_version},
      {with([](auto& r) { r.key = ""; }), upgrade_error::bad_key},
      {with([](auto& r) { r.key = "not base64!"; }), upgrade_error::bad_key},
      {with([](auto& r) { r.key = "AAAAAAAAAAAAAAAAAAAA"; }), upgrade_error::bad_key},  // 15 bytes
      {with([](auto& r) { r.key = "AAAAAAAAAAAAAAAAAAAAAAAA"; }), upgrade_error::bad_key},  // 18
  };
  for (const auto& r : rows) EXPECT_EQ(check_upgrade(r.request), r.error) << to_string(r.error);
}

}  // namespace
}  // namespace kasocki::websocket
