// `kasocki bench`: the load client. Opens N connections to a Kasocki server, subscribes them
// (topic end, every partition from offset 0, or a timestamp), optionally sets filters, drives
// `start` or `consume`, and prints one compact JSON line of figures per run: throughput,
// end-to-end latency percentiles, offset gaps/duplicates, the bench's own CPU time and, given
// --server-pid, the server's CPU time and peak memory. Does I/O: network, /proc, stdout, stderr.
#include <cmath>
#include <iostream>
#include <string>
#include <vector>

#include "bench/process.hpp"
#include "bench/resume.hpp"
#include "bench/run.hpp"
#include "cli/subcommands.hpp"
#include "cli/usage.hpp"
#include "client/request_args.hpp"

namespace kasocki::cli {
namespace {

using ordered = nlohmann::ordered_json;

double rounded(double value, int digits = 3) {
  double scale = std::pow(10.0, digits);
  return std::round(value * scale) / scale;
}

double per_second(double amount, double seconds) {
  return seconds > 0 ? amount / seconds : 0.0;
}

}  // namespace

int bench_main(int argc, char** argv) {
  po::options_description options("Options");
  bench::bench_config config;
  std::string transport, from, mode, scenario;
  std::vector<std::string> filters, watch;
  int server_pid = 0;
  options.add_options()  //
      ("url", po::value(&config.urls)->required(),
       "server URL, e.g. http://127.0.0.1:6927; repeatable: connection i uses URL i mod N "
       "(socket.io only; probes use the first)")                                        //
      ("topic", po::value(&config.topic)->required(), "topic to read")                  //
      ("clients", po::value(&config.clients)->default_value(1), "connections to open")  //
      ("transport", po::value(&transport)->default_value("websocket"),
       "websocket | polling | sse (Server-Sent Events: --mode start, from end, beginning or a "
       "timestamp; gaps and duplicates are checked from the event ids)")  //
      ("sse-path", po::value(&config.sse_path)->default_value("/v2/stream/"),
       "the server's --sse-path, with --transport sse")  //
      ("from", po::value(&from)->default_value("end"),
       "end | beginning (every partition at offset 0) | TIMESTAMP (ms or ISO 8601) | middle "
       "(the timestamp of the middle of partition 0) | spread (connection i: partition i mod P "
       "from an offset spread over it)")                                                       //
      ("mode", po::value(&mode)->default_value("start"), "start (pushed) | consume (pulled)")  //
      ("outstanding", po::value(&config.outstanding)->default_value(1),
       "consume events in flight per connection")                                                 //
      ("filter", po::value(&filters), "PATH=VALUE filter, VALUE as JSON or string (repeatable)")  //
      ("messages", po::value(&config.messages)->default_value(0),
       "stop after this many messages in total (0: no limit)")  //
      ("duration", po::value(&config.duration)->default_value(0),
       "stop after this many seconds of driving (0: no limit)")  //
      ("until-end", po::bool_switch(&config.until_end),
       "stop when every connection has received the last offset (at start) of every partition")  //
      ("scenario", po::value(&scenario)->default_value("adhoc"), "label for the result line")    //
      ("server-pid", po::value(&server_pid)->default_value(0),
       "report this process's CPU time, peak memory and threads (the server's)")  //
      ("connect-concurrency", po::value(&config.connect_concurrency)->default_value(0),
       "connection setups in flight at once (0: all at once)")  //
      ("producer", po::value(&config.producer),
       "shell command started when every connection is set up; once it exits, the run waits "
       "until every connection has received every message up to the end, then stops")  //
      ("drain-timeout", po::value(&config.drain_timeout)->default_value(30),
       "seconds to wait for that after the producer exits")  //
      ("reconnect-after", po::value(&config.reconnect_after)->default_value(0),
       "seconds after the start: every connection disconnects at once and subscribes again "
       "after the last offset it received (0: never)")  //
      ("stalled", po::value(&config.stalled)->default_value(0),
       "extra websocket clients that subscribe at the end, start, and never read")  //
      ("max-server-threads", po::value(&config.max_server_threads)->default_value(0),
       "safety stop (the server is killed) when it has more threads (0: none)")  //
      ("max-server-rss-mb", po::value(&config.max_server_rss_mb)->default_value(0),
       "safety stop (the server is killed) above this resident memory, MB (0: none)")  //
      ("per-client", po::value(&config.per_client)->default_value(0),
       "messages each connection reads (split over its partitions), then it disconnects; the "
       "run ends when all have (0: no quota)")  //
      ("pause-producer", po::value(&config.pause_producer),
       "with --reconnect-after: shell command run once every connection is closed; they "
       "subscribe again when it has exited")  //
      ("producer-until-live", po::bool_switch(&config.producer_until_live),
       "stop the --producer (SIGTERM) once every connection is live again after the reconnect")  //
      ("resume-on-close", po::bool_switch(&config.resume_on_close),
       "a connection the server closes connects again through its URL and subscribes after "
       "the last offset it received, instead of failing the run")  //
      ("kill-pid", po::value(&config.kill_pid)->default_value(0),
       "SIGKILL this process --kill-after seconds after the start (a gateway); recovery is "
       "counted from then")  //
      ("kill-after", po::value(&config.kill_after)->default_value(0),
       "seconds after the start for --kill-pid")  //
      ("watch-pid", po::value(&watch),
       "NAME=PID: also report that process's CPU seconds and peak memory under NAME in "
       "`watched` (other gateways, a balancer; repeatable)")  //
      ("busy-poll-us", po::value(&config.busy_poll_us)->default_value(0),
       "microseconds the bench's event loop keeps polling before it sleeps (0: off)");
  po::variables_map vm;
  if (auto status = parse_or_exit("bench",
                                  "Load client: many connections, throughput and latency figures, "
                                  "one JSON line per run.",
                                  argc, argv, options, {}, vm))
    return *status;
  auto usage_error = [](const std::string& message) {
    std::cerr << "kasocki bench: " << message << "\nTry 'kasocki bench --help'.\n";
    return 2;
  };
  if (transport == "websocket") {
    config.transport = client::transport_mode::websocket;
  } else if (transport == "polling") {
    config.transport = client::transport_mode::polling_only;
  } else if (transport == "sse") {
    config.sse = true;
  } else {
    return usage_error("--transport must be websocket, polling or sse");
  }
  if (from == "end") {
    config.from = bench::start_from::end;
  } else if (from == "beginning") {
    config.from = bench::start_from::beginning;
  } else if (from == "middle") {
    config.from = bench::start_from::middle;
  } else if (from == "spread") {
    config.from = bench::start_from::spread;
  } else if (auto ms = client::parse_since(from)) {
    config.from = bench::start_from::timestamp;
    config.from_timestamp = *ms;
  } else {
    return usage_error("--from must be end, beginning or a timestamp, not '" + from + "'");
  }
  if (mode == "start") {
    config.mode = bench::drive_mode::start;
  } else if (mode == "consume") {
    config.mode = bench::drive_mode::consume;
  } else {
    return usage_error("--mode must be start or consume");
  }
  if (config.clients < 1) return usage_error("--clients must be at least 1");
  config.url = config.urls.front();
  if (config.urls.size() > 1 && config.sse)
    return usage_error("several --url work with socket.io only, not --transport sse");
  if ((config.kill_pid > 0) != (config.kill_after > 0) || config.kill_pid < 0)
    return usage_error("--kill-pid and --kill-after go together, both positive");
  if (config.resume_on_close && (config.sse || config.mode != bench::drive_mode::start))
    return usage_error("--resume-on-close works with socket.io and --mode start only");
  std::vector<bench::named_pid> watched;
  for (const auto& w : watch) {
    auto named = bench::parse_named_pid(w);
    if (!named) return usage_error("--watch-pid wants NAME=PID, not '" + w + "'");
    watched.push_back(std::move(*named));
  }
  if (config.outstanding < 1) return usage_error("--outstanding must be at least 1");
  if (config.messages < 0 || config.duration < 0)
    return usage_error("--messages and --duration must not be negative");
  std::vector<std::pair<std::string, client::json>> filter_items;
  for (const auto& f : filters) {
    auto item = client::parse_filter(f);
    if (!item) return usage_error("--filter wants PATH=VALUE, not '" + f + "'");
    filter_items.push_back(std::move(*item));
  }
  config.filters = client::build_filters(filter_items);
  config.server_pid = server_pid;
  if (config.reconnect_after > 0 && config.mode != bench::drive_mode::start)
    return usage_error("--reconnect-after works with --mode start only");
  if (config.stalled < 0 || config.connect_concurrency < 0 || config.per_client < 0)
    return usage_error("--stalled, --connect-concurrency and --per-client must not be negative");
  if (config.from == bench::start_from::spread && config.per_client == 0)
    return usage_error("--from spread needs --per-client");
  if (!config.pause_producer.empty() && config.reconnect_after <= 0)
    return usage_error("--pause-producer needs --reconnect-after");
  if (config.sse &&
      (config.mode != bench::drive_mode::start || config.reconnect_after > 0 ||
       config.stalled > 0 || config.per_client > 0 || config.from == bench::start_from::middle))
    return usage_error(
        "--transport sse works with --mode start and --from end, beginning or a timestamp; "
        "not with --reconnect-after, --stalled nor --per-client");

  // Many connections need many descriptors; the default soft limit is often 1024.
  bench::raise_open_file_limit();
  std::optional<bench::process_figures> server_before;
  std::vector<std::optional<bench::process_figures>> watched_before(watched.size());
  double bench_cpu_before = 0;
  auto on_begin = [&] {
    bench_cpu_before = bench::self_cpu_seconds();
    if (server_pid > 0) server_before = bench::read_process(server_pid);
    for (std::size_t i = 0; i < watched.size(); ++i)
      watched_before[i] = bench::read_process(watched[i].pid);
  };
  bench::bench_result r = bench::run_bench(config, on_begin);
  double bench_cpu = bench::self_cpu_seconds() - bench_cpu_before;
  std::optional<bench::process_figures> server_after;
  ordered watched_figures = ordered::object();
  for (std::size_t i = 0; i < watched.size(); ++i) {
    // A process killed during the run (or gone) has no figures: null.
    auto after = bench::read_process(watched[i].pid);
    bool known = watched_before[i] && after;
    watched_figures[watched[i].name] = {
        {"cpu_s", known ? ordered(rounded(after->cpu_seconds - watched_before[i]->cpu_seconds, 2))
                        : ordered()},
        {"peak_rss_mb", known ? ordered(rounded(after->peak_rss_mb, 1)) : ordered()}};
  }
  if (server_pid > 0) {
    server_after = bench::read_process(server_pid);
    if (!server_before || !server_after)
      std::cerr << "kasocki bench: cannot read /proc/" << server_pid << "\n";
  }

  bool filtered = !config.filters.is_null();
  auto ms = [](std::uint64_t micros) { return rounded(static_cast<double>(micros) / 1000.0); };
  ordered line;
  line["scenario"] = scenario;
  line["clients"] = config.clients;
  line["messages"] = r.messages;
  line["seconds"] = rounded(r.seconds);
  line["msgs_per_s"] = std::llround(per_second(static_cast<double>(r.messages), r.seconds));
  line["MB_per_s"] = rounded(per_second(static_cast<double>(r.bytes) / 1e6, r.seconds), 2);
  line["p50_ms"] = ms(r.latency->percentile(0.50));
  line["p99_ms"] = ms(r.latency->percentile(0.99));
  line["max_ms"] = ms(r.latency->max());
  // Filters skip offsets, so holes are expected then: only order and repeats are checked.
  line["gaps"] = filtered ? ordered(nullptr) : ordered(r.gaps);
  line["duplicates"] = r.duplicates;
  if (server_pid > 0) {
    bool known = server_before && server_after;
    line["server_peak_rss_mb"] = known ? ordered(rounded(server_after->peak_rss_mb, 1)) : ordered();
    line["server_cpu_s"] =
        known ? ordered(rounded(server_after->cpu_seconds - server_before->cpu_seconds, 2))
              : ordered();
  }
  line["bench_cpu_s"] = rounded(bench_cpu, 2);
  line["transport"] = transport;
  line["mode"] = mode;
  if (config.mode == bench::drive_mode::consume) line["outstanding"] = config.outstanding;
  line["from"] = from;
  if (filtered) {
    line["filters"] = config.filters;
    line["gap_check"] = "off: filters skip offsets";
  } else if (r.missing > 0) {
    line["missing"] = r.missing;
  }
  if (r.partitions > 0) {
    line["evaluated"] = r.evaluated;
    line["evaluated_per_s"] = std::llround(per_second(static_cast<double>(r.evaluated), r.seconds));
  }
  line["reached_end"] = r.reached_end;
  line["stopped_by"] = r.stopped_by;
  if (r.unparsed > 0) line["unparsed"] = r.unparsed;
  if (config.sse) line["id_mismatches"] = r.id_mismatches;
  if (r.errors > 0) line["errors"] = r.errors;
  line["setup_s"] = rounded(r.setup_seconds);
  if (r.clients_complete) {
    line["clients_complete"] = *r.clients_complete;
    line["expected_per_client"] = {r.expected_min, r.expected_max};
  }
  line["received_per_client"] = {r.received_min, r.received_max};
  if (server_pid > 0) {
    line["server_peak_threads"] = r.server_peak_threads;
    line["server_peak_rss_sampled_mb"] = rounded(r.server_peak_rss_sampled_mb, 1);
  }
  if (r.producer_status) line["producer_status"] = *r.producer_status;
  if (config.reconnect_after > 0) {
    line["resubscribed_s"] = r.resubscribed_s ? ordered(rounded(*r.resubscribed_s)) : ordered();
    line["recovery_s"] = r.recovery_s ? ordered(rounded(*r.recovery_s)) : ordered();
    line["recovery_p50_s"] = r.recovery_p50_s ? ordered(rounded(*r.recovery_p50_s)) : ordered();
    line["recovered"] = r.recovered;
  }
  if (config.stalled > 0) line["stalled"] = r.stalled_open;
  if (config.urls.size() > 1) line["urls"] = config.urls.size();
  if (!watched.empty()) line["watched"] = watched_figures;
  if (r.killed_at_s) line["killed_at_s"] = rounded(*r.killed_at_s);
  if (config.resume_on_close) {
    auto optional = [](const std::optional<double>& v) {
      return v ? ordered(rounded(*v)) : ordered();
    };
    line["closed"] = r.closed;
    line["closed_recovered"] = r.closed_recovered;
    line["closed_resubscribed_s"] = optional(r.closed_resubscribed_s);
    line["closed_recovery_s"] = optional(r.closed_recovery_s);
    line["closed_recovery_p50_s"] = optional(r.closed_recovery_p50_s);
    line["reconnect_retries"] = r.reconnect_retries;
  }
  if (config.per_client > 0) {
    line["per_client"] = config.per_client;
    line["range_messages"] = r.range_messages;
    line["range_bytes"] = r.range_bytes;
    line["received_messages"] = r.received_messages;
    line["received_bytes"] = r.received_bytes;
  }
  if (r.from_timestamp) line["from_timestamp"] = *r.from_timestamp;
  if (!config.pause_producer.empty()) {
    line["pause_s"] = r.pause_s ? ordered(rounded(*r.pause_s)) : ordered();
    line["backlog_per_client"] = {r.backlog_min, r.backlog_max};
    line["live_s"] = r.live_s ? ordered(rounded(*r.live_s)) : ordered();
  }
  if (r.status != 0) line["failure"] = r.failure;
  std::cout << line.dump() << std::endl;
  if (r.status != 0) std::cerr << "kasocki bench: " << r.failure << "\n";
  return r.status;
}

}  // namespace kasocki::cli
