// See serve_config.hpp.
#include "cli/serve_config.hpp"

#include <cctype>
#include <fstream>
#include <iostream>
#include <sstream>

#include <boost/algorithm/string/classification.hpp>
#include <boost/algorithm/string/split.hpp>
#include <nlohmann/json.hpp>

#include "cli/endpoint.hpp"
#include "cli/serve_auth.hpp"
#include "cli/usage.hpp"

namespace kasocki::cli {

namespace {

constexpr const char* summary =
    "Run the Kasocki gateway: socket.io clients (path /socket.io/) read Kafka topics.\n"
    "Options may also come from --config FILE, a JSON object (comments allowed) whose keys are\n"
    "the long option names (e.g. {\"brokers\": \"k1:9092\", \"X\": [\"security.protocol=SSL\"]});\n"
    "the command line wins over the file. --print-config shows the result, secrets masked.";

// Turns the config file into command-line tokens, each with the option it sets. They are
// stored after the real command line, and only for options the command line did not set, so that
// the command line wins (also for repeatable options, which would otherwise add up).
using file_token = std::pair<std::string, std::string>;  // option name, token
std::optional<std::vector<file_token>> config_file_tokens(const std::string& path,
                                                          std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = "cannot read config file '" + path + "'";
    return std::nullopt;
  }
  // Comments (// and /* */) are allowed, so a config file can explain itself.
  auto doc =
      nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/true);
  if (doc.is_discarded() || !doc.is_object()) {
    error = "config file '" + path + "' is not a JSON object";
    return std::nullopt;
  }
  std::vector<file_token> tokens;
  auto scalar = [](const nlohmann::json& v) {
    return v.is_string() ? v.get<std::string>() : v.dump();
  };
  for (const auto& [key, value] : doc.items()) {
    if (key == "config") continue;
    std::string flag = key.size() == 1 ? "-" + key : "--" + key;
    if (value.is_boolean()) {
      if (value.get<bool>()) tokens.emplace_back(key, flag);
    } else if (value.is_array()) {
      for (const auto& item : value)
        tokens.emplace_back(key, flag + (key.size() == 1 ? "" : "=") + scalar(item));
    } else if (value.is_object()) {  // "X": {"k": "v"}
      for (const auto& [k, v] : value.items()) tokens.emplace_back(key, flag + k + "=" + scalar(v));
    } else {
      tokens.emplace_back(key, flag + (key.size() == 1 ? "" : "=") + scalar(value));
    }
  }
  return tokens;
}

std::vector<std::string> split_list(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& v : values) {
    std::vector<std::string> parts;
    boost::split(parts, v, boost::is_any_of(","));
    for (auto& p : parts)
      if (!p.empty()) out.push_back(p);
  }
  return out;
}

bool is_secret_property(std::string_view name) {
  std::string lower(name);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view word : {"password", "secret", "key"})
    if (lower.find(word) != std::string::npos) return true;
  return false;
}

// The value of one parsed option as JSON (null when its type is not one of ours).
nlohmann::ordered_json option_value(const boost::any& value) {
  if (auto* v = boost::any_cast<std::string>(&value)) return *v;
  if (auto* v = boost::any_cast<std::vector<std::string>>(&value)) return *v;
  if (auto* v = boost::any_cast<long>(&value)) return *v;
  if (auto* v = boost::any_cast<int>(&value)) return *v;
  if (auto* v = boost::any_cast<unsigned>(&value)) return *v;
  if (auto* v = boost::any_cast<unsigned long>(&value)) return *v;
  if (auto* v = boost::any_cast<double>(&value)) return *v;
  if (auto* v = boost::any_cast<bool>(&value)) return *v;
  return nullptr;
}

}  // namespace

nlohmann::ordered_json effective_config(const po::options_description& options,
                                        const po::variables_map& vm) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& option : options.options()) {
    const std::string& name = option->long_name();
    if (name == "help" || name == "config" || name == "print-config") continue;
    if (option->semantic()->max_tokens() == 0) {  // a flag: given or not
      out[name] = vm.count(name) > 0;
      continue;
    }
    if (!vm.count(name)) continue;
    auto value = option_value(vm[name].value());
    if (name == "X" && value.is_array()) {
      for (auto& item : value) {  // key=value: the value of a secret is masked
        auto text = item.get<std::string>();
        auto eq = text.find('=');
        if (eq != std::string::npos && is_secret_property(text.substr(0, eq)))
          item = text.substr(0, eq + 1) + "***";
      }
    }
    out[name] = std::move(value);
  }
  return out;
}

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0 || digits > 9 || text.size() > digits + 1) return std::nullopt;
  const long number = std::stol(std::string(text.substr(0, digits)));
  const char unit = digits < text.size() ? text[digits] : 's';
  switch (unit) {
    case 's':
      return std::chrono::seconds(number);
    case 'm':
      return std::chrono::minutes(number);
    case 'h':
      return std::chrono::hours(number);
    case 'd':
      return std::chrono::hours(24 * number);
    default:
      return std::nullopt;
  }
}

std::optional<int> parse_serve_config(int argc, char** argv, serve_config& config) {
  po::options_description options("Options");
  std::vector<std::string> properties, allowed, cors;
  std::string brokers, log_level, config_file;
  long ping_interval = 0, ping_timeout = 0;
  std::size_t max_payload = 0;
  long idle = 0, http_idle = 0, http_header = 0, stall = 0, tail_linger_ms = 0, busy_poll_us = 0;
  long history_idle_ms = 0, sse_keepalive = 0, sse_max_duration = 0, sse_write_interval_ms = 0;
  std::size_t tail_window_kib = 0, history_cache_mib = 0;
  std::string recovery_secret_file, recovery_window;
  options.add_options()("listen", po::value(&config.listen_text)->default_value("0.0.0.0:6927"),
                        "HOST:PORT to listen on")(
      "brokers", po::value(&brokers)->default_value("localhost:9092"),
      "Kafka bootstrap servers, comma separated")(
      "X,X", po::value(&properties)->composing(),
      "librdkafka property key=value (repeatable), e.g. -X auto.offset.reset=earliest")(
      "allowed-topics", po::value(&allowed)->composing(),
      "topics clients may consume, comma separated (default: all)")(
      "config", po::value(&config_file), "JSON config file with any of these options")(
      "log-level", po::value(&log_level)->default_value("info"), "debug, info, warn, error or off")(
      "path", po::value(&config.path)->default_value("/socket.io/"), "socket.io path")(
      "cors-origin", po::value(&cors)->composing(), "allowed CORS origin (repeatable; default *)")(
      "ping-interval", po::value(&ping_interval)->default_value(25000),
      "Engine.IO ping interval, ms")("ping-timeout", po::value(&ping_timeout)->default_value(20000),
                                     "Engine.IO ping timeout, ms")(
      "max-payload", po::value(&max_payload)->default_value(1'000'000),
      "largest client packet, bytes")(
      "polling-max-packets", po::value(&config.engine.polling_max_packets)->default_value(16),
      "packets in one long-polling answer (0: all queued); python-socketio's client takes 16 at "
      "most")(
      "send-queue-kib", po::value(&config.engine.send_queue_limit)->default_value(1024),
      "KiB queued for one client and not yet written (every packet counts) before the server "
      "stops reading it")(
      "feed-queue-kib", po::value(&config.engine.feed_limit)->default_value(256),
      "KiB of messages queued for one client and not yet written before the server stops "
      "feeding it: the rest waits in the shared store, refilled as the socket drains (at most "
      "--send-queue-kib)")("no-eio3", "refuse Engine.IO v3 (socket.io 2.x) clients")(
      "no-ui", "do not serve the live page at / nor the socket.io client script")(
      "ui-assets", po::value(&config.ui_assets),
      "serve the page's files from DIR before the built-in copies")(
      "tls-cert", po::value(&config.tls_cert),
      "PEM certificate chain: serve https and wss (needs --tls-key)")(
      "tls-key", po::value(&config.tls_key), "PEM private key of --tls-cert")(
      "recovery-secret-file", po::value(&recovery_secret_file),
      "turn on socket.io connection state recovery: the secret that signs pids and cursors, "
      "one per line (the first signs, the others still verify: rotation)")(
      "recovery-window", po::value(&recovery_window)->default_value("24h"),
      "how old a recovery cursor may be: seconds, or a number with s, m, h or d")(
      "print-config", "print the effective configuration as JSON (secrets masked) and exit")(
      "sse-path", po::value(&config.sse.path)->default_value("/v2/stream/"),
      "Server-Sent Events path: GET <path>TOPIC[,TOPIC...]")(
      "sse-keepalive", po::value(&sse_keepalive)->default_value(15),
      "seconds without a write after which an SSE stream gets a comment line")(
      "sse-timestamp-ids", "SSE event ids carry timestamps instead of offsets")(
      "sse-max-duration", po::value(&sse_max_duration)->default_value(0),
      "seconds after which an SSE stream is ended (clients resume with Last-Event-ID; 0: never)")(
      "sse-write-interval-ms", po::value(&sse_write_interval_ms)->default_value(5),
      "milliseconds an SSE stream with little queued waits after a write before the next, so "
      "that busy streams send several events per write (0: each at once)")
      // Limits: each refusal names its option and counts in kasocki_limit_rejections_total.
      ("max-connections", po::value(&config.admission.max_connections)->default_value(10'000),
       "open sessions in total (0: no limit); more get HTTP 429")(
          "max-connections-per-ip",
          po::value(&config.admission.max_connections_per_ip)->default_value(64),
          "open sessions per client address (0: no limit); more get HTTP 429")(
          "max-sockets-per-ip", po::value(&config.admission.max_sockets_per_ip)->default_value(128),
          "open connections per peer address, whatever they carry (0: no limit; a trusted "
          "proxy's are not counted); more get HTTP 429 and are closed")(
          "new-sessions-per-ip-per-second",
          po::value(&config.admission.new_sessions_per_ip_per_second)->default_value(20),
          "new sessions per client address per second, sustained (0: no limit)")(
          "new-sessions-burst", po::value(&config.admission.new_sessions_burst)->default_value(40),
          "new sessions one client address may open at once")(
          "trusted-proxy", po::value(&config.admission.trusted_proxies)->composing(),
          "address or CIDR network of a reverse proxy whose X-Forwarded-For names the client "
          "(repeatable, comma separated)")(
          "max-http-header-bytes", po::value(&config.http.header_limit)->default_value(8 * 1024),
          "request line + headers, bytes (at most 65535: one field cannot be longer); more get "
          "HTTP "
          "431")("http-idle-timeout", po::value(&http_idle)->default_value(60),
                 "seconds a keep-alive connection may wait for its next request")(
          "http-header-timeout", po::value(&http_header)->default_value(10),
          "seconds a request's line and headers may take from its first byte (a new "
          "connection's first request: from the connect); later it gets HTTP 408 and a close")(
          "max-subscribe-items",
          po::value(&config.gateway.subscribe.max_items)->default_value(1000),
          "assignments in one subscribe")(
          "max-outstanding-consumes",
          po::value(&config.gateway.max_outstanding_consumes)->default_value(1000),
          "consume calls waiting per client")(
          "max-pending-events", po::value(&config.gateway.max_pending_events)->default_value(100),
          "events a client may send before `ready` or while its subscribe is answered (they wait "
          "to be handled in order); more get TooManyPendingEventsError and a disconnect")(
          "max-filter-keys", po::value(&config.gateway.filters.max_keys)->default_value(32),
          "entries in one filters object")(
          "max-filter-depth", po::value(&config.gateway.filters.max_depth)->default_value(16),
          "segments in one dotted filter path")(
          "max-filter-pattern", po::value(&config.gateway.filters.max_pattern)->default_value(1000),
          "characters of one /regex/ filter")(
          "idle-timeout", po::value(&idle)->default_value(600),
          "seconds a session may go without subscribe, consume or start (and nothing pending) "
          "before it is disconnected (0: never)")(
          "stall-timeout", po::value(&stall)->default_value(60),
          "seconds a client with messages to take (started, or consumes waiting) may read "
          "nothing while its send queue is full before it is disconnected (0: never)")(
          "tail-window-kib", po::value(&tail_window_kib)->default_value(65536),
          "KiB of the newest messages the live readers keep in memory whatever history does, "
          "all partitions together (0: none reserved, they are cached like history)")(
          "history-cache-mib", po::value(&history_cache_mib)->default_value(512),
          "MiB of history cached for clients behind the live windows (and of what left them), "
          "least recently read first out")(
          "history-fetchers", po::value(&config.gateway.tail.fetch.fetchers)->default_value(6),
          "Kafka consumers that fetch history for all clients together")(
          "history-job-offsets",
          po::value(&config.gateway.tail.fetch.job_offsets)->default_value(200000),
          "offsets one history fetch reads at most before its fetcher serves the next")(
          "history-share-distance",
          po::value(&config.gateway.tail.fetch.share_distance)->default_value(20000),
          "offsets a client may be ahead of a running history fetch and wait for it instead "
          "of starting its own")(
          "history-fetch-lead", po::value(&config.gateway.tail.fetch.lead)->default_value(128),
          "offsets a history fetch may run ahead of the furthest client reading behind it (4 "
          "times that for a client that reads fast)")(
          "history-fetch-turn", po::value(&config.gateway.tail.fetch.turn)->default_value(2000),
          "offsets a history fetch stores before it gives its fetcher to a waiting one")(
          "history-readahead", po::value(&config.gateway.tail.readahead)->default_value(64),
          "offsets before the end of a cached range at which the next ones are fetched")(
          "history-idle-ms", po::value(&history_idle_ms)->default_value(5000),
          "milliseconds a history fetch that gets nothing keeps its fetcher")(
          "tail-backfill", po::value(&config.gateway.tail.backfill)->default_value(1024),
          "messages per partition a new shared tail reads before the end")(
          "tail-linger-ms", po::value(&tail_linger_ms)->default_value(30000),
          "milliseconds a shared tail nobody reads stays open")(
          "busy-poll-us", po::value(&busy_poll_us)->default_value(0),
          "microseconds the event loop keeps polling before it sleeps: lower latency for "
          "clients in request/reply (consume) for CPU spent spinning (0: off)");
  auth_option_values auth_values;
  add_auth_options(options, auth_values);
  po::variables_map vm;
  std::vector<file_token> file_tokens;
  try {
    // First pass only for --config, so its tokens can go in before notify().
    po::options_description only_config;
    only_config.add_options()("config", po::value<std::string>());
    po::variables_map first;
    po::store(po::command_line_parser(argc, argv).options(only_config).allow_unregistered().run(),
              first);
    if (first.count("config")) {
      std::string error;
      auto tokens = config_file_tokens(first["config"].as<std::string>(), error);
      if (!tokens) {
        std::cerr << "kasocki serve: " << error << "\n";
        return 2;
      }
      file_tokens = std::move(*tokens);
    }
  } catch (const po::error&) {
    // reported by the full parse below
  }
  if (auto status = parse_or_exit("serve", summary, argc, argv, options, {}, vm)) return *status;
  std::vector<std::string> from_file;
  for (auto& [key, token] : file_tokens)
    if (!vm.count(key) || vm[key].defaulted()) from_file.push_back(std::move(token));
  if (!from_file.empty()) {
    try {
      po::store(po::command_line_parser(from_file).options(options).run(), vm);
      po::notify(vm);
    } catch (const po::error& e) {
      std::cerr << "kasocki serve: config file: " << e.what() << "\n";
      return 2;
    }
  }

  auto endpoint = parse_endpoint(config.listen_text);
  if (!endpoint) {
    std::cerr << "kasocki serve: invalid --listen '" << config.listen_text << "' (HOST:PORT)\n";
    return 2;
  }
  config.listen = *endpoint;
  if (!log::parse_level(log_level, config.log_level)) {
    std::cerr << "kasocki serve: invalid --log-level '" << log_level << "'\n";
    return 2;
  }
  config.kafka.brokers = brokers;
  for (const auto& p : properties) {
    auto kv = kafka::parse_property(p);
    if (!kv) {
      std::cerr << "kasocki serve: -X " << p << ": " << kv.error().message << "\n";
      return 2;
    }
    if (auto s = kafka::add_property(config.kafka, kv.value().first, kv.value().second); !s) {
      std::cerr << "kasocki serve: -X " << p << ": " << s.error().message << "\n";
      return 2;
    }
  }
  if (auto s = kafka::validate(config.kafka); !s) {
    std::cerr << "kasocki serve: " << s.error().message << "\n";
    return 2;
  }
  config.gateway.allowed_topics = split_list(allowed);
  config.engine.cors_origins = cors.empty() ? std::vector<std::string>{"*"} : split_list(cors);
  if (ping_interval <= 0 || ping_timeout <= 0 || max_payload == 0) {
    std::cerr << "kasocki serve: --ping-interval, --ping-timeout and --max-payload must be > 0\n";
    return 2;
  }
  config.engine.ping_interval = std::chrono::milliseconds(ping_interval);
  config.engine.ping_timeout = std::chrono::milliseconds(ping_timeout);
  config.engine.max_payload = max_payload;
  config.engine.send_queue_limit <<= 10;
  config.engine.feed_limit =
      std::min(config.engine.feed_limit << 10, config.engine.send_queue_limit);
  config.engine.allow_eio3 = !vm.count("no-eio3");
  if (idle < 0 || http_idle <= 0 || http_header <= 0 || stall < 0 || tail_linger_ms < 0 ||
      busy_poll_us < 0 || config.gateway.tail.backfill < 0 || config.http.header_limit == 0 ||
      config.gateway.tail.fetch.fetchers == 0 || config.gateway.tail.fetch.job_offsets <= 0 ||
      config.gateway.tail.fetch.turn <= 0 || config.gateway.tail.fetch.share_distance < 0 ||
      config.gateway.tail.readahead < 0 || config.gateway.tail.fetch.lead < 0 ||
      history_idle_ms <= 0 || config.gateway.subscribe.max_items == 0 ||
      config.gateway.max_outstanding_consumes == 0 || config.gateway.max_pending_events == 0 ||
      config.gateway.filters.max_keys == 0 || config.engine.send_queue_limit == 0 ||
      config.engine.feed_limit == 0 || config.gateway.filters.max_depth == 0 ||
      config.admission.new_sessions_per_ip_per_second < 0) {
    std::cerr
        << "kasocki serve: --idle-timeout, --stall-timeout, --tail-backfill, "
           "--tail-linger-ms, --busy-poll-us, --history-share-distance, --history-fetch-lead, "
           "--history-readahead "
           "and --new-sessions-per-ip-per-second must be >= 0, "
           "the other "
           "limits > 0\n";
    return 2;
  }
  config.gateway.idle_timeout = std::chrono::seconds(idle);
  config.gateway.stall_timeout = std::chrono::seconds(stall);
  config.gateway.tail.window_bytes = tail_window_kib << 10;
  config.gateway.tail.cache_bytes = history_cache_mib << 20;
  config.gateway.tail.fetch.idle = std::chrono::milliseconds(history_idle_ms);
  config.gateway.tail.linger = std::chrono::milliseconds(tail_linger_ms);
  config.http.idle_timeout = std::chrono::seconds(http_idle);
  config.http.header_timeout = std::chrono::seconds(http_header);
  config.busy_poll = std::chrono::microseconds(busy_poll_us);
  config.http.body_limit = max_payload;
  config.admission.trusted_proxies = split_list(config.admission.trusted_proxies);
  if (auto parsed = http::proxy_set::parse(config.admission.trusted_proxies); !parsed) {
    std::cerr << "kasocki serve: --trusted-proxy: " << parsed.error() << "\n";
    return 2;
  }
  if (config.tls_cert.empty() != config.tls_key.empty()) {
    std::cerr << "kasocki serve: --tls-cert and --tls-key go together\n";
    return 2;
  }
  if (auto window = parse_duration(recovery_window); !window || window->count() <= 0) {
    std::cerr << "kasocki serve: --recovery-window: a duration > 0 (e.g. 86400, 90m, 24h, 7d)\n";
    return 2;
  } else {
    config.gateway.recovery_window = *window;
  }
  if (!recovery_secret_file.empty()) {
    std::ifstream in(recovery_secret_file);
    std::stringstream text;
    text << in.rdbuf();
    auto secrets = recovery::parse_secret_lines(text.str());
    if (!in || secrets.empty()) {
      std::cerr << "kasocki serve: --recovery-secret-file " << recovery_secret_file
                << ": cannot be read or holds no secret\n";
      return 2;
    }
    config.gateway.recovery_keys = std::make_shared<recovery::recovery_keys>(std::move(secrets));
  }
  if (sse_keepalive <= 0 || sse_max_duration < 0 || sse_write_interval_ms < 0 ||
      sse_write_interval_ms > 1000) {
    std::cerr << "kasocki serve: --sse-keepalive must be > 0, --sse-max-duration >= 0, "
                 "--sse-write-interval-ms 0-1000\n";
    return 2;
  }
  config.sse.keepalive = std::chrono::seconds(sse_keepalive);
  config.sse.max_duration = std::chrono::seconds(sse_max_duration);
  config.sse.write_interval = std::chrono::milliseconds(sse_write_interval_ms);
  config.sse.timestamp_ids = vm.count("sse-timestamp-ids") > 0;
  config.sse.send_queue_limit = config.engine.feed_limit;
  config.sse.cors_origins = config.engine.cors_origins;
  if (config.sse.path.empty() || config.sse.path.front() != '/')
    config.sse.path = "/" + config.sse.path;
  if (config.sse.path.back() != '/') config.sse.path += '/';
  config.ui = !vm.count("no-ui");
  if (config.path.empty() || config.path.front() != '/') config.path = "/" + config.path;
  if (config.path.back() != '/') config.path += '/';
  if (auto error = finish_auth_options(auth_values, config.auth)) {
    std::cerr << "kasocki serve: " << *error << "\n";
    return 2;
  }
  if (vm.count("print-config")) {
    std::cout << effective_config(options, vm).dump(2) << "\n";
    return 0;
  }
  return std::nullopt;
}

}  // namespace kasocki::cli
