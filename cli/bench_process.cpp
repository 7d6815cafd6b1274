// See bench_process.hpp.
#include "cli/bench_process.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <string>

namespace kasocki::cli::bench {

namespace {

std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

double seconds_of(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

}  // namespace

double self_cpu_seconds() {
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return seconds_of(usage.ru_utime) + seconds_of(usage.ru_stime);
}

std::optional<unsigned long long> parse_stat_cpu_ticks(std::string_view line) {
  auto close = line.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  // After ") " come field 3 (state), 4, 5, ...: utime is field 14, stime field 15.
  std::size_t pos = close + 1;
  unsigned long long total = 0;
  for (int field = 3; field <= 15; ++field) {
    while (pos < line.size() && line[pos] == ' ') ++pos;
    std::size_t end = line.find(' ', pos);
    if (end == std::string_view::npos) end = line.size();
    if (pos >= end) return std::nullopt;
    if (field >= 14) {
      unsigned long long ticks = 0;
      auto [p, ec] = std::from_chars(line.data() + pos, line.data() + end, ticks);
      if (ec != std::errc() || p != line.data() + end) return std::nullopt;
      total += ticks;
    }
    pos = end;
  }
  return total;
}

std::optional<unsigned long long> parse_status_hwm_kb(std::string_view text) {
  constexpr std::string_view key = "VmHWM:";
  auto at = text.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  std::size_t pos = at + key.size();
  while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
  unsigned long long kb = 0;
  auto [p, ec] = std::from_chars(text.data() + pos, text.data() + text.size(), kb);
  if (ec != std::errc() || p == text.data() + pos) return std::nullopt;
  return kb;
}

std::optional<process_figures> read_process(int pid) {
  std::string base = "/proc/" + std::to_string(pid);
  auto stat = read_text(base + "/stat");
  auto status = read_text(base + "/status");
  if (!stat || !status) return std::nullopt;
  auto ticks = parse_stat_cpu_ticks(*stat);
  auto hwm = parse_status_hwm_kb(*status);
  if (!ticks || !hwm) return std::nullopt;
  long hz = ::sysconf(_SC_CLK_TCK);
  process_figures figures;
  figures.cpu_seconds = static_cast<double>(*ticks) / static_cast<double>(hz > 0 ? hz : 100);
  figures.peak_rss_mb = static_cast<double>(*hwm) / 1024.0;
  return figures;
}

unsigned long long raise_open_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return static_cast<unsigned long long>(limit.rlim_cur);
}

}  // namespace kasocki::cli::bench
