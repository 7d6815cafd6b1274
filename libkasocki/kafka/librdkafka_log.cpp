// See librdkafka_log.hpp.
#include "libkasocki/kafka/librdkafka_log.hpp"

#include <mutex>
#include <string>

#include "libkasocki/common/log.hpp"
#include "libkasocki/common/repeat_collapser.hpp"

namespace kasocki::kafka {

namespace {

// librdkafka retries a broker at most every reconnect.backoff.max.ms (10 s by default): a kind
// quiet for three times that has stopped.
constexpr auto quiet = std::chrono::seconds(30);
constexpr auto max_span = std::chrono::minutes(5);

struct collapsed_log {
  std::mutex mutex;
  log::repeat_collapser collapser{quiet, max_span};
};

collapsed_log& shared() {
  static collapsed_log instance;
  return instance;
}

void write_all(const std::vector<log::repeat_collapser::line>& lines) {
  for (const auto& l : lines) log::write(l.severity, l.message, l.fields);
}

}  // namespace

void log_librdkafka(int syslog_level, std::string_view facility, std::string_view text,
                    std::string_view client) {
  const auto severity = syslog_level <= 3   ? log::level::error
                        : syslog_level == 4 ? log::level::warn
                        : syslog_level <= 6 ? log::level::info
                                            : log::level::debug;
  if (!log::enabled(severity)) return;
  log::repeat_collapser::line line{severity,
                                   std::string(text),
                                   {{"source", "librdkafka"},
                                    {"facility", std::string(facility)},
                                    {"client", std::string(client)}}};
  std::string key = std::to_string(static_cast<int>(severity)) + "|" + std::string(facility) + "|" +
                    log::repeat_key(text);
  const auto now = log::repeat_collapser::clock::now();
  std::vector<log::repeat_collapser::line> out;
  {
    std::lock_guard lock(shared().mutex);
    out = shared().collapser.take_quiet(now);
    if (shared().collapser.offer(key, line, now)) out.push_back(std::move(line));
  }
  write_all(out);
}

void flush_librdkafka_repeats(bool all) {
  std::vector<log::repeat_collapser::line> out;
  {
    std::lock_guard lock(shared().mutex);
    out = all ? shared().collapser.take_all()
              : shared().collapser.take_quiet(log::repeat_collapser::clock::now());
  }
  write_all(out);
}

}  // namespace kasocki::kafka
