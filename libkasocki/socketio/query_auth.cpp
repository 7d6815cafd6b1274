// See query_auth.hpp.
#include "libkasocki/socketio/query_auth.hpp"

#include <string>

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace kasocki::socketio {

json query_auth(std::string_view query) {
  json auth = json::object();
  if (auto q = query.find('?'); q != std::string_view::npos)
    query.remove_prefix(q + 1);
  else if (query.starts_with('/'))
    return auth;  // a request target without a query
  // Through parse_origin_form: Boost.URL 1.81's parse_query reads past the end of its view.
  std::string origin_form = "/?";
  origin_form += query;
  auto url = boost::urls::parse_origin_form(origin_form);
  if (!url) return auth;
  for (auto param : url->params())
    if (!param.key.empty() && param.key != "EIO" && param.key != "transport" &&
        param.key != "sid" && param.key != "b64" && param.key != "t")
      auth[std::string(param.key)] = std::string(param.value);
  return auth;
}

}  // namespace kasocki::socketio
