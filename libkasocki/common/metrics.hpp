// Metrics for `GET /metrics`: counters and gauges registered by name and labels, families
// computed at scrape time, rendered in the Prometheus text exposition format (0.0.4). Every
// layer counts into it (it sits in common/ so that none needs http/ for that); http/ only serves
// render() at `GET /metrics`.
// Increments are one relaxed atomic add, safe from any thread and cheap on the event loop;
// registering and rendering take a mutex. No I/O.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kasocki::metrics {

// Label name/value pairs, e.g. {{"limit", "connections_per_ip"}}. Order does not matter.
using label_list = std::vector<std::pair<std::string, std::string>>;

// A monotonically increasing count.
class counter {
 public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// A value that goes up and down (open sessions, ...).
class gauge {
 public:
  void set(std::int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void inc(std::int64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  void dec(std::int64_t n = 1) { value_.fetch_sub(n, std::memory_order_relaxed); }
  std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

enum class metric_type { counter, gauge };

// One sample of a family computed at scrape time.
struct sample {
  label_list labels;
  double value = 0;
};

class registry {
 public:
  // The counter or gauge of `name` with `labels`, created at 0 on first use; the reference
  // stays valid as long as the registry. Keep it instead of looking it up per increment.
  // `help` is only needed for names that are not in the built-in catalogue (see metrics.cpp).
  metrics::counter& counter(std::string_view name, label_list labels = {},
                            std::string_view help = {});
  metrics::gauge& gauge(std::string_view name, label_list labels = {}, std::string_view help = {});

  // A family whose samples `fn` computes at each render(), on the rendering thread (the event
  // loop for /metrics, so `fn` may read event-loop state). Replaces an earlier one of that name.
  void collect(std::string_view name, metric_type type, std::function<std::vector<sample>()> fn,
               std::string_view help = {});

  // A family with no samples yet (so that it is listed before the first increment).
  void declare(std::string_view name, metric_type type, std::string_view help = {});

  // Every family, sorted by name, as `# HELP`, `# TYPE` and sample lines.
  std::string render() const;

 private:
  struct family {
    metric_type type = metric_type::counter;
    std::string help;
    std::map<label_list, std::unique_ptr<metrics::counter>> counters;
    std::map<label_list, std::unique_ptr<metrics::gauge>> gauges;
    std::function<std::vector<sample>()> collector;
  };
  family& family_of(std::string_view name, metric_type type, std::string_view help);

  mutable std::mutex mutex_;
  std::map<std::string, family, std::less<>> families_;
};

// The process's registry: what /metrics renders and what every layer counts into.
registry& global();

// Content-Type of render()'s output.
inline constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";

// Escapes a label value for the text format (backslash, double quote, newline).
std::string escape_label_value(std::string_view value);

}  // namespace kasocki::metrics
