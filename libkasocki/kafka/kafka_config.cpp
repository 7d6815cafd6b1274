// Parsing and validation of the Kafka layer's configuration; builds librdkafka conf objects.
// No I/O.
#include "libkasocki/kafka/kafka_config.hpp"

#include <librdkafka/rdkafka.h>

#include "libkasocki/kafka/librdkafka_log.hpp"

#include <array>
#include <string>

namespace kasocki::kafka {
namespace {

// Only assign() needs it: librdkafka (2.0.2 and 2.12.1 alike) refuses rd_kafka_assign() and has no
// consumer queue (rd_kafka_queue_get_consumer() returns null) without a group.id. The group is
// never joined (no subscribe) and never committed to, so the name only appears in FindCoordinator
// requests.
constexpr const char* assign_only_group = "kasocki-assign-only";

// librdkafka 2.2.0 (rd_kafka_version()'s hex form) brought fetch.queue.backoff.ms.
constexpr int fetch_queue_backoff_since = 0x020200ff;

status set(rd_kafka_conf_t* conf, const std::string& key, const std::string& value) {
  std::array<char, 512> errstr{};
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr.data(), errstr.size()) !=
      RD_KAFKA_CONF_OK) {
    return invalid_argument("librdkafka property '" + key + "': " + errstr.data());
  }
  return ok_t{};
}

using property_list = std::vector<std::pair<std::string, std::string>>;

property_list defaults(const kafka_config& config, handle_role role) {
  property_list p = {{"bootstrap.servers", config.brokers}, {"client.id", "kasocki"}};
  if (role == handle_role::consumer || role == handle_role::fetcher) {
    // The history fetchers read ahead little (kafka_config::fetcher_queue_kbytes).
    const bool fetcher = role == handle_role::fetcher;
    const auto queue_kbytes = fetcher ? config.fetcher_queue_kbytes : config.consumer_queue_kbytes;
    const auto backoff_ms =
        fetcher ? config.fetcher_queue_backoff_ms : config.fetch_queue_backoff_ms;
    p.insert(p.end(), {
                          {"group.id", assign_only_group},
                          {"fetch.wait.max.ms", std::to_string(config.fetch_wait_max_ms)},
                          {"fetch.min.bytes", "1"},
                          {"queued.max.messages.kbytes", std::to_string(queue_kbytes)},
                          {"enable.partition.eof", "false"},
                      });
    if (fetcher) {
      p.emplace_back("max.partition.fetch.bytes",
                     std::to_string(config.fetcher_partition_fetch_kbytes * 1024));
      p.emplace_back("queued.min.messages", std::to_string(config.fetcher_queue_min_messages));
    }
    if (rd_kafka_version() >= fetch_queue_backoff_since)
      p.emplace_back("fetch.queue.backoff.ms", std::to_string(backoff_ms));
    if (config.statistics)
      p.emplace_back("statistics.interval.ms", std::to_string(config.statistics_interval.count()));
  }
  return p;
}

// librdkafka's own log lines (any of its threads), collapsed when they repeat.
void log_line(const rd_kafka_t* rk, int level, const char* facility, const char* text) {
  log_librdkafka(level, facility, text, rd_kafka_name(rk));
}

// Applied after the user's properties: Kasocki never writes to Kafka.
const property_list& never_write() {
  static const property_list p = {{"enable.auto.commit", "false"},
                                  {"enable.auto.offset.store", "false"}};
  return p;
}

}  // namespace

result<std::pair<std::string, std::string>> parse_property(std::string_view text) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos) {
    return invalid_argument("expected key=value, got '" + std::string(text) + "'");
  }
  if (eq == 0) return invalid_argument("empty property name in '" + std::string(text) + "'");
  return std::pair{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

result<offset_reset> parse_offset_reset(std::string_view value) {
  if (value == "latest" || value == "largest" || value == "end") return offset_reset::latest;
  if (value == "earliest" || value == "smallest" || value == "beginning") {
    return offset_reset::earliest;
  }
  return invalid_argument("librdkafka property 'auto.offset.reset': invalid value '" +
                          std::string(value) + "' (expected earliest or latest)");
}

status add_property(kafka_config& config, std::string_view key, std::string_view value) {
  if (key.empty()) return invalid_argument("empty property name");
  if (key == "auto.offset.reset") {
    auto reset = parse_offset_reset(value);
    if (!reset) return reset.error();
    config.auto_offset_reset = reset.value();
  }
  config.properties.emplace_back(key, value);
  return ok_t{};
}

status validate(const kafka_config& config) {
  auto conf = make_conf(config, handle_role::consumer);
  if (!conf) return conf.error();
  rd_kafka_conf_destroy(conf.value());
  return ok_t{};
}

result<rd_kafka_conf_t*> make_conf(const kafka_config& config, handle_role role) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set_log_cb(conf, log_line);
  auto apply = [&](const property_list& list) -> status {
    for (const auto& [key, value] : list) {
      if (auto s = set(conf, key, value); !s) return s;
    }
    return ok_t{};
  };
  const property_list base = defaults(config, role);
  // A fetcher must not reset by itself: a job from a deleted offset would cache [offset, low)
  // as empty, and with `latest` skip what other readers still need.
  const property_list fetcher = role == handle_role::fetcher
                                    ? property_list{{"auto.offset.reset", "error"}}
                                    : property_list{};
  for (const property_list* list : {&base, &config.properties, &never_write(), &fetcher}) {
    if (auto s = apply(*list); !s) {
      rd_kafka_conf_destroy(conf);
      return s.error();
    }
  }
  return conf;
}

}  // namespace kasocki::kafka
