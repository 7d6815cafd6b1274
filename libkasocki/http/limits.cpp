// See limits.hpp.
#include "libkasocki/http/limits.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "libkasocki/common/metrics.hpp"

namespace kasocki::http {

namespace ip = boost::asio::ip;

namespace {

// IPv4-mapped IPv6 (::ffff:1.2.3.4, what a dual-stack socket reports) as the IPv4 address, so a
// client counts once whichever way it came in.
ip::address canonical(const ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) return ip::make_address_v4(ip::v4_mapped, a.to_v6());
  return a;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<ip::address> parse_address(std::string_view text) {
  boost::system::error_code ec;
  auto a = ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  return canonical(a);
}

}  // namespace

std::string refusal::body() const {
  nlohmann::ordered_json j{{"error", "too many connections"}, {"limit", limit}};
  if (max == std::floor(max))
    j["max"] = static_cast<std::int64_t>(max);
  else
    j["max"] = max;
  j["message"] = message;
  return j.dump();
}

result<proxy_set, std::string> proxy_set::parse(const std::vector<std::string>& entries) {
  proxy_set set;
  for (const auto& entry : entries) {
    std::string_view text = trim(entry);
    auto slash = text.find('/');
    auto address = parse_address(text.substr(0, slash));
    if (!address) return "invalid trusted proxy '" + entry + "' (an IP address or CIDR network)";
    const unsigned bits = address->is_v4() ? 32 : 128;
    unsigned prefix = bits;
    if (slash != std::string_view::npos) {
      auto digits = text.substr(slash + 1);
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
      if (ec != std::errc() || end != digits.data() + digits.size() || prefix > bits)
        return "invalid trusted proxy '" + entry + "' (prefix length out of range)";
    }
    if (address->is_v4()) {
      std::uint32_t mask = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
      set.v4_.push_back({address->to_v4().to_uint() & mask, mask});
    } else {
      set.v6_.push_back({address->to_v6().to_bytes(), prefix});
    }
  }
  return set;
}

bool proxy_set::contains(const ip::address& raw) const {
  const ip::address a = canonical(raw);
  if (a.is_v4()) {
    const std::uint32_t v = a.to_v4().to_uint();
    return std::any_of(v4_.begin(), v4_.end(),
                       [v](const net4& n) { return (v & n.mask) == n.base; });
  }
  const auto bytes = a.to_v6().to_bytes();
  return std::any_of(v6_.begin(), v6_.end(), [&bytes](const net6& n) {
    for (unsigned bit = 0; bit < n.prefix; ++bit) {
      const unsigned byte = bit / 8, shift = 7 - bit % 8;
      if (((bytes[byte] >> shift) & 1) != ((n.base[byte] >> shift) & 1)) return false;
    }
    return true;
  });
}

ip::address client_address(const ip::address& peer, std::string_view x_forwarded_for,
                           const proxy_set& trusted) {
  ip::address client = canonical(peer);
  if (trusted.empty() || !trusted.contains(client)) return client;
  // Walk the hops right to left while each one was added by a proxy we trust.
  std::string_view rest = x_forwarded_for;
  while (!rest.empty()) {
    auto comma = rest.rfind(',');
    std::string_view entry = trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
    auto hop = parse_address(entry);
    if (!hop) break;
    client = *hop;
    if (!trusted.contains(client)) break;
  }
  return client;
}

struct admission_control::state {
  struct per_address {
    std::size_t open = 0;
    std::size_t sockets = 0;
    double tokens = 0;
    clock::time_point refilled{};
  };
  std::unordered_map<std::string, per_address> addresses;
  std::size_t open = 0;
  std::size_t prune_at = 1024;
  admission_counters counters;

  // Drops entries that hold nothing: no open session and a bucket refilled to the brim.
  void prune(clock::time_point now, const admission_limits& limits) {
    const double burst = static_cast<double>(limits.new_sessions_burst);
    for (auto it = addresses.begin(); it != addresses.end();) {
      auto& e = it->second;
      const double seconds = std::chrono::duration<double>(now - e.refilled).count();
      const bool full = limits.new_sessions_per_ip_per_second <= 0 ||
                        e.tokens + seconds * limits.new_sessions_per_ip_per_second >= burst;
      it = (e.open == 0 && e.sockets == 0 && full) ? addresses.erase(it) : std::next(it);
    }
    prune_at = std::max<std::size_t>(1024, addresses.size() * 2);
  }
};

admission_control::admission_control(admission_limits limits)
    : limits_(std::move(limits)), state_(std::make_shared<state>()) {
  if (auto parsed = proxy_set::parse(limits_.trusted_proxies)) proxies_ = std::move(*parsed);
}

result<std::unique_ptr<admission_control>, std::string> admission_control::create(
    admission_limits limits) {
  auto parsed = proxy_set::parse(limits.trusted_proxies);
  if (!parsed) return std::move(parsed).error();
  return std::make_unique<admission_control>(std::move(limits));
}

result<admission_control::ticket, refusal> admission_control::admit(const ip::address& raw,
                                                                    clock::time_point now) {
  auto& s = *state_;
  const ip::address client = canonical(raw);
  const std::string key = client.to_string();
  if (limits_.max_connections > 0 && s.open >= limits_.max_connections) {
    ++s.counters.refused_max_connections;
    return refusal{std::string(limit_name::max_connections),
                   "the server has the most sessions it takes (limit max-connections = " +
                       std::to_string(limits_.max_connections) + ")",
                   static_cast<double>(limits_.max_connections)};
  }
  if (s.addresses.size() >= s.prune_at) s.prune(now, limits_);
  auto [it, inserted] = s.addresses.try_emplace(key);
  auto& entry = it->second;
  if (inserted) {
    entry.tokens = static_cast<double>(limits_.new_sessions_burst);
    entry.refilled = now;
  }
  if (limits_.max_connections_per_ip > 0 && entry.open >= limits_.max_connections_per_ip) {
    ++s.counters.refused_per_ip;
    return refusal{std::string(limit_name::max_connections_per_ip),
                   "too many sessions from " + key + " (limit max-connections-per-ip = " +
                       std::to_string(limits_.max_connections_per_ip) + ")",
                   static_cast<double>(limits_.max_connections_per_ip)};
  }
  if (limits_.new_sessions_per_ip_per_second > 0) {
    const double seconds = std::chrono::duration<double>(now - entry.refilled).count();
    entry.tokens =
        std::min(static_cast<double>(std::max<std::size_t>(1, limits_.new_sessions_burst)),
                 entry.tokens + seconds * limits_.new_sessions_per_ip_per_second);
    entry.refilled = now;
    if (entry.tokens < 1) {
      ++s.counters.refused_rate;
      std::string rate = nlohmann::json(limits_.new_sessions_per_ip_per_second).dump();
      return refusal{std::string(limit_name::new_sessions_per_ip),
                     "too many new sessions from " + key +
                         " (limit new-sessions-per-ip-per-second = " + rate + ")",
                     limits_.new_sessions_per_ip_per_second};
    }
    entry.tokens -= 1;
  }
  ++entry.open;
  ++s.open;
  ++s.counters.admitted;
  // The ticket keeps the state alive, not this object: sessions may end after the server.
  return ticket(state_.get(), [state = state_, key](void*) {
    --state->open;
    if (auto found = state->addresses.find(key); found != state->addresses.end())
      --found->second.open;
  });
}

result<admission_control::ticket, refusal> admission_control::admit_socket(const ip::address& raw) {
  auto& s = *state_;
  const std::string key = canonical(raw).to_string();
  if (s.addresses.size() >= s.prune_at) s.prune(clock::now(), limits_);
  auto [it, inserted] = s.addresses.try_emplace(key);
  auto& entry = it->second;
  if (inserted) {
    entry.tokens = static_cast<double>(limits_.new_sessions_burst);
    entry.refilled = clock::now();
  }
  if (limits_.max_sockets_per_ip > 0 && entry.sockets >= limits_.max_sockets_per_ip) {
    ++s.counters.refused_sockets_per_ip;
    return refusal{std::string(limit_name::max_sockets_per_ip),
                   "too many open connections from " + key + " (limit max-sockets-per-ip = " +
                       std::to_string(limits_.max_sockets_per_ip) + ")",
                   static_cast<double>(limits_.max_sockets_per_ip)};
  }
  ++entry.sockets;
  return ticket(state_.get(), [state = state_, key](void*) {
    if (auto found = state->addresses.find(key); found != state->addresses.end())
      --found->second.sockets;
  });
}

std::size_t admission_control::open_sockets(const ip::address& peer) const {
  auto it = state_->addresses.find(canonical(peer).to_string());
  return it == state_->addresses.end() ? 0 : it->second.sockets;
}

std::size_t admission_control::open_sessions() const {
  return state_->open;
}

std::size_t admission_control::open_sessions(const ip::address& client) const {
  auto it = state_->addresses.find(canonical(client).to_string());
  return it == state_->addresses.end() ? 0 : it->second.open;
}

std::size_t admission_control::tracked_addresses() const {
  return state_->addresses.size();
}

admission_counters admission_control::counters() const {
  return state_->counters;
}

std::string size_limit_refusal(std::string_view error, std::string_view limit, std::uint64_t max) {
  metrics::global()
      .counter("kasocki_limit_rejections_total", {{"limit", std::string(limit)}})
      .inc();
  nlohmann::ordered_json body{{"error", error}, {"limit", limit}, {"max", max}};
  return body.dump();
}

engineio::server::admission_handler make_admission_handler(admission_control& control) {
  return [&control](const engineio::http_request& handshake, const ip::address& peer) {
    engineio::server::admission verdict;
    // Several X-Forwarded-For lines are one list, in order (RFC 9110, 5.3).
    std::string forwarded;
    if (!control.trusted_proxies().empty()) {
      auto [first, last] = handshake.equal_range("X-Forwarded-For");
      for (auto it = first; it != last; ++it) {
        if (!forwarded.empty()) forwarded += ',';
        forwarded += it->value();
      }
    }
    auto admitted = control.admit(client_address(peer, forwarded, control.trusted_proxies()));
    if (admitted) {
      verdict.ticket = std::move(*admitted);
      return verdict;
    }
    const auto& refused = admitted.error();
    metrics::global().counter("kasocki_limit_rejections_total", {{"limit", refused.limit}}).inc();
    verdict.status = 429;
    verdict.body = refused.body();
    return verdict;
  };
}

socket_admission_handler make_socket_admission_handler(admission_control& control) {
  return [&control](const ip::address& peer) {
    socket_verdict verdict;
    if (control.trusted_proxies().contains(peer)) {
      verdict.ticket = std::make_shared<int>(0);  // held, counted nowhere
      return verdict;
    }
    auto admitted = control.admit_socket(peer);
    if (admitted) {
      verdict.ticket = std::move(*admitted);
      return verdict;
    }
    const auto& refused = admitted.error();
    metrics::global().counter("kasocki_limit_rejections_total", {{"limit", refused.limit}}).inc();
    verdict.body = refused.body();
    return verdict;
  };
}

}  // namespace kasocki::http
