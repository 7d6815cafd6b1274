// See sse_reader.hpp.
#include "client/sse_reader.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "client/url.hpp"

namespace kasocki::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using asio::as_tuple;
using asio::use_awaitable;
using json = nlohmann::ordered_json;

namespace {

std::string encode(std::string_view text) {
  return boost::urls::encode(text, boost::urls::unreserved_chars);
}

json connection_error(std::string message) {
  return json{
      {"name", "ConnectionError"}, {"message", std::move(message)}, {"origin", "KasockiClient"}};
}

}  // namespace

std::string sse_target(const sse_request& request) {
  std::string target = request.path;
  for (std::size_t i = 0; i < request.topics.size(); ++i) {
    if (i) target += ',';
    target += encode(request.topics[i]);
  }
  char separator = '?';
  if (request.since) {
    target += separator + std::string("since=") + std::to_string(*request.since);
    separator = '&';
  }
  if (!request.filters.is_null())
    target += separator + std::string("filters=") + encode(request.filters.dump());
  return target;
}

asio::awaitable<json> sse_reader::run(sse_request request,
                                      std::function<void(const sse_event&)> on_event) {
  sse_event_parser events;
  auto error = co_await run_body(
      std::move(request), [&](std::string_view bytes) { return events.feed(bytes, on_event); });
  if (events.failed()) co_return connection_error("an SSE line too long");
  co_return error;
}

asio::awaitable<json> sse_reader::run_body(sse_request request,
                                           std::function<bool(std::string_view)> on_body) {
  auto ep = parse_url(request.url, "/");
  if (!ep) co_return connection_error("invalid URL " + request.url);
  if (ep->secure) co_return connection_error("the sse transport speaks plain http only");
  asio::ip::tcp::resolver resolver(stream_.get_executor());
  auto [rec, results] =
      co_await resolver.async_resolve(ep->host, ep->port, as_tuple(use_awaitable));
  if (rec) co_return connection_error(rec.message());
  auto [cec, endpoint] = co_await stream_.async_connect(results, as_tuple(use_awaitable));
  if (cec) co_return connection_error(cec.message());

  http::request<http::empty_body> get{http::verb::get, sse_target(request), 11};
  get.set(http::field::host, host_header(*ep));
  get.set(http::field::accept, "text/event-stream");
  if (!request.last_event_id.empty()) get.set("Last-Event-ID", request.last_event_id);
  auto [wec, wn] = co_await http::async_write(stream_, get, as_tuple(use_awaitable));
  if (wec) co_return connection_error(wec.message());

  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);
  auto [hec, hn] =
      co_await http::async_read_header(stream_, buffer, parser, as_tuple(use_awaitable));
  if (hec) co_return closed_ ? json() : connection_error(hec.message());
  const bool ok = parser.get().result() == http::status::ok;
  std::string error_body;
  char chunk[64 * 1024];
  while (!parser.is_done()) {
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof chunk;
    auto [ec, n] = co_await http::async_read_some(stream_, buffer, parser, as_tuple(use_awaitable));
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      if (closed_) co_return json();
      co_return connection_error(ec.message());
    }
    std::string_view got(chunk, sizeof chunk - parser.get().body().size);
    if (!ok) {
      if (error_body.size() < (1u << 20)) error_body.append(got);
      continue;
    }
    if (!on_body(got)) co_return connection_error("the body was refused");
    if (closed_) co_return json();
  }
  if (!ok) {
    json body = json::parse(error_body, nullptr, false);
    if (body.is_discarded() || !body.is_object())
      co_return connection_error("HTTP " + std::to_string(parser.get().result_int()));
    co_return body;
  }
  co_return json();
}

void sse_reader::close() {
  closed_ = true;
  beast::error_code ignored;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.cancel();
}

}  // namespace kasocki::client
