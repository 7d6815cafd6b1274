// `kasocki client`: reads topics through a Kasocki server with the project's socket.io client.
// Modes: `topics` prints the `ready` topic list; `consume` pulls messages with acked `consume`
// events (a few outstanding, printed in order); `start` has them pushed as `message` events.
// Does I/O: network, stdout (one compact JSON message per line), stderr (Kasocki errors).
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <simdjson.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "cli/subcommands.hpp"
#include "cli/usage.hpp"
#include "client/raw_packet.hpp"
#include "client/request_args.hpp"
#include "client/socketio_client.hpp"
#include "client/sse_reader.hpp"
#include "client/url.hpp"

namespace kasocki::cli {
namespace {

namespace asio = boost::asio;
using client::json;

constexpr std::size_t consume_window = 16;  // outstanding `consume` events, for throughput
constexpr std::chrono::milliseconds request_timeout{30'000};

struct run_state {
  std::string mode;
  std::string url;
  json subscription;
  json filters;
  std::int64_t limit = -1;  // -1: no limit
  client::socketio_options options;
  bool tty = false;
  int status = 0;
  bool stopping = false;
  client::socketio_client* client = nullptr;
  client::sse_reader* sse = nullptr;  // --transport sse
  client::sse_request sse_request;
  std::string minified;  // reused output buffer
  std::int64_t printed = 0;

  void stop() {
    stopping = true;
    if (client) client->disconnect();
    if (sse) sse->close();
  }
  void fail(const json& error) {
    if (stopping) return;
    std::cerr << error.dump() << std::endl;
    status = 1;
    stop();
  }
  void fail(std::string_view name, std::string_view message) {
    fail(json{{"name", name}, {"message", message}, {"origin", "KasockiClient"}});
  }
  // Prints one message (JSON text) compactly on its own line.
  void print(std::string_view text) {
    minified.resize(text.size() + 1);
    std::size_t length = 0;
    if (simdjson::minify(text.data(), text.size(), minified.data(), length) != simdjson::SUCCESS) {
      minified.assign(text);
      length = text.size();
    }
    minified.resize(length);
    minified.push_back('\n');
    std::fwrite(minified.data(), 1, minified.size(), stdout);
    if (tty) std::fflush(stdout);
    ++printed;
    if (limit >= 0 && printed >= limit) stop();
  }
};

// Handles a raw ack "(error, result)": false (and the error reported) when error is not null.
std::optional<std::string_view> ack_result(run_state& st, boost::system::error_code ec,
                                           std::string_view args) {
  if (ec) {
    if (!st.stopping) st.fail("ConnectionError", ec.message());
    return std::nullopt;
  }
  auto parts = client::split_first_value(args);
  if (!parts) {
    st.fail("ProtocolError", "malformed ack: " + std::string(client::describe(parts.error())));
    return std::nullopt;
  }
  if (parts->first != "null") {
    st.fail(json::parse(parts->first, nullptr, false));
    return std::nullopt;
  }
  return parts->second;
}

// An `err` event. Errors of our own requests also come in their acks, which report them: the
// event is a duplicate. A KafkaUnavailableError on connection ends the connection: fatal.
// Anything else happened while delivering (a skipped undecodable message, an offset reset, a
// Kafka error the server retries, Kafka unreachable for a while, after which the messages
// resume by themselves): printed to stderr, and reading goes on with the exit status unchanged.
void on_err_event(run_state& st, const json& error) {
  static const std::set<std::string> request_events = {"subscribe", "filter", "consume", "start",
                                                       "stop"};
  if (error.is_object() && error.contains("socketEvent") && error["socketEvent"].is_string() &&
      request_events.count(error["socketEvent"].get<std::string>()))
    return;
  if (!error.is_object() || (error.value("name", json()) == "KafkaUnavailableError" &&
                             error.value("socketEvent", json()) == "connect"))
    return st.fail(error);
  if (st.stopping) return;
  std::fflush(stdout);  // keep stdout and stderr in order on a terminal
  std::cerr << error.dump() << std::endl;
}

json one_arg(json arg) {
  json args = json::array();
  args.push_back(std::move(arg));
  return args;
}

// (No braced lists in coroutine bodies: GCC 12 rejects some with "array used as initializer".)
asio::awaitable<bool> request(run_state& st, std::string_view event, json arg) {
  auto reply = co_await st.client->call(event, one_arg(std::move(arg)), request_timeout);
  if (reply.error) {
    st.fail("ConnectionError", std::string(event) + ": " + reply.error.message());
    co_return false;
  }
  if (!reply.args.empty() && !reply.args[0].is_null()) {
    st.fail(reply.args[0]);
    co_return false;
  }
  co_return true;
}

// Keeps up to consume_window `consume` events outstanding; prints results in request order.
struct consumer {
  run_state& st;
  std::uint64_t issued = 0, next_to_print = 0;
  std::map<std::uint64_t, std::string> ready;

  void fill() {
    while (!st.stopping && issued - next_to_print < consume_window &&
           (st.limit < 0 || static_cast<std::int64_t>(issued) < st.limit)) {
      std::uint64_t seq = issued++;
      st.client->emit_raw(
          "consume", "null",
          [this, seq](boost::system::error_code ec, std::string_view args) {
            if (st.stopping) return;
            auto message = ack_result(st, ec, args);
            if (!message) return;
            ready.emplace(seq, std::string(*message));
            while (!ready.empty() && ready.begin()->first == next_to_print && !st.stopping) {
              st.print(ready.begin()->second);
              ready.erase(ready.begin());
              ++next_to_print;
            }
            fill();
          },
          std::chrono::milliseconds(0));  // a consume waits as long as it takes
    }
  }
};

asio::awaitable<void> run(run_state& st) {
  auto executor = co_await asio::this_coro::executor;
  client::socketio_client sio(executor, st.options);
  st.client = &sio;
  bool got_ready = false;
  sio.on("ready", [&](json args, client::socketio_client::ack_reply) {
    got_ready = true;
    if (st.mode != "topics") return;
    json topics = args.empty() ? json::array() : args[0];
    std::cout << topics.dump() << std::endl;
    st.stop();
  });
  sio.on("err", [&](json args, client::socketio_client::ack_reply) {
    on_err_event(st, args.empty() ? json(nullptr) : args[0]);
  });
  sio.on_raw("message", [&](std::string_view args) {
    if (!st.stopping) st.print(client::without_recovery_cursor(args));
  });
  auto connected = co_await sio.connect(st.url);
  if (connected.error) {
    if (connected.data.is_object() && !connected.data.empty()) {
      st.fail(connected.data);
    } else {
      st.fail("ConnectionError", connected.error.message());
    }
    st.client = nullptr;
    co_return;
  }
  consumer pull{st};
  if (st.mode != "topics" && !st.stopping) {
    bool ok = co_await request(st, "subscribe", st.subscription);
    if (ok && !st.filters.is_null()) ok = co_await request(st, "filter", st.filters);
    if (ok && st.mode == "consume") pull.fill();
    if (ok && st.mode == "start") co_await request(st, "start", nullptr);
  }
  auto reason = co_await sio.wait_closed();
  if (reason && !st.stopping) st.fail("ConnectionError", reason.message());
  if (st.mode == "topics" && !got_ready && st.status == 0) st.status = 1;
  st.client = nullptr;
}

// --transport sse: one GET of the SSE endpoint; its `message` events print as socket.io's do,
// its `error` events as `err` events.
asio::awaitable<void> run_sse(run_state& st) {
  client::sse_reader reader(co_await asio::this_coro::executor);
  st.sse = &reader;
  auto error = co_await reader.run(st.sse_request, [&st](const client::sse_event& e) {
    if (st.stopping) return;
    if (e.type == "message") return st.print(e.data);
    if (e.type == "error") on_err_event(st, json::parse(e.data, nullptr, false));
  });
  st.sse = nullptr;
  if (!error.is_null())
    st.fail(error);
  else if (!st.stopping)
    st.fail("ConnectionError", "the server ended the stream");
}

}  // namespace

constexpr const char* help_text =
    "Read topics through a Kasocki server.\n"
    "  kasocki client topics --url URL             print the topics the server offers\n"
    "  kasocki client consume|start --url URL (--topic T | --assign T:P:OFFSET)...\n"
    "consume pulls messages with acked `consume` events, start has them pushed; either prints\n"
    "one message per line as compact JSON on stdout, until -n messages, --duration seconds, or\n"
    "SIGINT/SIGTERM. --since starts every --topic at that time instead of at its end.\n"
    "Errors: a refused request (e.g. TopicNotAvailableError), a lost connection or Kafka being\n"
    "unavailable prints the error object as one JSON line on stderr and exits with status 1.\n"
    "An `err` event while reading (e.g. a DeserializationError: the server skipped a message\n"
    "that is not a JSON object) is printed to stderr too, but reading goes on and does not\n"
    "change the exit status. Exit status: 0 done, 1 error, 2 bad usage.";

int client_main(int argc, char** argv) {
  po::options_description options("Options");
  std::string mode, url, since, transport, sse_path;
  std::vector<std::string> topics, assigns, filters;
  std::int64_t limit = -1;
  double duration = 0;
  options.add_options()                                                   //
      ("mode", po::value(&mode)->required(), "topics | consume | start")  //
      ("url", po::value(&url)->required(), "server URL, e.g. http://localhost:6927")(
          "topic", po::value(&topics), "topic to subscribe to (repeatable)")(
          "assign", po::value(&assigns), "TOPIC:PARTITION:OFFSET to subscribe at (repeatable)")(
          "since", po::value(&since),
          "start each --topic at this time: ms since epoch or ISO 8601")(
          "filter", po::value(&filters), "PATH=VALUE filter, VALUE as JSON or string (repeatable)")(
          ",n", po::value(&limit), "stop after N messages")("duration", po::value(&duration),
                                                            "stop after this many seconds")(
          "transport", po::value(&transport)->default_value("websocket"),
          "websocket | polling | upgrade (polling, then websocket) | sse (the Server-Sent "
          "Events endpoint, plain http; consume and start both read the stream)")(
          "sse-path", po::value(&sse_path)->default_value("/v2/stream/"),
          "the server's --sse-path (with --transport sse)");
  po::positional_options_description positional;
  positional.add("mode", 1);
  po::variables_map vm;
  if (auto status = parse_or_exit("client", help_text, argc, argv, options, positional, vm))
    return *status;
  auto usage_error = [](const std::string& message) {
    std::cerr << "kasocki client: " << message << "\nTry 'kasocki client --help'.\n";
    return 2;
  };
  if (mode != "topics" && mode != "consume" && mode != "start")
    return usage_error("mode must be topics, consume or start, not '" + mode + "'");

  if (auto endpoint = client::parse_url(url); !endpoint)
    return usage_error("--url '" + url + "': " + std::string(client::describe(endpoint.error())));
  run_state st;
  st.mode = mode;
  st.url = url;
  st.limit = limit;
  st.tty = ::isatty(STDOUT_FILENO) == 1;
  if (transport == "websocket") {
    st.options.engine.transport = client::transport_mode::websocket;
  } else if (transport == "polling") {
    st.options.engine.transport = client::transport_mode::polling_only;
  } else if (transport == "upgrade") {
    st.options.engine.transport = client::transport_mode::polling;
  } else if (transport == "sse") {
    if (mode == "topics") return usage_error("topics needs a socket.io transport");
  } else {
    return usage_error("--transport must be websocket, polling, upgrade or sse");
  }
  std::vector<json> assign_items;
  for (const auto& a : assigns) {
    auto item = client::parse_assign(a);
    if (!item)
      return usage_error("--assign '" + a + "': " + std::string(client::describe(item.error())) +
                         " (wants TOPIC:PARTITION:OFFSET)");
    assign_items.push_back(std::move(*item));
  }
  std::optional<std::int64_t> since_ms;
  if (!since.empty()) {
    auto parsed = client::parse_since(since);
    if (!parsed)
      return usage_error("--since '" + since +
                         "': " + std::string(client::describe(parsed.error())) +
                         " (wants ms since the epoch or ISO 8601)");
    since_ms = *parsed;
    if (topics.empty()) return usage_error("--since applies to --topic; give at least one");
  }
  std::vector<std::pair<std::string, json>> filter_items;
  for (const auto& f : filters) {
    auto item = client::parse_filter(f);
    if (!item)
      return usage_error("--filter '" + f + "': " + std::string(client::describe(item.error())) +
                         " (wants PATH=VALUE)");
    filter_items.push_back(std::move(*item));
  }
  if (mode != "topics" && topics.empty() && assign_items.empty())
    return usage_error(mode + " needs at least one --topic or --assign");
  if (limit == 0 || limit < -1) return usage_error("-n must be positive");
  if (duration < 0) return usage_error("--duration must not be negative");
  st.subscription = client::build_subscription(topics, assign_items, since_ms);
  st.filters = client::build_filters(filter_items);
  if (transport == "sse") {
    // The topics in the path, exact offsets as a Last-Event-ID (which replaces the path's).
    if (!assign_items.empty() && !topics.empty())
      return usage_error("with --transport sse, give --topic or --assign, not both");
    st.sse_request.url = url;
    st.sse_request.path = sse_path;
    st.sse_request.topics = topics;
    st.sse_request.since = since_ms;
    st.sse_request.filters = st.filters;
    if (!assign_items.empty()) {
      st.sse_request.topics = {assign_items.front().value("topic", std::string())};
      st.sse_request.last_event_id = json(assign_items).dump();
    }
  }
  if (!st.tty) std::setvbuf(stdout, nullptr, _IOFBF, 1 << 16);

  asio::io_context ioc(1);
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int) {
    if (!ec) st.stop();
  });
  asio::steady_timer deadline(ioc);
  if (duration > 0) {
    deadline.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(duration)));
    deadline.async_wait([&](boost::system::error_code ec) {
      if (!ec) st.stop();
    });
  }
  asio::co_spawn(ioc, transport == "sse" ? run_sse(st) : run(st), [&](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        std::cerr << "kasocki client: " << ex.what() << "\n";
      }
      st.status = 1;
    }
    signals.cancel();
    deadline.cancel();
  });
  ioc.run();
  std::fflush(stdout);
  return st.status;
}

}  // namespace kasocki::cli
