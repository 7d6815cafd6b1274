// Unit tests of the admission limits: client address resolution behind trusted proxies, the
// per-address and total session limits, the new-session rate, and ticket release.
#include "libkasocki/http/limits.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>

namespace kasocki::http {
namespace {

namespace ip = boost::asio::ip;
using namespace std::chrono_literals;

ip::address addr(const char* text) {
  return ip::make_address(text);
}

proxy_set proxies(std::vector<std::string> entries) {
  auto parsed = proxy_set::parse(entries);
  EXPECT_TRUE(parsed.has_value());
  return parsed ? *parsed : proxy_set();
}

TEST(ProxySet, ParsesAddressesAndNetworks) {
  auto set = proxies({"10.0.0.0/8", "192.168.1.7", "fd00::/8", " ::1 "});
  EXPECT_TRUE(set.contains(addr("10.1.2.3")));
  EXPECT_FALSE(set.contains(addr("11.0.0.1")));
  EXPECT_TRUE(set.contains(addr("192.168.1.7")));
  EXPECT_FALSE(set.contains(addr("192.168.1.8")));
  EXPECT_TRUE(set.contains(addr("fd12::1")));
  EXPECT_FALSE(set.contains(addr("fe80::1")));
  EXPECT_TRUE(set.contains(addr("::1")));
  EXPECT_TRUE(set.contains(addr("::ffff:10.9.9.9")));  // v4-mapped counts as IPv4
}

TEST(ProxySet, RefusesBadEntriesNamingThem) {
  for (const char* bad : {"nonsense", "10.0.0.0/33", "10.0.0.0/x", "::/129", ""}) {
    auto parsed = proxy_set::parse({bad});
    ASSERT_FALSE(parsed.has_value()) << bad;
    EXPECT_NE(parsed.error().find(std::string("'") + bad + "'"), std::string::npos);
  }
}

TEST(ClientAddress, IgnoresTheHeaderWithoutTrustedProxies) {
  EXPECT_EQ(client_address(addr("1.2.3.4"), "9.9.9.9", proxy_set{}), addr("1.2.3.4"));
}

TEST(ClientAddress, IgnoresTheHeaderFromAnUntrustedPeer) {
  auto trusted = proxies({"10.0.0.1"});
  EXPECT_EQ(client_address(addr("1.2.3.4"), "9.9.9.9", trusted), addr("1.2.3.4"));
}

TEST(ClientAddress, TakesTheRightmostUntrustedHop) {
  auto trusted = proxies({"10.0.0.0/8"});
  // The client wrote "6.6.6.6" itself; the proxy chain appended the real client and a hop.
  EXPECT_EQ(client_address(addr("10.0.0.1"), "6.6.6.6, 5.5.5.5,10.0.0.2", trusted),
            addr("5.5.5.5"));
  EXPECT_EQ(client_address(addr("10.0.0.1"), "5.5.5.5", trusted), addr("5.5.5.5"));
  // A malformed hop stops the walk at the last trusted one.
  EXPECT_EQ(client_address(addr("10.0.0.1"), "5.5.5.5, garbage", trusted), addr("10.0.0.1"));
  EXPECT_EQ(client_address(addr("10.0.0.1"), "", trusted), addr("10.0.0.1"));
  EXPECT_EQ(client_address(addr("::ffff:10.0.0.1"), "::ffff:5.5.5.5", trusted), addr("5.5.5.5"));
}

admission_limits no_rate(std::size_t total, std::size_t per_ip) {
  admission_limits l;
  l.max_connections = total;
  l.max_connections_per_ip = per_ip;
  l.new_sessions_per_ip_per_second = 0;
  return l;
}

TEST(AdmissionControl, LimitsSessionsPerAddressAndReleasesOnTicketDrop) {
  admission_control control(no_rate(100, 2));
  auto a = control.admit(addr("1.1.1.1"));
  auto b = control.admit(addr("1.1.1.1"));
  ASSERT_TRUE(a.has_value());
  ASSERT_TRUE(b.has_value());
  auto c = control.admit(addr("::ffff:1.1.1.1"));  // the same client over IPv6
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().limit, "max-connections-per-ip");
  auto body = nlohmann::json::parse(c.error().body());
  EXPECT_EQ(body["limit"], "max-connections-per-ip");
  EXPECT_EQ(body["max"], 2);
  EXPECT_NE(body["message"].get<std::string>().find("max-connections-per-ip = 2"),
            std::string::npos);
  EXPECT_TRUE(control.admit(addr("2.2.2.2")).has_value());
  EXPECT_EQ(control.open_sessions(addr("1.1.1.1")), 2u);
  a = admission_control::ticket();  // one session ended
  EXPECT_EQ(control.open_sessions(addr("1.1.1.1")), 1u);
  EXPECT_TRUE(control.admit(addr("1.1.1.1")).has_value());
  EXPECT_EQ(control.counters().refused_per_ip, 1u);
}

TEST(AdmissionControl, LimitsSessionsInTotal) {
  admission_control control(no_rate(2, 0));
  std::vector<admission_control::ticket> held;
  for (const char* a : {"1.0.0.1", "1.0.0.2"}) {
    auto r = control.admit(addr(a));
    ASSERT_TRUE(r.has_value());
    held.push_back(*r);
  }
  auto refused = control.admit(addr("1.0.0.3"));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().limit, "max-connections");
  held.pop_back();
  EXPECT_TRUE(control.admit(addr("1.0.0.3")).has_value());
  EXPECT_EQ(control.counters().refused_max_connections, 1u);
}

TEST(AdmissionControl, LimitsTheNewSessionRatePerAddress) {
  admission_limits limits = no_rate(0, 0);
  limits.new_sessions_per_ip_per_second = 2;
  limits.new_sessions_burst = 3;
  admission_control control(limits);
  const auto t0 = admission_control::clock::time_point{} + 1h;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(control.admit(addr("7.7.7.7"), t0).has_value());
  auto refused = control.admit(addr("7.7.7.7"), t0);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().limit, "new-sessions-per-ip-per-second");
  // Another address has its own bucket.
  EXPECT_TRUE(control.admit(addr("8.8.8.8"), t0).has_value());
  // Half a second later one token is back (2/s), not two.
  EXPECT_TRUE(control.admit(addr("7.7.7.7"), t0 + 500ms).has_value());
  EXPECT_FALSE(control.admit(addr("7.7.7.7"), t0 + 500ms).has_value());
  EXPECT_EQ(control.counters().refused_rate, 2u);
}

TEST(AdmissionControl, PrunesAddressesThatHoldNothing) {
  admission_limits limits = no_rate(0, 0);
  limits.new_sessions_per_ip_per_second = 1000;
  admission_control control(limits);
  const auto t0 = admission_control::clock::time_point{} + 1h;
  for (std::uint32_t i = 0; i < 5000; ++i) {
    auto r = control.admit(ip::address_v4(0x0a000000 + i), t0 + std::chrono::seconds(i));
    ASSERT_TRUE(r.has_value());
  }  // each ticket is dropped at once
  EXPECT_LT(control.tracked_addresses(), 2100u);
}

TEST(AdmissionControl, TicketsOutliveTheControl) {
  // A session may end after the server: its ticket then gives its place back to the state it
  // shares with the control. A copy of the control shares that state too and shows the count.
  auto control = std::make_unique<admission_control>(no_rate(1, 1));
  const admission_control observer = *control;
  auto held = *control->admit(addr("1.1.1.1"));
  control.reset();
  EXPECT_EQ(observer.open_sessions(), 1u);
  EXPECT_EQ(observer.open_sessions(addr("1.1.1.1")), 1u);
  held.reset();
  EXPECT_EQ(observer.open_sessions(), 0u);
  EXPECT_EQ(observer.open_sessions(addr("1.1.1.1")), 0u);

  // The last owner of the state is the ticket: releasing it must not touch freed memory
  // (the sanitizer build checks that), and the ticket is still one until then.
  admission_control::ticket last;
  {
    admission_control alone(no_rate(1, 1));
    last = *alone.admit(addr("2.2.2.2"));
  }
  EXPECT_NE(last.get(), nullptr);
  EXPECT_EQ(last.use_count(), 1);
  last.reset();
  EXPECT_EQ(last, nullptr);
}

TEST(AdmissionControl, CreateRefusesABadProxy) {
  admission_limits limits;
  limits.trusted_proxies = {"10.0.0.0/8", "bogus"};
  auto made = admission_control::create(limits);
  ASSERT_FALSE(made.has_value());
  EXPECT_NE(made.error().find("bogus"), std::string::npos);
}

TEST(AdmissionControl, LimitsOpenSocketsPerAddressApartFromSessions) {
  admission_limits limits;
  limits.max_sockets_per_ip = 2;
  limits.max_connections_per_ip = 1;
  admission_control control(limits);
  auto a = control.admit_socket(addr("1.1.1.1"));
  auto b = control.admit_socket(addr("::ffff:1.1.1.1"));  // the same address over IPv6
  ASSERT_TRUE(a.has_value() && b.has_value());
  auto c = control.admit_socket(addr("1.1.1.1"));
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().limit, "max-sockets-per-ip");
  auto body = nlohmann::json::parse(c.error().body());
  EXPECT_EQ(body["limit"], "max-sockets-per-ip");
  EXPECT_EQ(body["max"], 2);
  EXPECT_TRUE(control.admit_socket(addr("2.2.2.2")).has_value());  // another address
  EXPECT_TRUE(control.admit(addr("1.1.1.1")).has_value());         // sessions count on their own
  EXPECT_EQ(control.open_sockets(addr("1.1.1.1")), 2u);
  b = admission_control::ticket();  // one socket closed
  EXPECT_EQ(control.open_sockets(addr("1.1.1.1")), 1u);
  EXPECT_TRUE(control.admit_socket(addr("1.1.1.1")).has_value());
  EXPECT_EQ(control.counters().refused_sockets_per_ip, 1u);
}

TEST(AdmissionControl, NoSocketLimitAtZero) {
  admission_limits limits;
  limits.max_sockets_per_ip = 0;
  admission_control control(limits);
  std::vector<admission_control::ticket> held;
  for (int i = 0; i < 1000; ++i) {
    auto t = control.admit_socket(addr("3.3.3.3"));
    ASSERT_TRUE(t.has_value());
    held.push_back(*t);
  }
}

TEST(SocketAdmission, ATrustedProxysSocketsAreNotCounted) {
  admission_limits limits;
  limits.max_sockets_per_ip = 1;
  limits.trusted_proxies = {"10.0.0.0/8"};
  admission_control control(limits);
  auto admit = make_socket_admission_handler(control);
  auto p1 = admit(addr("10.1.1.1")), p2 = admit(addr("10.1.1.1"));
  EXPECT_TRUE(p1.ticket && p2.ticket);
  EXPECT_EQ(control.open_sockets(addr("10.1.1.1")), 0u);
  auto d1 = admit(addr("4.4.4.4"));
  ASSERT_TRUE(d1.ticket);
  auto d2 = admit(addr("4.4.4.4"));
  EXPECT_FALSE(d2.ticket);
  EXPECT_EQ(nlohmann::json::parse(d2.body)["limit"], "max-sockets-per-ip");
}

}  // namespace
}  // namespace kasocki::http
