// The recovery cursor's size and the cost of one cursor (encode + HMAC + base64url) per message,
// for a few subscription shapes, as docs/PERFORMANCE.md reports them. Prints a Markdown table.
// Usage: recovery_cursor_cost [MESSAGES]. No I/O but stdout.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>
#include "libkasocki/gateway/session_cursor.hpp"
using namespace kasocki;
int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 200000;
  recovery::recovery_keys keys({"0123456789abcdef0123456789abcdef"});
  auto now = std::chrono::system_clock::now();
  auto pid = keys.issue_pid(now);
  struct shape {
    const char* name;
    int partitions;
    long long base;
    long long spread;
    const char* filters;
  };
  shape shapes[] = {
      {"1 partition, offset < 2^14", 1, 10000, 0, nullptr},
      {"1 partition, offset ~ 2^32", 1, 4000000000LL, 0, nullptr},
      {"6 partitions, offsets ~ 2^32 within 10^5", 6, 4000000000LL, 100000, nullptr},
      {"6 partitions, worst case below 2^32", 6, 0, -1, nullptr},
      {"50 partitions, offsets ~ 2^32 within 10^5", 50, 4000000000LL, 100000, nullptr},
      {"6 partitions + 2 filters", 6, 4000000000LL, 100000,
       R"({"meta.domain":"/wikipedia/","bot":false})"},
  };
  printf(
      "| subscription | cursor chars | bytes added per message | ns per cursor "
      "|\n|---|---|---|---|\n");
  for (auto& s : shapes) {
    gateway::session_cursor cursor(keys, pid, now);
    std::vector<kafka::resolved_assignment> a;
    for (int p = 0; p < s.partitions; ++p) {
      long long off =
          s.spread < 0 ? (p % 2 ? 0 : (1LL << 32) - 1) : s.base + (p * 7919LL) % (s.spread + 1);
      a.push_back({"mediawiki.recentchange", p, off, false});
    }
    cursor.assign(a);
    if (s.filters) cursor.set_filters(std::string(s.filters));
    auto text = cursor.text(true, now);
    auto t0 = std::chrono::steady_clock::now();
    std::size_t total = 0;
    for (int i = 0; i < n; ++i) {
      cursor.advance("mediawiki.recentchange", i % s.partitions,
                     a[i % s.partitions].offset + i / s.partitions + 1);
      total += cursor.text(true, now).size();
    }
    auto t1 = std::chrono::steady_clock::now();
    double ns = std::chrono::duration<double, std::nano>(t1 - t0).count() / n;
    printf("| %s | %zu | %zu | %.0f |\n", s.name, text.size(), text.size() + 3, ns);
    (void)total;
  }
}
