// libFuzzer target: the client's URL parser (client/url.hpp), fed by `kasocki client --url`.
// No input may crash; an accepted URL gives a host, a port, and a path that starts and ends with
// '/', and request targets that are valid origin-form targets.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <boost/url/parse.hpp>

#include "client/url.hpp"

using namespace kasocki::client;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view url(reinterpret_cast<const char*>(data), size);
  const auto ep = parse_url(url);
  if (!ep) return 0;
  if (ep->port.empty() || ep->path.empty() || ep->path.front() != '/' || ep->path.back() != '/')
    std::abort();
  (void)host_header(*ep);
  const auto target = request_target(*ep, "polling", "abc");
  if (!target.starts_with(ep->path)) std::abort();
  if (!boost::urls::parse_origin_form(target)) std::abort();
  return 0;
}
