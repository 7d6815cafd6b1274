// See server_query.hpp.
#include "libkasocki/engineio/server_query.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace kasocki::engineio {

std::optional<request_query> parse_request_query(std::string_view target) {
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) return std::nullopt;
  request_query q;
  for (auto param : parsed->params()) {
    if (param.key == "EIO")
      q.eio = param.value;
    else if (param.key == "transport")
      q.transport = param.value;
    else if (param.key == "sid")
      q.sid = param.value;
    else if (param.key == "b64")
      q.b64 = param.value == "1" || param.value == "true";
  }
  return q;
}

std::string_view target_path(std::string_view target) {
  return target.substr(0, target.find('?'));
}

}  // namespace kasocki::engineio
