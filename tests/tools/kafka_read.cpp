// kafka_read: reads a topic through the Kafka layer alone (metadata cache, offset resolution,
// consumer source on one io_context), for the e2e tests of that layer. Does network I/O.
//
//   kafka_read --brokers B --topic T [--partition P] [--offset O | --timestamp MS | --end]
//              [-n N] [-X key=value]... [--timeout-ms MS]
//
// Prints {"topic","partitions"} on the first line, the resolved assignment as a JSON array on
// the second, then N messages as JSON lines {"partition","offset","timestamp","key","value"}, and
// exits 0. On any error (or fewer than N messages within --timeout-ms) it prints the error to
// stderr and exits 1; bad usage exits 2.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include <charconv>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "libkasocki/kafka/client_context.hpp"
#include "libkasocki/kafka/consumer_source.hpp"
#include "libkasocki/kafka/metadata_cache.hpp"
#include "libkasocki/kafka/offset_resolver.hpp"

namespace kk = kasocki::kafka;
using json = nlohmann::json;

namespace {

struct options {
  kk::kafka_config config;
  kk::assignment_request request;
  long long count = 0;
  long long timeout_ms = 30'000;
};

std::optional<long long> to_int(std::string_view s) {
  long long v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// Returns an error text for bad usage.
std::optional<std::string> parse(int argc, char** argv, options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto next = [&]() -> std::optional<std::string_view> {
      if (i + 1 >= argc) return std::nullopt;
      return std::string_view(argv[++i]);
    };
    auto number = [&]() -> std::optional<long long> {
      auto v = next();
      return v ? to_int(*v) : std::nullopt;
    };
    std::optional<long long> n;
    if (arg == "--end") {
      o.request.start = kk::start_position::at_end();
    } else if (arg == "--brokers") {
      auto v = next();
      if (!v) return "--brokers needs a value";
      o.config.brokers = std::string(*v);
    } else if (arg == "--topic") {
      auto v = next();
      if (!v) return "--topic needs a value";
      o.request.topic = std::string(*v);
    } else if (arg == "-X") {
      auto v = next();
      if (!v) return "-X needs key=value";
      auto kv = kk::parse_property(*v);
      if (!kv) return kv.error().message;
      if (auto s = kk::add_property(o.config, kv.value().first, kv.value().second); !s) {
        return s.error().message;
      }
    } else if (!(n = number())) {
      return "unknown option or bad number: " + std::string(arg);
    } else if (arg == "--partition") {
      o.request.partition = static_cast<std::int32_t>(*n);
    } else if (arg == "--offset") {
      o.request.start = kk::start_position::at_offset(*n);
    } else if (arg == "--timestamp") {
      o.request.start = kk::start_position::at_timestamp(*n);
    } else if (arg == "-n") {
      o.count = *n;
    } else if (arg == "--timeout-ms") {
      o.timeout_ms = *n;
    } else {
      return "unknown option: " + std::string(arg);
    }
  }
  if (o.request.topic.empty()) return "--topic is required";
  return std::nullopt;
}

std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// The whole read as a chain of event-loop callbacks.
class reader {
 public:
  reader(boost::asio::io_context& io, kk::client_context& ctx, options o)
      : ctx_(ctx), cache_(ctx), timer_(io), o_(std::move(o)) {}

  int run(boost::asio::io_context& io) {
    timer_.expires_after(std::chrono::milliseconds(o_.timeout_ms));
    timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) fail("timed out after " + std::to_string(o_.timeout_ms) + " ms");
    });
    cache_.start();
    cache_.when_ready([this](kk::snapshot_ptr snap) { on_metadata(std::move(snap), false); });
    io.run();
    return status_;
  }

 private:
  void on_metadata(kk::snapshot_ptr snap, bool refreshed) {
    if (!snap->healthy) return fail("Kafka unavailable: " + snap->last_error->message);
    const auto count = snap->partition_count(o_.request.topic);
    if (!count && !refreshed) {
      return cache_.refresh([this](kk::snapshot_ptr s) { on_metadata(std::move(s), true); });
    }
    if (!count) return fail("unknown topic '" + o_.request.topic + "'");
    std::cout << dump({{"topic", o_.request.topic}, {"partitions", *count}}) << std::endl;
    kk::resolve_assignments(ctx_, *snap, {o_.request}, [this](auto r) { on_resolved(r); });
  }

  void on_resolved(const kk::result<std::vector<kk::resolved_assignment>>& r) {
    if (!r) return fail(r.error().name + ": " + r.error().message);
    json out = json::array();
    for (const auto& a : r.value()) {
      out.push_back({{"topic", a.topic},
                     {"partition", a.partition},
                     {"offset", a.offset},
                     {"reset", a.reset}});
    }
    std::cout << dump(out) << std::endl;
    if (o_.count <= 0) return finish(0);
    kk::open_consumer_source(ctx_, r.value(), [this](auto s) { on_open(std::move(s)); });
  }

  void on_open(kk::result<std::unique_ptr<kk::message_source>> s) {
    if (!s) return fail(s.error().name + ": " + s.error().message);
    source_ = std::move(s).value();
    ask();
  }

  void ask() {
    source_->want_messages(static_cast<std::size_t>(std::min<long long>(o_.count - seen_, 256)),
                           [this](kk::message_batch b) { on_batch(b); });
  }

  void on_batch(const kk::message_batch& batch) {
    for (const auto& e : batch.errors()) {
      std::cerr << dump({{"error", e.error.name},
                         {"message", e.error.message},
                         {"topic", e.topic},
                         {"partition", e.partition}})
                << std::endl;
      if (!e.topic.empty()) return fail("Kafka error on a partition");
    }
    for (const auto& m : batch.messages()) {
      json line = {{"partition", m.partition},
                   {"offset", m.offset},
                   {"timestamp", m.timestamp ? json(*m.timestamp) : json(nullptr)},
                   {"key", m.key ? json(std::string(*m.key)) : json(nullptr)},
                   {"value", std::string(m.value)}};
      std::cout << dump(line) << '\n';
      if (++seen_ >= o_.count) break;
    }
    std::cout.flush();
    if (seen_ >= o_.count) return finish(0);
    ask();
  }

  void fail(const std::string& why) {
    std::cerr << "kafka_read: " << why << std::endl;
    finish(1);
  }

  void finish(int status) {
    status_ = status;
    timer_.cancel();
    cache_.stop();
    if (source_) source_->close();
  }

  kk::client_context& ctx_;
  kk::metadata_cache cache_;
  boost::asio::steady_timer timer_;
  options o_;
  std::unique_ptr<kk::message_source> source_;
  long long seen_ = 0;
  int status_ = 1;
};

}  // namespace

int main(int argc, char** argv) {
  options o;
  if (auto bad = parse(argc, argv, o)) {
    std::cerr << "kafka_read: " << *bad
              << "\nusage: kafka_read --brokers B --topic T [--partition P] [--offset O | "
                 "--timestamp MS | --end] [-n N] [-X key=value]... [--timeout-ms MS]\n";
    return 2;
  }
  boost::asio::io_context io;
  auto ctx = kk::client_context::create(io.get_executor(), o.config);
  if (!ctx) {
    std::cerr << "kafka_read: " << ctx.error().message << std::endl;
    return 1;
  }
  int status = 1;
  {
    reader r(io, *ctx.value(), std::move(o));
    status = r.run(io);
  }  // the source and cache go before the context, which joins the worker pool
  return status;
}
