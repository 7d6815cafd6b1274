// libFuzzer target: the trusted-proxy list (--trusted-proxy, http/limits.hpp) and the
// X-Forwarded-For walk. The input is lines: the first ones entries of the list, up to an empty
// line; the next an X-Forwarded-For header. No input may crash; an accepted single address is
// in the set; the client address is the peer or an address from the header.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "libkasocki/http/limits.hpp"

using namespace kasocki::http;
namespace ip = boost::asio::ip;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> entries;
  while (!rest.empty()) {
    const auto end = rest.find('\n');
    const auto line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    if (line.empty()) break;
    entries.emplace_back(line);
  }
  const std::string_view forwarded = rest;
  auto parsed = proxy_set::parse(entries);
  if (!parsed) {
    if (parsed.error().empty()) std::abort();  // the error names the bad entry
    return 0;
  }
  const auto& set = *parsed;
  if (set.empty() != entries.empty()) std::abort();
  for (const auto& entry : entries) {
    if (entry.find('/') != std::string::npos) continue;
    boost::system::error_code ec;
    const auto a = ip::make_address(entry, ec);
    if (!ec && !set.contains(a)) std::abort();
  }
  for (const auto* peer : {"127.0.0.1", "::1", "10.1.2.3", "::ffff:10.1.2.3", "fd00::1"}) {
    const auto p = ip::make_address(peer);
    const auto client = client_address(p, forwarded, set);
    if (client != p && client.to_string().empty()) std::abort();
    if (!set.contains(p) && client != p && !(p.is_v6() && p.to_v6().is_v4_mapped())) std::abort();
  }
  return 0;
}
