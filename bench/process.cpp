// See process.hpp.
#include "bench/process.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include <charconv>
#include <fstream>
#include <sstream>
#include <string>

namespace kasocki::bench {

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
  return parse_status_number(text, "VmHWM:");
}

std::optional<unsigned long long> parse_status_number(std::string_view text, std::string_view key) {
  // Keys start a line: a match elsewhere (inside another key) is skipped.
  std::size_t at = text.find(key);
  while (at != std::string_view::npos && at > 0 && text[at - 1] != '\n')
    at = text.find(key, at + 1);
  if (at == std::string_view::npos) return std::nullopt;
  std::size_t pos = at + key.size();
  while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
  unsigned long long value = 0;
  auto [p, ec] = std::from_chars(text.data() + pos, text.data() + text.size(), value);
  if (ec != std::errc() || p == text.data() + pos) return std::nullopt;
  return value;
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

std::optional<process_sample> sample_process(int pid) {
  auto status = read_text("/proc/" + std::to_string(pid) + "/status");
  if (!status) return std::nullopt;
  auto rss = parse_status_number(*status, "VmRSS:");
  auto threads = parse_status_number(*status, "Threads:");
  if (!rss || !threads) return std::nullopt;  // a zombie has no VmRSS
  return process_sample{static_cast<double>(*rss) / 1024.0, static_cast<int>(*threads)};
}

int spawn_shell(const std::string& command) {
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
  std::string shell = "/bin/sh", flag = "-c", text = command;
  char* argv[] = {shell.data(), flag.data(), text.data(), nullptr};
  // A process group of its own, so a stop reaches the command the shell started too.
  posix_spawnattr_t attributes;
  ::posix_spawnattr_init(&attributes);
  ::posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  ::posix_spawnattr_setpgroup(&attributes, 0);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, environ);
  ::posix_spawnattr_destroy(&attributes);
  ::posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

namespace {
int exit_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}
}  // namespace

std::optional<int> child_exited(int pid) {
  int status = 0;
  pid_t r = ::waitpid(pid, &status, WNOHANG);
  if (r == 0) return std::nullopt;
  if (r < 0) return -1;
  return exit_code(status);
}

void terminate_child(int pid) {
  if (pid > 0) ::kill(-pid, SIGTERM);
}

void stop_child(int pid) {
  if (pid <= 0) return;
  terminate_child(pid);
  int status = 0;
  ::waitpid(pid, &status, 0);
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

}  // namespace kasocki::bench
