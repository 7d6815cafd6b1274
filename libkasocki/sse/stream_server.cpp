// See stream_server.hpp.
#include "libkasocki/sse/stream_server.hpp"

#include <algorithm>
#include <chrono>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>

#include "libkasocki/common/log.hpp"
#include "libkasocki/common/metrics.hpp"
#include "libkasocki/gateway/authorization.hpp"
#include "libkasocki/gateway/client_session.hpp"
#include "libkasocki/gateway/subscribe_resolve.hpp"
#include "libkasocki/http/listener.hpp"
#include "libkasocki/socketio/query_auth.hpp"
#include "libkasocki/sse/event_format.hpp"
#include "libkasocki/sse/stream_connection.hpp"

namespace kasocki::sse {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using asio::as_tuple;
using asio::use_awaitable;
using engineio::connection_next;

namespace {

using resolved = gateway::result<std::vector<kafka::resolved_assignment>>;

// The HTTP status of an error found while the stream is set up.
unsigned status_of(const gateway::kasocki_error& error) {
  if (error.name == "TopicNotAvailableError") return 404;
  if (error.name == "KafkaError" || error.name == "KafkaUnavailableError") return 503;
  return 400;
}

// The JSON body of an error before the 200. The request's bytes it may echo (a topic of the
// path, the filters) need not be UTF-8: invalid sequences are replaced, never thrown on.
std::string error_body(const gateway::kasocki_error& error) {
  return gateway::to_json(error, "sse")
      .dump(-1, ' ', false, gateway::json::error_handler_t::replace);
}

// The resolution answers through a callback; the request's coroutine waits for it on a timer.
struct resolve_wait {
  explicit resolve_wait(asio::any_io_executor executor) : done(executor) {
    done.expires_at(std::chrono::steady_clock::time_point::max());
  }
  std::optional<resolved> value;
  asio::steady_timer done;
};

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Where each partition starts, as the first id says it before any message: the offset Kafka
// resolved, and the time asked for (Last-Event-ID timestamp, `since`) or else now.
stream_positions start_positions(const stream_request& request,
                                 const std::vector<kafka::resolved_assignment>& assignments) {
  std::vector<stream_positions::entry> entries;
  const auto now = now_ms();
  for (const auto& a : assignments) {
    std::int64_t time = request.since.value_or(now);
    for (const auto& r : request.assignments)
      if (r.topic == a.topic && r.partition == a.partition && r.timestamp) time = *r.timestamp;
    entries.push_back({a.topic, a.partition, a.offset, time});
  }
  return stream_positions(std::move(entries));
}

}  // namespace

stream_server::stream_server(gateway::gateway& gateway, stream_options options)
    : gateway_(gateway), options_(std::move(options)) {
  limits_.subscribe = gateway_.options().subscribe;
  limits_.filters = gateway_.options().filters;
}

std::size_t stream_server::queued_bytes() const {
  std::size_t total = 0;
  for (const auto& s : streams_) total += s->queued_bytes();
  return total;
}

std::size_t stream_server::peak_queued_bytes() const {
  std::size_t peak = peak_of_ended_;
  for (const auto& s : streams_) peak = std::max(peak, s->peak_queued_bytes());
  return peak;
}

void stream_server::close_all() {
  auto streams = streams_;
  gateway::kasocki_error error{"ServerShutdownError", "the server is shutting down", {}};
  for (const auto& s : streams) s->close_with(gateway::to_json(error, "message"));
}

void stream_server::end_all() {
  auto streams = streams_;
  for (const auto& s : streams) s->abort();
}

void stream_server::add_cors(const engineio::http_request& request,
                             engineio::http_response& response) const {
  // As the Engine.IO server answers socket.io clients.
  if (options_.cors_origins.empty()) return;
  auto origin = request[bhttp::field::origin];
  if (options_.cors_origins.front() == "*" && origin.empty()) {
    response.set(bhttp::field::access_control_allow_origin, "*");
    return;
  }
  for (const auto& allowed : options_.cors_origins) {
    if (allowed == "*" || allowed == origin) {
      response.set(bhttp::field::access_control_allow_origin, origin);
      response.set(bhttp::field::access_control_allow_credentials, "true");
      response.set(bhttp::field::vary, "Origin");
      return;
    }
  }
}

asio::awaitable<connection_next> stream_server::respond(engineio::plain_or_tls_stream& stream,
                                                        const engineio::http_request& request,
                                                        unsigned status, std::string body,
                                                        std::string_view www_authenticate) {
  auto response = http::json_response(request, status, std::move(body));
  add_cors(request, response);
  if (!www_authenticate.empty()) response.set(bhttp::field::www_authenticate, www_authenticate);
  if (status == 405) response.set(bhttp::field::allow, "GET, HEAD, OPTIONS");
  if (request.method() == bhttp::verb::head) response.body().clear();
  response.prepare_payload();
  auto [ec, n] = co_await bhttp::async_write(stream, response, as_tuple(use_awaitable));
  co_return (ec || !response.keep_alive()) ? connection_next::close : connection_next::keep_alive;
}

asio::awaitable<connection_next> stream_server::handle(engineio::plain_or_tls_stream& stream,
                                                       engineio::http_request& request) {
  if (request.method() == bhttp::verb::options) {
    engineio::http_response response{bhttp::status::no_content, request.version()};
    add_cors(request, response);
    response.set(bhttp::field::allow, "GET, HEAD, OPTIONS");
    response.set(bhttp::field::access_control_allow_methods, "GET, HEAD, OPTIONS");
    if (auto headers = request[bhttp::field::access_control_request_headers]; !headers.empty())
      response.set(bhttp::field::access_control_allow_headers, headers);
    response.keep_alive(request.keep_alive());
    response.prepare_payload();
    auto [ec, n] = co_await bhttp::async_write(stream, response, as_tuple(use_awaitable));
    co_return (ec || !response.keep_alive()) ? connection_next::close : connection_next::keep_alive;
  }
  if (request.method() != bhttp::verb::get && request.method() != bhttp::verb::head)
    co_return co_await respond(stream, request, 405, R"({"error":"method not allowed"})");

  // With keys configured, a stream needs a token: Authorization: Bearer, or ?access_token= for
  // EventSource (which cannot set headers). Checked first: nothing about topics is told without.
  auth::identity identity;
  if (const auto* authenticator = gateway_.authenticator()) {
    auto authorization = request[bhttp::field::authorization];
    std::string token(
        auth::bearer_token(std::string_view(authorization.data(), authorization.size())));
    if (token.empty()) {
      auto query =
          socketio::query_auth(std::string_view(request.target().data(), request.target().size()));
      if (auto t = query.find("access_token"); t != query.end() && t->is_string())
        token = t->get<std::string>();
    }
    auto verified = authenticator->verify(token);
    if (!verified) {
      auto error = gateway::authentication_error(verified.error());
      metrics::global().counter("kasocki_errors_total", {{"name", error.name}}).inc();
      const bool none = verified.error().kind == auth::auth_errc::missing;
      co_return co_await respond(
          stream, request, 401, error_body(error),
          none ? "Bearer realm=\"kasocki\"" : "Bearer realm=\"kasocki\", error=\"invalid_token\"");
    }
    identity = std::move(*verified);
  }
  // Held from here: streams of one subject opening together count each other.
  auto subject_ticket = gateway_.reserve_subject(identity.subject);
  if (!subject_ticket) {
    metrics::global()
        .counter("kasocki_limit_rejections_total", {{"limit", "max-connections-per-subject"}})
        .inc();
    co_return co_await respond(
        stream, request, 429,
        error_body(gateway::subject_limit_error(
            gateway_.authenticator()->options().max_connections_per_subject)));
  }

  request_headers headers;
  if (auto it = request.find("Last-Event-ID"); it != request.end())
    headers.last_event_id = std::string_view(it->value().data(), it->value().size());
  auto accept = request[bhttp::field::accept];
  headers.accept = std::string_view(accept.data(), accept.size());
  auto parsed = parse_stream_request(
      std::string_view(request.target().data(), request.target().size()), options_.path, headers,
      options_.timestamp_ids ? id_format::timestamp : id_format::offset, limits_);
  if (!parsed) {
    auto error = parsed.error().error;
    if (parsed.error().kind == request_errc::no_topic) {
      auto snapshot = gateway_.metadata().snapshot();
      gateway::topic_partitions metadata;
      if (snapshot) metadata.insert(snapshot->topics.begin(), snapshot->topics.end());
      error.details["availableTopics"] =
          gateway::available_topics(metadata, gateway_.options().allowed_topics, identity.topics);
    }
    metrics::global().counter("kasocki_errors_total", {{"name", error.name}}).inc();
    co_return co_await respond(stream, request, http_status(parsed.error().kind),
                               error_body(error));
  }
  auto& want = *parsed;

  std::shared_ptr<void> ticket;
  if (on_admission_) {
    boost::system::error_code ec;
    auto peer = stream.next_layer().socket().remote_endpoint(ec).address();
    auto verdict = on_admission_(request, peer);
    if (verdict.status != 0)
      co_return co_await respond(stream, request, verdict.status, std::move(verdict.body));
    ticket = std::move(verdict.ticket);
  }

  auto wait = std::make_shared<resolve_wait>(stream.get_executor());
  gateway::resolve_stream(
      gateway_, want.assignments,
      [wait](resolved r) {
        wait->value = std::move(r);
        wait->done.cancel();
      },
      identity.topics);
  co_await wait->done.async_wait(as_tuple(use_awaitable));
  if (!wait->value) co_return connection_next::close;
  if (!*wait->value) {
    const auto& error = wait->value->error();
    metrics::global().counter("kasocki_errors_total", {{"name", error.name}}).inc();
    co_return co_await respond(stream, request, status_of(error), error_body(error));
  }
  auto assignments = std::move(wait->value->value());

  bhttp::response<bhttp::empty_body> head{bhttp::status::ok, request.version()};
  head.set(bhttp::field::content_type,
           want.ndjson ? "application/json; charset=utf-8" : "text/event-stream; charset=utf-8");
  head.set(bhttp::field::cache_control, "no-cache");
  head.set("X-Accel-Buffering", "no");  // proxies that buffer responses (nginx) must not
  {
    engineio::http_response cors;
    add_cors(request, cors);
    for (const auto& field : cors) head.set(field.name_string(), field.value());
  }
  const bool chunked = request.version() >= 11;
  if (chunked) head.chunked(true);
  head.keep_alive(chunked && request.keep_alive());
  if (request.method() == bhttp::verb::head) {
    head.content_length(boost::none);
    bhttp::response_serializer<bhttp::empty_body> serializer{head};
    serializer.split(true);
    auto [ec, n] = co_await bhttp::async_write_header(stream, serializer, as_tuple(use_awaitable));
    co_return ec || !head.keep_alive() ? connection_next::close : connection_next::keep_alive;
  }
  bhttp::response_serializer<bhttp::empty_body> serializer{head};
  auto [ec, n] = co_await bhttp::async_write_header(stream, serializer, as_tuple(use_awaitable));
  if (ec) co_return connection_next::close;

  auto connection = std::make_shared<stream_connection>(
      stream, stream_connection::framing{chunked, want.ndjson, want.ids},
      start_positions(want, assignments), options_);
  if (!want.ndjson) connection->send_raw(std::string(ok_comment));
  streams_.insert(connection);
  log::debug(
      "sse stream opened",
      {{"topics", want.topics}, {"partitions", assignments.size()}, {"ndjson", want.ndjson}});
  auto session = gateway_.open_stream(connection, assignments, std::move(want.filters),
                                      std::move(identity), std::move(subject_ticket));
  co_await connection->run();
  session.reset();
  peak_of_ended_ = std::max(peak_of_ended_, connection->peak_queued_bytes());
  streams_.erase(connection);
  log::debug("sse stream closed", {{"topics", want.topics}});
  co_return connection_next::close;
}

}  // namespace kasocki::sse
