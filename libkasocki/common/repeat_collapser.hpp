// Collapses repeated log lines: the first line of a kind is written, its repeats are only counted,
// and one summary line with the count follows when the kind goes quiet, when the state it
// reports ends (e.g. Kafka is reachable again) or at shutdown. A kind is a key the caller
// computes (repeat_key() for librdkafka's lines). Pure bookkeeping: the clock is passed in, no
// I/O, not thread-safe (the caller locks).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "libkasocki/common/log.hpp"

namespace kasocki::log {

// A log line's text without what changes between its repeats: a leading "[thrd:...]: " (which
// of a handle's threads wrote it) and every parenthesised part ("(after 0ms in state CONNECT)",
// "(5 identical error(s) suppressed)"), so that one broker's failed connects are one kind. Never
// throws; any text is accepted.
std::string repeat_key(std::string_view text);

class repeat_collapser {
 public:
  using clock = std::chrono::steady_clock;

  struct line {
    level severity = level::info;
    std::string message;
    nlohmann::ordered_json fields = nlohmann::ordered_json::object();
  };

  // `quiet`: a kind with no repeat for this long ends, with its summary. `max_span`: a kind that
  // keeps repeating still gets a summary this often (then counting starts again).
  repeat_collapser(clock::duration quiet, clock::duration max_span);

  // True when `l` is the first of its kind `key` (the caller writes it); false when it is a
  // repeat (counted; the summary reports it).
  bool offer(const std::string& key, const line& l, clock::time_point now);

  // Summaries of the kinds that went quiet (or span too long) by `now`: the first line's level,
  // message and fields, plus "repeated" (how many lines were not written) and "seconds" (from
  // the first line to the last repeat). Kinds without repeats end without a summary.
  std::vector<line> take_quiet(clock::time_point now);
  // Every kind ends now (the state they reported is over): their summaries.
  std::vector<line> take_all();

  std::size_t kinds() const { return kinds_.size(); }

 private:
  struct kind {
    line first;
    std::uint64_t repeats = 0;
    clock::time_point started, last;
  };
  static line summary(const kind& k);

  clock::duration quiet_, max_span_;
  std::map<std::string, kind, std::less<>> kinds_;
};

}  // namespace kasocki::log
