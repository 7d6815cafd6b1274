// See statistics.hpp.
#include "libkasocki/kafka/statistics.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>

#include <nlohmann/json.hpp>

namespace kasocki::kafka {

namespace {

// The integer member `key` of `j`, or `otherwise` when it is missing or not an integer that
// fits: a document of another librdkafka version (or a broken one) is read, never thrown on.
std::int64_t integer(const nlohmann::json& j, std::string_view key, std::int64_t otherwise) {
  const auto it = j.find(key);
  if (it == j.end()) return otherwise;
  if (it->is_number_unsigned())
    return it->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)
               ? otherwise
               : static_cast<std::int64_t>(it->get<std::uint64_t>());
  return it->is_number_integer() ? it->get<std::int64_t>() : otherwise;
}

// A counter of librdkafka: negative values are not counts.
std::int64_t count(const nlohmann::json& j, std::string_view key) {
  return std::max<std::int64_t>(0, integer(j, key, 0));
}

bool fetched(const nlohmann::json& partition) {
  const auto it = partition.find("fetch_state");
  return it != partition.end() && it->is_string() && it->get_ref<const std::string&>() != "none";
}

}  // namespace

statistics::statistics(metrics::registry& r) : registry_(r) {
  r.collect("kasocki_kafka_consumer_lag", metrics::metric_type::gauge,
            [this] { return lag_samples(); });
  r.collect("kasocki_kafka_fetch_rate", metrics::metric_type::gauge,
            [this] { return rate_samples(); });
  r.collect("kasocki_kafka_consumers", metrics::metric_type::gauge, [this] {
    return std::vector<metrics::sample>{{{}, static_cast<double>(consumers())}};
  });
  r.declare("kasocki_kafka_fetched_messages_total", metrics::metric_type::counter);
  r.declare("kasocki_kafka_fetched_bytes_total", metrics::metric_type::counter);
}

statistics::~statistics() {
  for (auto name :
       {"kasocki_kafka_consumer_lag", "kasocki_kafka_fetch_rate", "kasocki_kafka_consumers"})
    registry_.collect(name, metrics::metric_type::gauge, nullptr);
}

bool statistics::update(const std::string& handle, std::string_view json, std::string_view role) {
  auto doc = nlohmann::json::parse(json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return false;
  const auto ts_us = integer(doc, "ts", 0);
  std::map<partition_key, partition_stats> fresh;
  std::map<partition_key, counts> reported;
  if (auto topics = doc.find("topics"); topics != doc.end() && topics->is_object()) {
    for (const auto& [topic, t] : topics->items()) {
      auto parts = t.find("partitions");
      if (parts == t.end() || !parts->is_object()) continue;
      for (const auto& [id, p] : parts->items()) {
        std::int32_t partition = -1;
        std::from_chars(id.data(), id.data() + id.size(), partition);
        // -1 is librdkafka's internal unassigned partition.
        if (partition < 0 || !p.is_object()) continue;
        partition_stats s;
        s.rxmsgs = count(p, "rxmsgs");
        s.rxbytes = count(p, "rxbytes");
        // Counted whatever its state: what it received before it was unassigned shows here.
        reported[{topic, partition}] = {s.rxmsgs, s.rxbytes};
        if (!fetched(p)) continue;  // the gauges are of fetched partitions only
        // consumer_lag counts from the committed offset, and Kasocki never commits: so the lag
        // is from the consumer's position (app_offset) to the end it can read (ls_offset under
        // read_committed, the default, else hi_offset).
        const auto position = integer(p, "app_offset", -1);
        auto end = integer(p, "ls_offset", -1);
        if (end < 0) end = integer(p, "hi_offset", -1);
        s.lag = position >= 0 && end >= 0
                    ? std::max<std::int64_t>(0, end - position)
                    : std::max<std::int64_t>(-1, integer(p, "consumer_lag", -1));
        fresh[{topic, partition}] = s;
      }
    }
  }
  struct increment {
    metrics::label_list labels;
    std::uint64_t messages, bytes;
  };
  std::vector<increment> increments;
  {
    std::lock_guard lock(mutex_);
    // Documents reach here through the worker pool: one may come after its handle was closed,
    // or after the next one (parsed on another thread). Counted then, its counters would count
    // from zero or from the newer ones: the handle's whole count again.
    if (std::find(closed_.begin(), closed_.end(), handle) != closed_.end()) return true;
    auto& h = handles_[handle];
    if (ts_us > 0 && ts_us <= h.ts_us) return true;
    const double seconds = h.ts_us > 0 && ts_us > h.ts_us ? (ts_us - h.ts_us) / 1e6 : 0;
    std::map<partition_key, std::int64_t> received;  // messages since the last document
    for (const auto& [key, c] : reported) {
      auto& last = h.counted[key];
      // Counters only grow: a count below the last one means librdkafka started the
      // partition's counters anew, so all of it is new.
      const bool restart = last.rxmsgs > c.rxmsgs || last.rxbytes > c.rxbytes;
      const auto msgs = c.rxmsgs - (restart ? 0 : last.rxmsgs);
      const auto bytes = c.rxbytes - (restart ? 0 : last.rxbytes);
      if (msgs > 0 || bytes > 0)
        increments.push_back({{{"topic", key.first},
                               {"partition", std::to_string(key.second)},
                               {"role", std::string(role)}},
                              static_cast<std::uint64_t>(msgs),
                              static_cast<std::uint64_t>(bytes)});
      // A rate needs the partition fetched over the whole interval.
      if (!restart && h.partitions.contains(key)) received[key] = msgs;
      last = c;
    }
    for (auto& [key, s] : fresh)
      if (auto it = received.find(key); it != received.end() && seconds > 0)
        s.rate = it->second / seconds;
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

void statistics::closed(const std::string& handle) {
  std::lock_guard lock(mutex_);
  handles_.erase(handle);
  // librdkafka names handles uniquely in a process; the last few closed ones are enough to know
  // a late document (it is at most the worker pool's backlog late).
  closed_.push_back(handle);
  if (closed_.size() > closed_kept) closed_.pop_front();
}

std::size_t statistics::consumers() const {
  std::lock_guard lock(mutex_);
  return handles_.size();
}

std::vector<metrics::sample> statistics::lag_samples() const {
  std::lock_guard lock(mutex_);
  std::map<partition_key, std::int64_t> worst;
  for (const auto& [name, h] : handles_)
    for (const auto& [key, s] : h.partitions)
      if (s.lag >= 0) worst[key] = std::max(worst[key], s.lag);
  std::vector<metrics::sample> out;
  for (const auto& [key, lag] : worst)
    out.push_back({{{"topic", key.first}, {"partition", std::to_string(key.second)}},
                   static_cast<double>(lag)});
  return out;
}

std::vector<metrics::sample> statistics::rate_samples() const {
  std::lock_guard lock(mutex_);
  std::map<partition_key, double> total;
  for (const auto& [name, h] : handles_)
    for (const auto& [key, s] : h.partitions) total[key] += s.rate;
  std::vector<metrics::sample> out;
  for (const auto& [key, rate] : total)
    out.push_back({{{"topic", key.first}, {"partition", std::to_string(key.second)}}, rate});
  return out;
}

}  // namespace kasocki::kafka
