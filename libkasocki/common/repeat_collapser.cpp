// See repeat_collapser.hpp.
#include "libkasocki/common/repeat_collapser.hpp"

namespace kasocki::log {

std::string repeat_key(std::string_view text) {
  constexpr std::string_view thread_prefix = "[thrd:";
  if (text.starts_with(thread_prefix)) {
    if (auto end = text.find("]: "); end != std::string_view::npos) text.remove_prefix(end + 3);
  }
  std::string key;
  key.reserve(text.size());
  int depth = 0;
  for (char c : text) {
    if (c == '(') {
      ++depth;
    } else if (c == ')' && depth > 0) {
      --depth;
    } else if (depth == 0) {
      key += c;
    }
  }
  // The spaces left around a removed part: "failed:  Connection" and "down " end up alike.
  std::string out;
  out.reserve(key.size());
  for (char c : key)
    if (c != ' ' || (!out.empty() && out.back() != ' ')) out += c;
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

repeat_collapser::repeat_collapser(clock::duration quiet, clock::duration max_span)
    : quiet_(quiet), max_span_(max_span) {}

bool repeat_collapser::offer(const std::string& key, const line& l, clock::time_point now) {
  auto [it, inserted] = kinds_.try_emplace(key);
  auto& k = it->second;
  if (inserted) {
    k.first = l;
    k.started = k.last = now;
    return true;
  }
  ++k.repeats;
  k.last = now;
  return false;
}

repeat_collapser::line repeat_collapser::summary(const kind& k) {
  line out = k.first;
  out.fields["repeated"] = k.repeats;
  out.fields["seconds"] =
      std::chrono::duration_cast<std::chrono::milliseconds>(k.last - k.started).count() / 1000.0;
  return out;
}

std::vector<repeat_collapser::line> repeat_collapser::take_quiet(clock::time_point now) {
  std::vector<line> out;
  for (auto it = kinds_.begin(); it != kinds_.end();) {
    auto& k = it->second;
    if (now - k.last >= quiet_) {
      if (k.repeats > 0) out.push_back(summary(k));
      it = kinds_.erase(it);
      continue;
    }
    if (k.repeats > 0 && now - k.started >= max_span_) {
      out.push_back(summary(k));
      k.repeats = 0;
      k.started = now;
    }
    ++it;
  }
  return out;
}

std::vector<repeat_collapser::line> repeat_collapser::take_all() {
  std::vector<line> out;
  for (const auto& [key, k] : kinds_)
    if (k.repeats > 0) out.push_back(summary(k));
  kinds_.clear();
  return out;
}

}  // namespace kasocki::log
