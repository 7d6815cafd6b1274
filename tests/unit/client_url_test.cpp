// Unit tests for client/url.hpp: URL parsing and Engine.IO request targets.
#include <gtest/gtest.h>

#include "client/url.hpp"

namespace kasocki::client {
namespace {

TEST(ClientUrl, HostPortDefaultsToSocketIoPath) {
  auto ep = parse_url("http://localhost:6927");
  ASSERT_TRUE(ep);
  EXPECT_EQ(ep->host, "localhost");
  EXPECT_EQ(ep->port, "6927");
  EXPECT_EQ(ep->path, "/socket.io/");
  EXPECT_EQ(ep->query, "");
  EXPECT_FALSE(ep->secure);
}

TEST(ClientUrl, DefaultPortsAndSchemes) {
  EXPECT_EQ(parse_url("http://example.org")->port, "80");
  EXPECT_EQ(parse_url("ws://example.org/")->port, "80");
  auto secure = parse_url("https://example.org");
  ASSERT_TRUE(secure);
  EXPECT_EQ(secure->port, "443");
  EXPECT_TRUE(secure->secure);
  EXPECT_TRUE(parse_url("wss://example.org:8443")->secure);
}

TEST(ClientUrl, PathIsTheEngineIoPathWithTrailingSlash) {
  EXPECT_EQ(parse_url("http://h:1/engine.io/")->path, "/engine.io/");
  EXPECT_EQ(parse_url("http://h:1/engine.io")->path, "/engine.io/");
  EXPECT_EQ(parse_url("http://h:1/", "/custom/")->path, "/custom/");
}

TEST(ClientUrl, QueryIsKept) {
  auto ep = parse_url("http://h:1/socket.io/?token=abc&x=1");
  ASSERT_TRUE(ep);
  EXPECT_EQ(ep->query, "token=abc&x=1");
  EXPECT_EQ(request_target(*ep, "polling", "s1"),
            "/socket.io/?EIO=4&transport=polling&sid=s1&token=abc&x=1");
}

TEST(ClientUrl, Ipv6Host) {
  auto ep = parse_url("http://[::1]:6927");
  ASSERT_TRUE(ep);
  EXPECT_EQ(ep->host, "::1");
  EXPECT_EQ(host_header(*ep), "[::1]:6927");
}

TEST(ClientUrl, InvalidSaysWhy) {
  const struct {
    const char* url;
    url_errc error;
  } refused[] = {
      {"", url_errc::not_a_url},
      {"not a url", url_errc::not_a_url},
      {"ftp://h:1", url_errc::unsupported_scheme},
      {"localhost:6927", url_errc::unsupported_scheme},  // "localhost" read as the scheme
      {"http://", url_errc::no_host},
      {"http:/h", url_errc::no_host},
      {"http://h:0", url_errc::bad_port},
      {"http://h:", url_errc::bad_port},
      {"http://h:x", url_errc::bad_port},
  };
  for (const auto& r : refused) {
    const auto ep = parse_url(r.url);
    ASSERT_FALSE(ep) << r.url;
    EXPECT_EQ(ep.error(), r.error) << r.url << ": " << describe(ep.error());
  }
}

TEST(ClientUrl, RequestTargets) {
  auto ep = *parse_url("http://h:1");
  EXPECT_EQ(request_target(ep, "websocket", ""), "/socket.io/?EIO=4&transport=websocket");
  EXPECT_EQ(request_target(ep, "websocket", "a-b_c"),
            "/socket.io/?EIO=4&transport=websocket&sid=a-b_c");
  EXPECT_EQ(request_target(ep, "polling", "a+b/c="),
            "/socket.io/?EIO=4&transport=polling&sid=a%2Bb%2Fc%3D");
}

TEST(ClientUrl, HostHeaderOmitsDefaultPort) {
  EXPECT_EQ(host_header(*parse_url("http://h")), "h");
  EXPECT_EQ(host_header(*parse_url("http://h:80")), "h");
  EXPECT_EQ(host_header(*parse_url("http://h:8080")), "h:8080");
}

}  // namespace
}  // namespace kasocki::client
