// See serve_config.hpp.
#include "cli/serve_config.hpp"

#include <fstream>
#include <iostream>
#include <sstream>

#include <boost/algorithm/string/classification.hpp>
#include <boost/algorithm/string/split.hpp>
#include <nlohmann/json.hpp>

#include "cli/endpoint.hpp"
#include "cli/usage.hpp"

namespace kasocki::cli {

namespace {

constexpr const char* summary =
    "Run the Kasocki gateway: socket.io clients (path /socket.io/) read Kafka topics.\n"
    "Options may also come from --config FILE, a JSON object whose keys are the long option\n"
    "names (e.g. {\"brokers\": \"k1:9092\", \"X\": [\"security.protocol=SSL\"]}); the command\n"
    "line wins over the file.";

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
  auto doc = nlohmann::json::parse(in, nullptr, false);
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

}  // namespace

std::optional<int> parse_serve_config(int argc, char** argv, serve_config& config) {
  po::options_description options("Options");
  std::vector<std::string> properties, allowed, cors;
  std::string brokers, log_level, config_file;
  long ping_interval = 0, ping_timeout = 0;
  std::size_t max_payload = 0;
  options.add_options()
      ("listen", po::value(&config.listen_text)->default_value("0.0.0.0:6927"), "HOST:PORT to listen on")
      ("brokers", po::value(&brokers)->default_value("localhost:9092"), "Kafka bootstrap servers, comma separated")
      ("X,X", po::value(&properties)->composing(), "librdkafka property key=value (repeatable), e.g. -X auto.offset.reset=earliest")
      ("allowed-topics", po::value(&allowed)->composing(), "topics clients may consume, comma separated (default: all)")
      ("config", po::value(&config_file), "JSON config file with any of these options")
      ("log-level", po::value(&log_level)->default_value("info"), "debug, info, warn, error or off")
      ("path", po::value(&config.path)->default_value("/socket.io/"), "socket.io path")
      ("cors-origin", po::value(&cors)->composing(), "allowed CORS origin (repeatable; default *)")
      ("ping-interval", po::value(&ping_interval)->default_value(25000), "Engine.IO ping interval, ms")
      ("ping-timeout", po::value(&ping_timeout)->default_value(20000), "Engine.IO ping timeout, ms")
      ("max-payload", po::value(&max_payload)->default_value(1'000'000), "largest client packet, bytes")
      ("no-eio3", "refuse Engine.IO v3 (socket.io 2.x) clients")
      ("no-ui", "do not serve the live page at / nor the socket.io client script")
      ("ui-assets", po::value(&config.ui_assets), "serve the page's files from DIR before the built-in copies");
  po::variables_map vm;
  std::vector<file_token> file_tokens;
  try {
    // First pass only for --config, so its tokens can go in before notify().
    po::options_description only_config;
    only_config.add_options()("config", po::value<std::string>());
    po::variables_map first;
    po::store(po::command_line_parser(argc, argv).options(only_config).allow_unregistered().run(), first);
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
  config.engine.allow_eio3 = !vm.count("no-eio3");
  config.ui = !vm.count("no-ui");
  if (config.path.empty() || config.path.front() != '/') config.path = "/" + config.path;
  if (config.path.back() != '/') config.path += '/';
  return std::nullopt;
}

}  // namespace kasocki::cli
