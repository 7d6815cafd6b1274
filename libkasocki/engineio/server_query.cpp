// See server_query.hpp.
#include "libkasocki/engineio/server_query.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace kasocki::engineio {

std::string_view describe(query_errc kind) noexcept {
  switch (kind) {
    case query_errc::bad_target:
      return "bad request target";
    case query_errc::unknown_transport:
      return "unknown transport";
    case query_errc::unsupported_protocol:
      return "unsupported protocol version";
  }
  return "bad request target";
}

kasocki::result<request_query, query_errc> parse_request_query(std::string_view target) {
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) return query_errc::bad_target;
  request_query q;
  std::optional<std::string> eio;
  std::optional<std::string> transport;
  for (auto param : parsed->params()) {
    if (param.key == "EIO")
      eio = param.value;
    else if (param.key == "transport")
      transport = param.value;
    else if (param.key == "sid")
      q.sid = param.value;
    else if (param.key == "b64")
      q.b64 = param.value == "1" || param.value == "true";
  }
  if (transport != "polling" && transport != "websocket") return query_errc::unknown_transport;
  q.transport = std::move(*transport);
  if (eio == "4")
    q.protocol = 4;
  else if (eio == "3")
    q.protocol = 3;
  else
    return query_errc::unsupported_protocol;
  return q;
}

std::string_view target_path(std::string_view target) {
  return target.substr(0, target.find('?'));
}

}  // namespace kasocki::engineio
