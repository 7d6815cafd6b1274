// The configuration of `kasocki serve`: command-line options over an optional JSON config file
// (same names as the long options), validated into the option structs of each layer. Pure
// except for reading the config file.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/program_options/options_description.hpp>
#include <boost/program_options/variables_map.hpp>
#include <nlohmann/json.hpp>

#include "libkasocki/auth/authenticator.hpp"
#include "libkasocki/common/log.hpp"
#include "libkasocki/engineio/options.hpp"
#include "libkasocki/gateway/gateway.hpp"
#include "libkasocki/http/limits.hpp"
#include "libkasocki/http/listener.hpp"
#include "libkasocki/kafka/kafka_config.hpp"
#include "libkasocki/socketio/server.hpp"
#include "libkasocki/sse/stream_options.hpp"

namespace kasocki::cli {

struct serve_config {
  boost::asio::ip::tcp::endpoint listen;
  std::string listen_text = "0.0.0.0:6927";
  std::string path = "/socket.io/";
  bool ui = true;         // the live page at / (--no-ui turns it off)
  std::string ui_assets;  // --ui-assets DIR: page files read from here first (editing the page)
  log::level log_level = log::level::info;
  std::string tls_cert;  // PEM files: with both set, the listener serves https/wss only
  std::string tls_key;
  kafka::kafka_config kafka;
  engineio::server_options engine;
  socketio::server_options socketio;
  gateway::gateway_options gateway;
  http::admission_limits admission;  // sessions in total / per address, new-session rate
  http::listener_options http;       // header and body sizes (body_limit = engine.max_payload)
  sse::stream_options sse;           // the Server-Sent Events endpoint
  auth::auth_options auth;           // client tokens (off without keys)
  // How long the event loop keeps polling after it runs out of work before it sleeps
  // (common/run_loop.hpp). 0: it sleeps at once.
  std::chrono::microseconds busy_poll{0};
};

// Fills `config` from argv (and --config FILE). Returns an exit status when the process should
// stop (0 after --help, 2 on a usage or configuration error, with the message on stderr).
std::optional<int> parse_serve_config(int argc, char** argv, serve_config& config);

// A duration option: whole seconds ("90"), or a number with s, m, h or d ("24h").
std::optional<std::chrono::seconds> parse_duration(std::string_view text);

// The effective options as a JSON object with the long option names as keys (a valid config
// file): flags not given are false, options without a value are left out, and the value of
// every -X property whose name contains "password", "secret" or "key" is "***".
nlohmann::ordered_json effective_config(const boost::program_options::options_description& options,
                                        const boost::program_options::variables_map& vm);

}  // namespace kasocki::cli
