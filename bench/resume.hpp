// The pure parts of resuming a `kasocki bench` connection on another gateway: where it
// subscribes again (the offset after the last one it received, per partition), what a closed
// connection means for the run, which of several server URLs a connection uses, and the
// recovery figures over the connections that came back. Header-only so the unit tests use it
// without the CLI executable. No I/O.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/stats.hpp"

namespace kasocki::bench {

// The subscription that resumes a connection: every partition it was assigned, at the offset
// after the last one it received there (or where it was first assigned, when it received none).
// Partitions it was never assigned (first offset -1) are left out.
inline nlohmann::json resume_assignment(const std::string& topic,
                                        const std::vector<std::int64_t>& first_offsets,
                                        const offset_tracker& tracker) {
  nlohmann::json spec = nlohmann::json::array();
  for (std::size_t p = 0; p < first_offsets.size(); ++p) {
    std::int64_t next = tracker.next(static_cast<std::int32_t>(p));
    if (next < 0) next = first_offsets[p];
    if (next >= 0)
      spec.push_back(nlohmann::json{{"topic", topic}, {"partition", p}, {"offset", next}});
  }
  return spec;
}

// What a connection that has closed means for the run.
enum class close_action {
  ignore,  // the run is ending, or the connection had finished (closed on purpose)
  resume,  // subscribe again where it stopped (a deliberate reconnect, or --resume-on-close)
  fail,    // the server closed it and the run does not tolerate that
};

inline close_action on_closed(bool stopping, bool done, bool reconnecting, bool resume_on_close) {
  if (stopping || done) return close_action::ignore;
  if (reconnecting || resume_on_close) return close_action::resume;
  return close_action::fail;
}

// Connection i of the run uses URL i mod N: with the gateways' own URLs the clients are split
// evenly over them (the "direct" baseline of a balancer).
inline const std::string& url_of(const std::vector<std::string>& urls, std::size_t index) {
  return urls[index % urls.size()];
}

// Max and median of the recovery times (seconds) of the connections that came back.
struct recovery_summary {
  double max = 0;
  double p50 = 0;
};

inline std::optional<recovery_summary> summarize_recovery(std::vector<double> seconds) {
  if (seconds.empty()) return std::nullopt;
  std::sort(seconds.begin(), seconds.end());
  return recovery_summary{seconds.back(), seconds[seconds.size() / 2]};
}

// "NAME=PID" of --watch-pid: a label for the figures and a positive process id.
struct named_pid {
  std::string name;
  int pid = 0;
};

inline std::optional<named_pid> parse_named_pid(std::string_view text) {
  auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 >= text.size()) return std::nullopt;
  long long pid = 0;
  for (char ch : text.substr(eq + 1)) {
    if (ch < '0' || ch > '9') return std::nullopt;
    pid = pid * 10 + (ch - '0');
    if (pid > 4'194'304) return std::nullopt;  // above Linux's pid_max limit
  }
  if (pid <= 0) return std::nullopt;
  return named_pid{std::string(text.substr(0, eq)), static_cast<int>(pid)};
}

}  // namespace kasocki::bench
