// See errors.hpp.
#include "libkasocki/engineio/errors.hpp"

namespace kasocki::engineio {

std::string_view http_error_body(http_error e) {
  switch (e) {
    case http_error::unknown_transport:
      return R"({"code":0,"message":"Transport unknown"})";
    case http_error::unknown_sid:
      return R"({"code":1,"message":"Session ID unknown"})";
    case http_error::bad_handshake_method:
      return R"({"code":2,"message":"Bad handshake method"})";
    case http_error::bad_request:
      return R"({"code":3,"message":"Bad request"})";
    case http_error::forbidden:
      return R"({"code":4,"message":"Forbidden"})";
    case http_error::unsupported_protocol_version:
      return R"({"code":5,"message":"Unsupported protocol version"})";
  }
  return R"({"code":3,"message":"Bad request"})";
}

}  // namespace kasocki::engineio
