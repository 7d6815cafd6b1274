// The Server-Sent Events endpoint (kasocki-api.md, "Server-Sent Events"): answers
// `GET|HEAD|OPTIONS <path>{topics}`. Before the 200 it checks the request (stream_request), the
// admission limits, the topics and the start positions, answering errors as JSON bodies; then it
// opens a gateway session that delivers through a stream_connection. Tracks the open streams for
// metrics and shutdown. Does socket I/O; event-loop thread only.
#pragma once

#include <memory>
#include <set>

#include <boost/asio/awaitable.hpp>

#include "libkasocki/engineio/server.hpp"
#include "libkasocki/gateway/gateway.hpp"
#include "libkasocki/sse/stream_options.hpp"
#include "libkasocki/sse/stream_request.hpp"

namespace kasocki::sse {

class stream_connection;

class stream_server {
 public:
  stream_server(gateway::gateway& gateway, stream_options options);

  // The admission limits shared with socket.io (max connections, per IP, rate).
  void on_admission(engineio::server::admission_handler handler) {
    on_admission_ = std::move(handler);
  }

  boost::asio::awaitable<engineio::connection_next> handle(engineio::plain_or_tls_stream& stream,
                                                           engineio::http_request& request);

  // Ends every stream with `event: error` (the server is shutting down).
  void close_all();
  // Stops every stream at once (after close_all had its time).
  void end_all();
  std::size_t stream_count() const { return streams_.size(); }
  std::size_t queued_bytes() const;
  // The most one stream has held queued since start (streams ended included).
  std::size_t peak_queued_bytes() const;
  const stream_options& options() const { return options_; }

 private:
  boost::asio::awaitable<engineio::connection_next> respond(engineio::plain_or_tls_stream& stream,
                                                            const engineio::http_request& request,
                                                            unsigned status, std::string body,
                                                            std::string_view www_authenticate = {});
  void add_cors(const engineio::http_request& request, engineio::http_response& response) const;

  gateway::gateway& gateway_;
  stream_options options_;
  request_limits limits_;
  engineio::server::admission_handler on_admission_;
  std::set<std::shared_ptr<stream_connection>> streams_;
  std::size_t peak_of_ended_ = 0;  // peak_queued_bytes of the streams already ended
};

}  // namespace kasocki::sse
