// Process figures for `kasocki bench`: the bench's own CPU time, a server's CPU time and peak
// memory from /proc, and raising the open-file limit for many connections. Does I/O (reads
// /proc, calls getrusage/setrlimit); Linux only.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kasocki::bench {

// User + system CPU seconds this process has used so far.
double self_cpu_seconds();

struct process_figures {
  double cpu_seconds = 0;  // utime + stime from /proc/PID/stat
  double peak_rss_mb = 0;  // VmHWM from /proc/PID/status, in MiB
};

// nullopt when the process does not exist or /proc cannot be read.
std::optional<process_figures> read_process(int pid);

// utime + stime (fields 14 and 15) of a /proc/PID/stat line, in clock ticks. The command name
// in parentheses may contain spaces and parentheses, so fields are counted after the last ')'.
std::optional<unsigned long long> parse_stat_cpu_ticks(std::string_view stat_line);

// The VmHWM value of /proc/PID/status text, in kB.
std::optional<unsigned long long> parse_status_hwm_kb(std::string_view status_text);

// The number after `key` (e.g. "VmRSS:", "Threads:") in /proc/PID/status text.
std::optional<unsigned long long> parse_status_number(std::string_view status_text,
                                                      std::string_view key);

struct process_sample {
  double rss_mb = 0;  // VmRSS, MiB
  int threads = 0;
};
// The current resident memory and thread count of a process; nullopt when it is gone.
std::optional<process_sample> sample_process(int pid);

// Starts `/bin/sh -c command` in a process group of its own, with the bench's stdin closed and
// its stdout going to the bench's stderr (the bench's stdout holds only the result line).
// Returns the pid, or -1. A command that should see a stop itself (and exit 0 after it) is
// best `exec`ed by the shell: the shell's own status on SIGTERM is 143.
int spawn_shell(const std::string& command);
// The child's exit status once it has ended (128 + signal when killed), else nullopt.
std::optional<int> child_exited(int pid);
// SIGTERM to the child's process group.
void terminate_child(int pid);
// SIGTERM to the child's process group, then waits for the child.
void stop_child(int pid);

// Raises the soft RLIMIT_NOFILE to the hard limit; returns the resulting soft limit.
unsigned long long raise_open_file_limit();

}  // namespace kasocki::bench
