// See handshake.hpp.
#include "libkasocki/websocket/handshake.hpp"

#include <openssl/evp.h>

#include "libkasocki/common/base64.hpp"

namespace kasocki::websocket {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool has_token(std::string_view header, std::string_view token) {
  while (!header.empty()) {
    auto comma = header.find(',');
    if (iequals(trim(header.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

upgrade_error check_upgrade(const upgrade_request& r) {
  if (r.method != "GET") return upgrade_error::not_get;
  if (r.http_version < 11) return upgrade_error::old_http;
  if (!has_token(r.upgrade, "websocket")) return upgrade_error::no_upgrade_websocket;
  if (!has_token(r.connection, "upgrade")) return upgrade_error::no_connection_upgrade;
  if (trim(r.version) != "13") return upgrade_error::bad_version;
  auto key = base64_decode(trim(r.key));
  if (!key || key->size() != 16) return upgrade_error::bad_key;
  return upgrade_error::none;
}

std::string_view to_string(upgrade_error e) {
  switch (e) {
    case upgrade_error::none:
      return "none";
    case upgrade_error::not_get:
      return "websocket upgrade must be a GET";
    case upgrade_error::old_http:
      return "websocket upgrade needs HTTP/1.1";
    case upgrade_error::no_upgrade_websocket:
      return "Upgrade must be websocket";
    case upgrade_error::no_connection_upgrade:
      return "Connection must include upgrade";
    case upgrade_error::bad_version:
      return "Sec-WebSocket-Version must be 13";
    case upgrade_error::bad_key:
      return "Sec-WebSocket-Key must be 16 bytes in base64";
  }
  return "unknown";
}

std::string accept_key(std::string_view key) {
  std::string text(trim(key));
  text += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha1(), nullptr) != 1) return {};
  std::string out;
  base64_encode(std::string_view(reinterpret_cast<const char*>(digest), size), out);
  return out;
}

}  // namespace kasocki::websocket
