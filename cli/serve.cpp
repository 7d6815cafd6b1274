// `kasocki serve`: the gateway. Parses options (command line over config file), wires the
// Kafka layer, the Engine.IO/Socket.IO servers and the gateway on one event-loop thread, and
// runs until SIGINT/SIGTERM.
#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/write.hpp>

#include "cli/endpoint.hpp"
#include "cli/serve_config.hpp"
#include "cli/subcommands.hpp"
#include "libkasocki/common/log.hpp"
#include "libkasocki/common/metrics.hpp"
#include "libkasocki/common/run_loop.hpp"
#include "libkasocki/gateway/gateway.hpp"
#include "libkasocki/http/limits.hpp"
#include "libkasocki/http/listener.hpp"
#include "libkasocki/http/static_files.hpp"
#include "libkasocki/kafka/client_context.hpp"
#include "libkasocki/kafka/metadata_cache.hpp"
#include "libkasocki/kafka/statistics.hpp"
#include "libkasocki/sse/stream_server.hpp"

namespace kasocki::cli {

namespace {

// Every client holds a socket (and, with a private reader, Kafka sockets): the default soft limit
// of 1024 descriptors would refuse connections long before memory or CPU run out. Raises the soft
// RLIMIT_NOFILE to the hard limit and returns both (after the raise).
std::pair<rlim_t, rlim_t> raise_open_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return {0, 0};
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return {limit.rlim_cur, limit.rlim_max};
}

void route_health(http::listener& listener, kafka::metadata_cache& metadata) {
  listener.route(
      "/healthz",
      [&metadata](auto& stream, auto& request) -> boost::asio::awaitable<http::connection_next> {
        auto snapshot = metadata.snapshot();
        bool healthy = snapshot && snapshot->healthy;
        nlohmann::ordered_json body{{"status", healthy ? "ok" : "unavailable"},
                                    {"kafka", healthy ? "reachable" : "unreachable"}};
        if (snapshot && snapshot->last_error) body["error"] = snapshot->last_error->message;
        auto response = http::json_response(request, healthy ? 200 : 503, body.dump());
        auto [ec, n] = co_await boost::beast::http::async_write(
            stream, response, boost::asio::as_tuple(boost::asio::use_awaitable));
        co_return ec ? http::connection_next::close : http::connection_next::keep_alive;
      });
}

// GET /metrics: every counter of the process in the Prometheus text format.
void route_metrics(http::listener& listener) {
  listener.route("/metrics",
                 [](auto& stream, auto& request) -> boost::asio::awaitable<http::connection_next> {
                   namespace bhttp = boost::beast::http;
                   http::http_response response{bhttp::status::ok, request.version()};
                   response.set(bhttp::field::content_type, metrics::content_type);
                   response.set(bhttp::field::cache_control, "no-store");
                   response.body() = metrics::global().render();
                   response.keep_alive(request.keep_alive());
                   response.prepare_payload();
                   auto [ec, n] = co_await bhttp::async_write(
                       stream, response, boost::asio::as_tuple(boost::asio::use_awaitable));
                   co_return ec || !response.keep_alive() ? http::connection_next::close
                                                          : http::connection_next::keep_alive;
                 });
}

// The families computed at scrape time from event-loop state, and the ones that must be listed
// (at 0) before their first increment. Removed again by the returned guard.
std::shared_ptr<void> register_metrics(engineio::server& engine, sse::stream_server& streams,
                                       kafka::metadata_cache& metadata) {
  auto& r = metrics::global();
  r.collect("kasocki_connections", metrics::metric_type::gauge, [&engine, &streams] {
    std::size_t counts[2][2] = {};  // [websocket][eio 4]
    for (const auto& [sid, s] : engine.sessions())
      ++counts[s->transport() == engineio::transport_kind::websocket][s->protocol() >= 4];
    std::vector<metrics::sample> out;
    for (int ws : {0, 1})
      for (int v4 : {0, 1})
        out.push_back({{{"transport", ws ? "websocket" : "polling"}, {"eio", v4 ? "4" : "3"}},
                       static_cast<double>(counts[ws][v4])});
    out.push_back({{{"transport", "sse"}}, static_cast<double>(streams.stream_count())});
    return out;
  });
  r.collect("kasocki_send_queue_bytes", metrics::metric_type::gauge, [&engine, &streams] {
    return std::vector<metrics::sample>{
        {{}, static_cast<double>(engine.queued_bytes() + streams.queued_bytes())}};
  });
  r.collect("kasocki_send_queue_peak_bytes", metrics::metric_type::gauge, [&engine, &streams] {
    return std::vector<metrics::sample>{
        {{},
         static_cast<double>(std::max(engine.peak_queued_bytes(), streams.peak_queued_bytes()))}};
  });
  r.collect("kasocki_kafka_reachable", metrics::metric_type::gauge, [&metadata] {
    auto snapshot = metadata.snapshot();
    return std::vector<metrics::sample>{{{}, snapshot && snapshot->healthy ? 1.0 : 0.0}};
  });
  r.gauge("kasocki_sessions_subscribed");
  r.gauge("kasocki_sessions_started");
  for (auto name : {"kasocki_messages_delivered_total", "kasocki_bytes_delivered_total",
                    "kasocki_messages_filtered_total", "kasocki_deserialization_errors_total"})
    r.counter(name);
  r.declare("kasocki_errors_total", metrics::metric_type::counter);
  r.declare("kasocki_limit_rejections_total", metrics::metric_type::counter);
  return std::shared_ptr<void>(nullptr, [&r](void*) {
    r.collect("kasocki_connections", metrics::metric_type::gauge, nullptr);
    r.collect("kasocki_kafka_reachable", metrics::metric_type::gauge, nullptr);
    r.collect("kasocki_send_queue_bytes", metrics::metric_type::gauge, nullptr);
    r.collect("kasocki_send_queue_peak_bytes", metrics::metric_type::gauge, nullptr);
  });
}

}  // namespace

int serve_main(int argc, char** argv) {
  serve_config config;
  if (auto status = parse_serve_config(argc, argv, config)) return *status;
  log::set_level(config.log_level);
  auto [open_files, open_files_hard] = raise_open_file_limit();
  log::info("open file limit", {{"soft", static_cast<std::uint64_t>(open_files)},
                                {"hard", static_cast<std::uint64_t>(open_files_hard)}});

  boost::asio::io_context io;
  // Before the Kafka context: its worker pool hands statistics over until it is joined.
  kafka::statistics kafka_statistics(metrics::global());
  config.kafka.statistics = [&kafka_statistics](const std::string& handle, const std::string& role,
                                                const std::string& json) {
    if (json.empty())
      kafka_statistics.closed(handle);
    else
      kafka_statistics.update(handle, json, role);
  };
  // Destroyed after the Kafka context, whose destructor waits for every consumer's close.
  struct stopped_log {
    const kafka::statistics& kafka;
    ~stopped_log() { log::info("stopped", {{"kafka_consumers_open", kafka.consumers()}}); }
  } stopped{kafka_statistics};
  auto kafka_context = kafka::client_context::create(io.get_executor(), config.kafka);
  if (!kafka_context) {
    std::cerr << "kasocki serve: " << kafka_context.error().message << "\n";
    return 2;
  }
  kafka::metadata_cache metadata(*kafka_context.value());
  http::admission_control admission(config.admission);  // outlives the sessions' tickets
  config.engine.on_limit_rejection = [](std::string_view limit) {
    metrics::global()
        .counter("kasocki_limit_rejections_total", {{"limit", std::string(limit)}})
        .inc();
  };
  engineio::server engine(io.get_executor(), config.engine);
  engine.on_admission(http::make_admission_handler(admission));
  socketio::server sio(io.get_executor(), engine, config.socketio);
  std::unique_ptr<auth::authenticator> authenticator;
  if (config.auth.enabled()) {
    auto created = auth::authenticator::create(config.auth);
    if (!created) {
      std::cerr << "kasocki serve: " << created.error() << "\n";
      return 2;
    }
    authenticator = std::move(created.value());
    log::info("client tokens required", {{"keys", authenticator->key_count()}});
  }
  gateway::gateway gateway(*kafka_context.value(), metadata, sio, config.gateway,
                           authenticator.get());

  if (!config.tls_cert.empty()) {
    std::string error;
    config.http.tls = http::load_tls_context(config.tls_cert, config.tls_key, error);
    if (!config.http.tls) {
      std::cerr << "kasocki serve: " << error << "\n";
      return 2;
    }
  }
  http::listener listener(io.get_executor(), config.http);
  listener.on_socket(http::make_socket_admission_handler(admission));
  listener.route(
      config.path,
      [&engine](auto& stream, auto& request) { return engine.handle(stream, request); },
      [&engine](const auto& headers) { engine.payload_too_large(headers); });
  sse::stream_server streams(gateway, config.sse);
  streams.on_admission(http::make_admission_handler(admission));
  listener.route(config.sse.path, [&streams](auto& stream, auto& request) {
    return streams.handle(stream, request);
  });
  route_health(listener, metadata);
  route_metrics(listener);
  auto metrics_guard = register_metrics(engine, streams, metadata);
  if (config.ui) http::route_ui(listener, config.path, {config.ui_assets}, config.sse.path);
  if (auto ec = listener.listen(config.listen)) {
    log::error("cannot listen", {{"address", config.listen_text}, {"error", ec.message()}});
    return 1;
  }
  metadata.start();
  listener.start();
  log::info("kasocki serve listening", {{"address", config.listen_text},
                                        {"scheme", config.http.tls ? "https" : "http"},
                                        {"path", config.path},
                                        {"sse_path", config.sse.path},
                                        {"brokers", config.kafka.brokers}});

  // SIGHUP reads the key files again (key rotation); the clients connected stay, and a file that
  // cannot be used leaves the keys in use as they were. Without keys SIGHUP is left alone.
  boost::asio::signal_set reload_signals(io);
  std::function<void()> wait_reload = [&] {
    reload_signals.async_wait([&](auto ec, int) {
      if (ec) return;
      if (auto reloaded = authenticator->reload(); reloaded)
        log::info("keys reloaded", {{"keys", authenticator->key_count()}});
      else
        log::error("keys not reloaded: the keys in use stay", {{"error", reloaded.error()}});
      wait_reload();
    });
  };
  if (authenticator) {
    reload_signals.add(SIGHUP);
    wait_reload();
  }

  // Shutdown: stop accepting, tell every client (Engine.IO close), wait until the sessions are
  // gone (their Kafka consumers close on the worker pool) or the deadline, then exit 0. The
  // whole process must be gone within 5 s (orchestrators kill after their grace period).
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  boost::asio::steady_timer drain(io);
  auto deadline = std::chrono::steady_clock::now();
  std::function<void()> wait_drained = [&] {
    if ((engine.session_count() == 0 && streams.stream_count() == 0) ||
        std::chrono::steady_clock::now() >= deadline)
      return io.stop();
    drain.expires_after(std::chrono::milliseconds(20));  // sessions end without an event here
    drain.async_wait([&](auto ec) {
      if (!ec) wait_drained();
    });
  };
  signals.async_wait([&](auto ec, int signal) {
    if (ec) return;
    log::info("shutting down", {{"signal", signal}, {"sessions", engine.session_count()}});
    listener.stop();
    metadata.stop();
    reload_signals.cancel();
    engine.close_all();   // every client gets an Engine.IO close
    streams.close_all();  // and every SSE stream an `event: error`, then its end
    // A second signal exits at once.
    signals.async_wait([](auto ec, int) {
      if (!ec) std::_Exit(1);
    });
    deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    wait_drained();
    // Closing a Kafka handle can block for many seconds (librdkafka waits on partitions of a
    // topic deleted meanwhile); nothing is committed or written, so past the grace period the
    // process exits without waiting for it.
    std::thread([] {
      std::this_thread::sleep_for(std::chrono::milliseconds(4500));
      log::warn("Kafka handles still closing: exiting without them");
      std::_Exit(0);
    }).detach();
  });
  run_with_busy_poll(io, config.busy_poll);
  engine.end_all();  // sessions that never polled for their close end now
  streams.end_all();
  io.restart();
  io.run_for(std::chrono::milliseconds(200));  // their disconnect handlers release Kafka
  return 0;
}

}  // namespace kasocki::cli
