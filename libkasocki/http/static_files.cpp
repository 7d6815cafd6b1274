// See static_files.hpp.
#include "libkasocki/http/static_files.hpp"

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/write.hpp>
#include <nlohmann/json.hpp>

#include "libkasocki/common/log.hpp"
#include "libkasocki/engineio/server_query.hpp"

#ifndef KASOCKI_SOURCE_DIR
#define KASOCKI_SOURCE_DIR "."
#endif

// Defined in the source cmake/embed.cmake generates: {name, content} pairs.
namespace kasocki::http::generated {
extern const std::size_t embedded_count;
extern const std::string_view embedded_table[][2];
}  // namespace kasocki::http::generated

namespace kasocki::http {

namespace bhttp = boost::beast::http;

namespace {

std::optional<std::string> read_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (path.empty() || !std::filesystem::is_regular_file(path, ec)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return std::move(out).str();
}

std::optional<std::string_view> find_embedded(std::string_view name) {
  for (const auto& file : embedded_files())
    if (file.name == name) return file.data;
  return std::nullopt;
}

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  if (from.empty() || from == to) return;
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

}  // namespace

std::span<const embedded_file> embedded_files() {
  static const std::vector<embedded_file> files = [] {
    std::vector<embedded_file> out;
    for (std::size_t i = 0; i < generated::embedded_count; ++i)
      out.push_back({generated::embedded_table[i][0], generated::embedded_table[i][1]});
    return out;
  }();
  return files;
}

std::string_view content_type_for(std::string_view name) {
  static constexpr std::pair<std::string_view, std::string_view> types[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".png", "image/png"},
      {".svg", "image/svg+xml"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
  };
  for (const auto& [extension, type] : types)
    if (name.ends_with(extension)) return type;
  return "application/octet-stream";
}

std::string etag_for(std::string_view body) {
  std::uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : body) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  char text[24];
  std::snprintf(text, sizeof text, "\"%016llx\"", static_cast<unsigned long long>(hash));
  return text;
}

std::filesystem::path source_tree_socketio_client() {
  return std::filesystem::path(KASOCKI_SOURCE_DIR) /
         "e2e/js/node_modules/socket.io-client/dist/socket.io.min.js";
}

static_files::static_files(static_files_options options) : options_(std::move(options)) {}

void static_files::add(std::string url, std::string name, std::filesystem::path fallback,
                       std::vector<std::pair<std::string, std::string>> replacements) {
  entries_.push_back(
      {std::move(url), std::move(name), std::move(fallback), std::move(replacements)});
}

static_lookup static_files::lookup(std::string_view path) const {
  static_lookup result;
  const entry* found = nullptr;
  for (const auto& e : entries_)
    if (e.url == path) found = &e;
  if (!found) {
    result.body = R"({"error":"not found"})";
    result.content_type = "application/json";
    return result;
  }
  result.name = found->name;
  std::optional<std::string> body;
  if (!options_.override_dir.empty()) body = read_file(options_.override_dir / found->name);
  if (!body) {
    if (auto embedded = find_embedded(found->name)) body = std::string(*embedded);
  }
  if (!body) body = read_file(found->fallback);
  if (!body) {
    nlohmann::ordered_json error{{"error", "not found"},
                                 {"file", found->name},
                                 {"reason", "not embedded at build time and not found on disk"}};
    if (!found->fallback.empty()) error["looked_in"] = found->fallback.string();
    result.body = error.dump();
    result.content_type = "application/json";
    return result;
  }
  for (const auto& [from, to] : found->replacements) replace_all(*body, from, to);
  result.status = 200;
  result.content_type = std::string(content_type_for(found->name));
  result.etag = etag_for(*body);
  result.body = std::move(*body);
  return result;
}

boost::asio::awaitable<connection_next> static_files::handle(stream& stream,
                                                             http_request& request) const {
  http_response response;
  const bool head = request.method() == bhttp::verb::head;
  if (request.method() != bhttp::verb::get && !head) {
    response = json_response(request, 405, R"({"error":"method not allowed"})");
    response.set(bhttp::field::allow, "GET, HEAD");
  } else {
    auto found = lookup(engineio::target_path(request.target()));
    if (found.status != 200) {
      if (!found.name.empty())
        log::warn("static file missing", {{"file", found.name}, {"body", found.body}});
      response = json_response(request, found.status, std::move(found.body));
    } else {
      auto if_none_match = request[bhttp::field::if_none_match];
      const bool unchanged = !if_none_match.empty() && if_none_match == found.etag;
      response = http_response{unchanged ? bhttp::status::not_modified : bhttp::status::ok,
                               request.version()};
      response.set(bhttp::field::content_type, found.content_type);
      if (!unchanged && !head) response.body() = std::move(found.body);
      response.keep_alive(request.keep_alive());
      response.prepare_payload();
      // HEAD reports the length a GET would get; prepare_payload() saw an empty body.
      if (head) response.content_length(found.body.size());
    }
    if (!found.etag.empty()) response.set(bhttp::field::etag, found.etag);
  }
  // no-cache = "revalidate every time": cheap with the ETag, and never a stale page.
  response.set(bhttp::field::cache_control, "no-cache");
  response.set("X-Content-Type-Options", "nosniff");
  auto [ec, n] = co_await bhttp::async_write(stream, response,
                                             boost::asio::as_tuple(boost::asio::use_awaitable));
  co_return (ec || !response.keep_alive()) ? connection_next::close : connection_next::keep_alive;
}

void route_ui(listener& l, const std::string& socketio_path, static_files_options options,
              const std::string& sse_path) {
  auto files = std::make_shared<static_files>(std::move(options));
  // The page names the default socket.io and SSE paths; point them at the configured ones.
  std::vector<std::pair<std::string, std::string>> page_path{{"/socket.io/", socketio_path},
                                                             {"/v2/stream/", sse_path}};
  files->add("/", "index.html", {}, page_path);
  files->add("/index.html", "index.html", {}, page_path);
  files->add("/app.js", "app.js");
  files->add("/sse.js", "sse.js");
  files->add("/style.css", "style.css");
  files->add(socketio_path + "socket.io.js", "socket.io.js", source_tree_socketio_client());
  files->add(socketio_path + "socket.io.min.js", "socket.io.js", source_tree_socketio_client());
  if (auto client = files->lookup(socketio_path + "socket.io.js"); client.status != 200)
    log::warn("the live page cannot load the socket.io client", {{"detail", client.body}});
  auto handler = [files](stream& stream, http_request& request) {
    return files->handle(stream, request);
  };
  l.route("/", handler);
  l.route(socketio_path + "socket.io.js", handler);
  l.route(socketio_path + "socket.io.min.js", handler);
}

}  // namespace kasocki::http
