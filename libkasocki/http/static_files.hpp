// Static files over the HTTP listener: the live page (ui/) and the socket.io browser client.
// Each URL maps to a named asset found, in order, in an override folder on disk (for editing the
// page without rebuilding), in the copy embedded at build time (cmake/embed.cmake), or in a
// fallback file on disk (the npm package in the source tree when it was not there at build
// time). Lookup reads files; handle() does socket I/O on the listener's stream.
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "libkasocki/http/listener.hpp"

namespace kasocki::http {

// One file embedded into the library at build time; `name` is its file name (e.g. "app.js").
struct embedded_file {
  std::string_view name;
  std::string_view data;
};

// The files cmake/embed.cmake generated (empty when nothing was embedded).
std::span<const embedded_file> embedded_files();

// "text/html; charset=utf-8" etc. by file extension; "application/octet-stream" when unknown.
std::string_view content_type_for(std::string_view name);

// A strong validator for a body (quoted hex of a 64-bit FNV-1a hash).
std::string etag_for(std::string_view body);

struct static_files_options {
  std::filesystem::path override_dir;  // files here win over embedded ones; empty: none
};

struct static_lookup {
  unsigned status = 404;  // 200 or 404
  std::string name;       // the asset name, for logs
  std::string body;       // the content, or a JSON error body
  std::string content_type;
  std::string etag;  // empty on 404
};

class static_files {
 public:
  explicit static_files(static_files_options options = {});

  // Serves `name` at the exact path `url`. `fallback` is read when neither the override folder
  // nor the embedded files have it. Every (from, to) of `replacements` is applied to the body,
  // e.g. to point the page at a socket.io path other than the default.
  void add(std::string url, std::string name, std::filesystem::path fallback = {},
           std::vector<std::pair<std::string, std::string>> replacements = {});

  // The response content for a request path (the query string already removed).
  static_lookup lookup(std::string_view path) const;

  // The listener handler: GET and HEAD, ETag / If-None-Match (304), Cache-Control: no-cache so
  // a browser revalidates and never runs a stale page against a newer server; other methods 405.
  // A missing file is a 404 JSON body and a warning in the log.
  boost::asio::awaitable<connection_next> handle(stream& stream, http_request& request) const;

 private:
  struct entry {
    std::string url;
    std::string name;
    std::filesystem::path fallback;
    std::vector<std::pair<std::string, std::string>> replacements;
  };

  static_files_options options_;
  std::vector<entry> entries_;
};

// Routes the live page on `l`: ui/index.html at / and /index.html, /app.js, /sse.js, /style.css,
// and the socket.io browser client at <socketio_path>socket.io.js (and .min.js), which the page
// loads; the page is told `sse_path` (the SSE endpoint its transport switch uses).
// Other paths under / get a 404 JSON. Warns once at startup when the client is nowhere to be
// found (the page then shows why it cannot connect).
void route_ui(listener& l, const std::string& socketio_path, static_files_options options,
              const std::string& sse_path = "/v2/stream/");

// The build-time default of --ui-assets fallbacks: the socket.io client of the npm packages in
// the source tree (scripts/setup.sh installs them).
std::filesystem::path source_tree_socketio_client();

}  // namespace kasocki::http
