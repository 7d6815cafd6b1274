// Admission limits of the public endpoint: how many Engine.IO sessions may be open at once (in
// total and per client address), how fast one address may open new ones, and how many sockets
// one address may hold open (whatever they carry: half-sent requests too). The client address
// is the socket's peer, or the X-Forwarded-For client when the peer is a trusted proxy.
// Pure bookkeeping (a clock is passed in), no I/O; event-loop thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "libkasocki/common/result.hpp"
#include "libkasocki/engineio/server.hpp"

namespace kasocki::http {

struct admission_limits {
  std::size_t max_connections = 10'000;     // sessions open at once, all clients; 0 = no limit
  std::size_t max_connections_per_ip = 64;  // sessions open at once per client address; 0 = none
  // Sockets open at once per peer address (a trusted proxy's are not counted); 0 = no limit.
  // Twice the sessions per address: a polling session holds two sockets at times (its long
  // GET and a POST), and one browser opens at most 6 HTTP/1.1 sockets per host plus its
  // websockets, so only a client holding sockets it does not use meets it.
  std::size_t max_sockets_per_ip = 128;
  double new_sessions_per_ip_per_second = 20;  // sustained handshakes per address; 0 = no limit
  std::size_t new_sessions_burst = 40;  // handshakes one address may make at once (bucket size)
  // Peers (addresses or CIDR networks, e.g. "10.0.0.0/8") whose X-Forwarded-For is believed.
  // Empty: the header is ignored and the socket's peer is the client.
  std::vector<std::string> trusted_proxies;
};

// The option names the limits are set with (`kasocki serve --<name>`); answers name them.
namespace limit_name {
inline constexpr std::string_view max_connections = "max-connections";
inline constexpr std::string_view max_connections_per_ip = "max-connections-per-ip";
inline constexpr std::string_view max_sockets_per_ip = "max-sockets-per-ip";
inline constexpr std::string_view new_sessions_per_ip = "new-sessions-per-ip-per-second";
}  // namespace limit_name

// Why a handshake was refused: answered HTTP 429 with body(). `limit` is the option name.
struct refusal {
  std::string limit;
  std::string message;
  double max = 0;
  // {"error":"too many connections","limit":"max-connections-per-ip","max":64,"message":"…"}
  std::string body() const;
};

// A set of trusted proxy addresses and networks.
class proxy_set {
 public:
  // Parses each entry ("1.2.3.4", "::1", "10.0.0.0/8", "fd00::/8"); the error names a bad one.
  static result<proxy_set, std::string> parse(const std::vector<std::string>& entries);
  bool contains(const boost::asio::ip::address& a) const;
  bool empty() const { return v4_.empty() && v6_.empty(); }

 private:
  struct net4 {
    std::uint32_t base, mask;
  };
  struct net6 {
    boost::asio::ip::address_v6::bytes_type base;
    unsigned prefix;
  };
  std::vector<net4> v4_;
  std::vector<net6> v6_;
};

// The client address of a request: the peer, or, when the peer is a trusted proxy, the rightmost
// X-Forwarded-For entry that is not itself a trusted proxy (entries left of it were written by the
// client and prove nothing). A malformed entry stops the walk at the last trusted hop. IPv4-mapped
// IPv6 addresses count as IPv4.
boost::asio::ip::address client_address(const boost::asio::ip::address& peer,
                                        std::string_view x_forwarded_for, const proxy_set& trusted);

// Counters of refusals, one per limit (exported as metrics).
struct admission_counters {
  std::uint64_t admitted = 0;
  std::uint64_t refused_max_connections = 0;
  std::uint64_t refused_per_ip = 0;
  std::uint64_t refused_rate = 0;
  std::uint64_t refused_sockets_per_ip = 0;
};

class admission_control {
 public:
  using clock = std::chrono::steady_clock;
  // Held by an admitted session; destroying it gives the session's place back.
  using ticket = std::shared_ptr<void>;

  explicit admission_control(admission_limits limits);
  // Fails when a trusted proxy entry does not parse (the message names it).
  static result<std::unique_ptr<admission_control>, std::string> create(admission_limits limits);

  // Admits one new session of `client` at `now`, or says which limit refuses it.
  result<ticket, refusal> admit(const boost::asio::ip::address& client,
                                clock::time_point now = clock::now());
  // Admits one more open socket of `peer` (max_sockets_per_ip); the ticket is held while the
  // socket is open.
  result<ticket, refusal> admit_socket(const boost::asio::ip::address& peer);

  const proxy_set& trusted_proxies() const { return proxies_; }
  const admission_limits& limits() const { return limits_; }
  std::size_t open_sessions() const;
  std::size_t open_sessions(const boost::asio::ip::address& client) const;
  std::size_t open_sockets(const boost::asio::ip::address& peer) const;
  std::size_t tracked_addresses() const;  // entries kept for rate limiting (bounded by pruning)
  admission_counters counters() const;

 private:
  struct state;
  admission_limits limits_;
  proxy_set proxies_;
  std::shared_ptr<state> state_;  // shared with the tickets, which may outlive this object
};

// The JSON body of a request refused by a size limit, e.g. {"error":"request body too large",
// "limit":"max-payload","max":1000000}; counts it in kasocki_limit_rejections_total{limit}.
std::string size_limit_refusal(std::string_view error, std::string_view limit, std::uint64_t max);

// The Engine.IO server's admission hook for `control`: resolves the client address (peer or
// trusted X-Forwarded-For), admits or answers 429 with the refusal's body, and counts each
// refusal in kasocki_limit_rejections_total{limit}. `control` must outlive the server.
engineio::server::admission_handler make_admission_handler(admission_control& control);

// What the listener does with a socket it accepted: serve it while `ticket` is held, or (no
// ticket) answer 429 with `body` and close it.
struct socket_verdict {
  std::shared_ptr<void> ticket;
  std::string body;
};
using socket_admission_handler =
    std::function<socket_verdict(const boost::asio::ip::address& peer)>;

// The listener's hook for `control`: counts each open socket of a peer address against
// max_sockets_per_ip (a trusted proxy's sockets are not counted: its clients are told apart by
// X-Forwarded-For, per session), and each refusal in kasocki_limit_rejections_total{limit}.
// `control` must outlive the listener.
socket_admission_handler make_socket_admission_handler(admission_control& control);

}  // namespace kasocki::http
