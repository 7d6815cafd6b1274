// See url.hpp.
#include "client/url.hpp"

#include <cctype>

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace kasocki::client {

std::string_view describe(url_errc kind) noexcept {
  switch (kind) {
    case url_errc::not_a_url:
      return "not a URL (e.g. http://localhost:6927)";
    case url_errc::unsupported_scheme:
      return "the scheme is not http, https, ws or wss";
    case url_errc::no_host:
      return "no host";
    case url_errc::bad_port:
      return "the port is not a number from 1 to 65535";
  }
  return "bad URL";
}

kasocki::result<endpoint, url_errc> parse_url(std::string_view url, std::string_view default_path) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return url_errc::not_a_url;
  const boost::urls::url_view& u = *parsed;
  std::string scheme(u.scheme());
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  endpoint ep;
  if (scheme == "http" || scheme == "ws") {
    ep.secure = false;
  } else if (scheme == "https" || scheme == "wss") {
    ep.secure = true;
  } else {
    return url_errc::unsupported_scheme;
  }
  if (!u.has_authority() || u.encoded_host().empty()) return url_errc::no_host;
  if (u.host_type() == boost::urls::host_type::ipv6) {
    ep.host = std::string(u.encoded_host_address());
  } else {
    ep.host = std::string(u.encoded_host());
  }
  if (u.has_port()) {
    if (u.port().empty() || u.port_number() == 0) return url_errc::bad_port;
    ep.port = std::to_string(u.port_number());
  } else {
    ep.port = ep.secure ? "443" : "80";
  }
  std::string_view path = u.encoded_path();
  if (path.empty() || path == "/") path = default_path;
  ep.path = std::string(path);
  if (ep.path.empty() || ep.path.front() != '/') ep.path.insert(ep.path.begin(), '/');
  if (ep.path.back() != '/') ep.path.push_back('/');
  if (u.has_query()) ep.query = std::string(u.encoded_query());
  return ep;
}

std::string request_target(const endpoint& ep, std::string_view transport, std::string_view sid) {
  std::string target = ep.path;
  target += "?EIO=4&transport=";
  target += transport;
  if (!sid.empty()) {
    target += "&sid=";
    // Server ids are usually URL-safe already; percent-encode anything else.
    static constexpr char hex[] = "0123456789ABCDEF";
    for (char c : sid) {
      auto b = static_cast<unsigned char>(c);
      if (std::isalnum(b) || c == '-' || c == '_' || c == '.' || c == '~') {
        target += c;
      } else {
        target += '%';
        target += hex[b >> 4];
        target += hex[b & 15];
      }
    }
  }
  if (!ep.query.empty()) {
    target += '&';
    target += ep.query;
  }
  return target;
}

std::string host_header(const endpoint& ep) {
  bool ipv6 = ep.host.find(':') != std::string::npos;
  std::string host = ipv6 ? "[" + ep.host + "]" : ep.host;
  if (ep.port == (ep.secure ? "443" : "80")) return host;
  return host + ":" + ep.port;
}

}  // namespace kasocki::client
