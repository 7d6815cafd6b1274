// See metrics.hpp.
#include "libkasocki/common/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

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

}  // namespace kasocki::metrics
