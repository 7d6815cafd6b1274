// See metrics.hpp.
#include "libkasocki/http/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include <nlohmann/json.hpp>

namespace kasocki::metrics {

namespace {

// HELP texts of the names the project registers, so callers need not repeat them.
constexpr std::pair<std::string_view, std::string_view> catalogue[] = {
    {"kasocki_connections", "Open Engine.IO sessions, by transport and Engine.IO version"},
    {"kasocki_send_queue_bytes",
     "Bytes queued for clients and not yet written, over all sessions (each bounded by "
     "--send-queue-kib)"},
    {"kasocki_send_queue_peak_bytes", "The most bytes one session has held queued since start"},
    {"kasocki_sessions_subscribed", "Kasocki sessions with a subscription"},
    {"kasocki_sessions_started", "Kasocki sessions that asked for pushed messages (start)"},
    {"kasocki_messages_delivered_total", "Messages sent to clients (consume acks and pushes)"},
    {"kasocki_bytes_delivered_total", "Bytes of the message packets sent to clients"},
    {"kasocki_messages_filtered_total",
     "Messages not sent because a client's filters refused them"},
    {"kasocki_deserialization_errors_total", "Kafka messages that were not JSON objects"},
    {"kasocki_errors_total", "Kasocki errors sent to clients, by error name"},
    {"kasocki_limit_rejections_total", "Requests or connections refused by a limit, by limit"},
    {"kasocki_kafka_reachable", "1 when the last Kafka metadata fetch succeeded, else 0"},
    {"kasocki_kafka_consumers", "Kafka consumer handles that reported statistics"},
    {"kasocki_kafka_fetched_messages_total", "Messages fetched from Kafka, by topic and partition"},
    {"kasocki_kafka_fetched_bytes_total", "Bytes fetched from Kafka, by topic and partition"},
    {"kasocki_kafka_fetch_rate", "Messages/s fetched from Kafka over the last statistics interval"},
    {"kasocki_kafka_consumer_lag",
     "Messages between the high watermark and the slowest consumer, by topic and partition"},
};

std::string_view catalogue_help(std::string_view name) {
  for (const auto& [n, help] : catalogue)
    if (n == name) return help;
  return {};
}

label_list sorted(label_list labels) {
  std::sort(labels.begin(), labels.end());
  return labels;
}

void append_number(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
  }
}

void append_sample(std::string& out, std::string_view name, const label_list& labels,
                   std::string_view value) {
  out += name;
  if (!labels.empty()) {
    out += '{';
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (i) out += ',';
      out += labels[i].first;
      out += "=\"";
      out += escape_label_value(labels[i].second);
      out += '"';
    }
    out += '}';
  }
  out += ' ';
  out += value;
  out += '\n';
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

registry::family& registry::family_of(std::string_view name, metric_type type,
                                      std::string_view help) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(std::string(name), family{}).first;
    it->second.type = type;
    it->second.help = std::string(help.empty() ? catalogue_help(name) : help);
  }
  return it->second;
}

counter& registry::counter(std::string_view name, label_list labels, std::string_view help) {
  std::lock_guard lock(mutex_);
  auto& f = family_of(name, metric_type::counter, help);
  auto& slot = f.counters[sorted(std::move(labels))];
  if (!slot) slot = std::make_unique<metrics::counter>();
  return *slot;
}

gauge& registry::gauge(std::string_view name, label_list labels, std::string_view help) {
  std::lock_guard lock(mutex_);
  auto& f = family_of(name, metric_type::gauge, help);
  auto& slot = f.gauges[sorted(std::move(labels))];
  if (!slot) slot = std::make_unique<metrics::gauge>();
  return *slot;
}

void registry::collect(std::string_view name, metric_type type,
                       std::function<std::vector<sample>()> fn, std::string_view help) {
  std::lock_guard lock(mutex_);
  family_of(name, type, help).collector = std::move(fn);
}

void registry::declare(std::string_view name, metric_type type, std::string_view help) {
  std::lock_guard lock(mutex_);
  family_of(name, type, help);
}

std::string registry::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [name, f] : families_) {
    if (!f.help.empty()) out += "# HELP " + name + " " + f.help + "\n";
    out += "# TYPE " + name + (f.type == metric_type::counter ? " counter\n" : " gauge\n");
    for (const auto& [labels, c] : f.counters)
      append_sample(out, name, labels, std::to_string(c->value()));
    for (const auto& [labels, g] : f.gauges)
      append_sample(out, name, labels, std::to_string(g->value()));
    if (f.collector) {
      for (auto& s : f.collector()) {
        std::string value;
        append_number(value, s.value);
        append_sample(out, name, sorted(std::move(s.labels)), value);
      }
    }
  }
  return out;
}

registry& global() {
  static registry r;
  return r;
}

// ---- librdkafka statistics ----

kafka_statistics::kafka_statistics(registry& r) : registry_(r) {
  r.collect("kasocki_kafka_consumer_lag", metric_type::gauge, [this] { return lag_samples(); });
  r.collect("kasocki_kafka_fetch_rate", metric_type::gauge, [this] { return rate_samples(); });
  r.collect("kasocki_kafka_consumers", metric_type::gauge, [this] {
    return std::vector<sample>{{{}, static_cast<double>(consumers())}};
  });
  r.declare("kasocki_kafka_fetched_messages_total", metric_type::counter);
  r.declare("kasocki_kafka_fetched_bytes_total", metric_type::counter);
}

kafka_statistics::~kafka_statistics() {
  for (auto name :
       {"kasocki_kafka_consumer_lag", "kasocki_kafka_fetch_rate", "kasocki_kafka_consumers"})
    registry_.collect(name, metric_type::gauge, nullptr);
}

bool kafka_statistics::update(const std::string& handle, std::string_view json) {
  auto doc = nlohmann::json::parse(json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return false;
  const auto ts_us = doc.value("ts", std::int64_t{0});
  std::map<partition_key, partition_stats> fresh;
  if (auto topics = doc.find("topics"); topics != doc.end() && topics->is_object()) {
    for (const auto& [topic, t] : topics->items()) {
      auto parts = t.find("partitions");
      if (parts == t.end() || !parts->is_object()) continue;
      for (const auto& [id, p] : parts->items()) {
        std::int32_t partition = -1;
        std::from_chars(id.data(), id.data() + id.size(), partition);
        // -1 is librdkafka's internal unassigned partition; only fetched ones are of interest.
        if (partition < 0 || !p.is_object() || p.value("fetch_state", "none") == "none") continue;
        partition_stats s;
        s.rxmsgs = p.value("rxmsgs", std::int64_t{0});
        s.rxbytes = p.value("rxbytes", std::int64_t{0});
        // consumer_lag counts from the committed offset, and Kasocki never commits: so the lag
        // is from the consumer's position (app_offset) to the end it can read (ls_offset under
        // read_committed, the default, else hi_offset).
        const auto position = p.value("app_offset", std::int64_t{-1});
        auto end = p.value("ls_offset", std::int64_t{-1});
        if (end < 0) end = p.value("hi_offset", std::int64_t{-1});
        s.lag = position >= 0 && end >= 0 ? std::max<std::int64_t>(0, end - position)
                                          : p.value("consumer_lag", std::int64_t{-1});
        fresh[{topic, partition}] = s;
      }
    }
  }
  struct increment {
    label_list labels;
    std::uint64_t messages, bytes;
  };
  std::vector<increment> increments;
  {
    std::lock_guard lock(mutex_);
    auto& h = handles_[handle];
    const double seconds = h.ts_us > 0 && ts_us > h.ts_us ? (ts_us - h.ts_us) / 1e6 : 0;
    for (auto& [key, s] : fresh) {
      const auto old = h.partitions.find(key);
      // Counters only grow: a count below the last one means a new handle of the same name.
      const bool restart = old == h.partitions.end() || old->second.rxmsgs > s.rxmsgs ||
                           old->second.rxbytes > s.rxbytes;
      const auto msgs = s.rxmsgs - (restart ? 0 : old->second.rxmsgs);
      const auto bytes = s.rxbytes - (restart ? 0 : old->second.rxbytes);
      if (msgs > 0 || bytes > 0)
        increments.push_back({{{"topic", key.first}, {"partition", std::to_string(key.second)}},
                              static_cast<std::uint64_t>(msgs),
                              static_cast<std::uint64_t>(bytes)});
      s.rate = seconds > 0 && !restart ? msgs / seconds : 0;
    }
    h.partitions = std::move(fresh);
    h.ts_us = ts_us;
  }
  // Outside our mutex: render() holds the registry's mutex while it takes ours.
  for (auto& i : increments) {
    registry_.counter("kasocki_kafka_fetched_messages_total", i.labels).inc(i.messages);
    registry_.counter("kasocki_kafka_fetched_bytes_total", std::move(i.labels)).inc(i.bytes);
  }
  return true;
}

void kafka_statistics::closed(const std::string& handle) {
  std::lock_guard lock(mutex_);
  handles_.erase(handle);
}

std::size_t kafka_statistics::consumers() const {
  std::lock_guard lock(mutex_);
  return handles_.size();
}

std::vector<sample> kafka_statistics::lag_samples() const {
  std::lock_guard lock(mutex_);
  std::map<partition_key, std::int64_t> worst;
  for (const auto& [name, h] : handles_)
    for (const auto& [key, s] : h.partitions)
      if (s.lag >= 0) worst[key] = std::max(worst[key], s.lag);
  std::vector<sample> out;
  for (const auto& [key, lag] : worst)
    out.push_back({{{"topic", key.first}, {"partition", std::to_string(key.second)}},
                   static_cast<double>(lag)});
  return out;
}

std::vector<sample> kafka_statistics::rate_samples() const {
  std::lock_guard lock(mutex_);
  std::map<partition_key, double> total;
  for (const auto& [name, h] : handles_)
    for (const auto& [key, s] : h.partitions) total[key] += s.rate;
  std::vector<sample> out;
  for (const auto& [key, rate] : total)
    out.push_back({{{"topic", key.first}, {"partition", std::to_string(key.second)}}, rate});
  return out;
}

}  // namespace kasocki::metrics
