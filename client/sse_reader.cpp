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

#include "client/chunked_decoder.hpp"
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
  if (ok && parser.chunked()) co_return co_await read_chunked(buffer, on_body);
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

// The body of a chunked 200, read from the socket itself: reads of up to 64 KiB, each decoded in
// place (the data goes to on_body as views into the read), where Beast's parser would take one
// chunk per read operation. `buffer` holds what was read past the header.
asio::awaitable<json> sse_reader::read_chunked(
    beast::flat_buffer& buffer, const std::function<bool(std::string_view)>& on_body) {
  chunked_decoder decoder;
  // Hands the data of `input` on; false when the body ended, failed or was refused.
  std::optional<json> outcome;
  auto decode = [&](std::string_view input) {
    for (;;) {
      auto got = decoder.next(input);
      switch (got.what) {
        case chunked_decoder::kind::data:
          if (!on_body(got.data)) {
            outcome = connection_error("the body was refused");
            return false;
          }
          if (closed_) {
            outcome = json();
            return false;
          }
          continue;
        case chunked_decoder::kind::need_more:
          return true;
        case chunked_decoder::kind::done:
          outcome = json();
          return false;
        case chunked_decoder::kind::error:
          outcome = connection_error("invalid chunked transfer coding");
          return false;
      }
    }
  };
  const auto* rest = static_cast<const char*>(buffer.data().data());
  if (!decode(std::string_view(rest, buffer.size()))) co_return *outcome;
  buffer.consume(buffer.size());
  std::vector<char> bytes(64 * 1024);
  for (;;) {
    auto [ec, n] =
        co_await stream_.socket().async_read_some(asio::buffer(bytes), as_tuple(use_awaitable));
    if (ec) {
      if (closed_) co_return json();
      co_return connection_error(ec == asio::error::eof ? "the stream ended in a chunk"
                                                        : ec.message());
    }
    if (!decode(std::string_view(bytes.data(), n))) co_return *outcome;
  }
}

void sse_reader::close() {
  closed_ = true;
  beast::error_code ignored;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.cancel();
}

}  // namespace kasocki::client
