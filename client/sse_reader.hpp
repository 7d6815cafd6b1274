// The client side of the SSE endpoint (kasocki-api.md, "Server-Sent Events"): one GET of
// <url><path>{topics}?since=&filters= (with Last-Event-ID for exact offsets), its events handed
// over as they arrive (sse_event_parser). A chunked body is read from the socket and decoded by
// chunked_decoder. Plain HTTP only. Does network I/O; one io_context.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <nlohmann/json.hpp>

#include "client/sse_event_parser.hpp"

namespace kasocki::client {

struct sse_request {
  std::string url;                   // http://host:port (a path in it is ignored)
  std::string path = "/v2/stream/";  // the server's --sse-path
  std::vector<std::string> topics;
  std::optional<std::int64_t> since;  // ms since the epoch
  nlohmann::ordered_json filters;     // null: none
  std::string last_event_id;          // empty: none
};

// The request target: path, the topics (percent-encoded, comma separated) and the query.
std::string sse_target(const sse_request& request);

class sse_reader {
 public:
  explicit sse_reader(boost::asio::any_io_executor executor) : stream_(executor) {}
  // Reads until the stream ends, close() or an error; `on_event` gets every event. Returns null,
  // or the error object: the JSON body of an answer other than 200, or
  // {name: "ConnectionError", message}.
  boost::asio::awaitable<nlohmann::ordered_json> run(
      sse_request request, std::function<void(const sse_event&)> on_event);
  // The same request, the body of a 200 handed over in pieces as they arrive (de-chunked, not
  // parsed: `kasocki bench` scans it in place); `on_body` returns false to stop with
  // {name: "ConnectionError"}. Returns as run().
  boost::asio::awaitable<nlohmann::ordered_json> run_body(
      sse_request request, std::function<bool(std::string_view)> on_body);
  void close();

 private:
  boost::asio::awaitable<nlohmann::ordered_json> read_chunked(
      boost::beast::flat_buffer& buffer, const std::function<bool(std::string_view)>& on_body);

  boost::beast::tcp_stream stream_;
  bool closed_ = false;
};

}  // namespace kasocki::client
