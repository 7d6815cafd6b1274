// See topic_grant.hpp.
#include "libkasocki/auth/topic_grant.hpp"

namespace kasocki::auth {

bool topic_matches(std::string_view pattern, std::string_view topic) {
  // The classic greedy glob with one backtrack point: on a mismatch after a star, the star
  // takes one more character. No recursion, so no pattern can exhaust the stack.
  std::size_t p = 0, t = 0;
  std::size_t star = std::string_view::npos, resume = 0;
  while (t < topic.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && pattern[p] == topic[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool topic_grant::allows(std::string_view topic) const {
  if (!patterns_) return true;
  for (const auto& pattern : *patterns_)
    if (topic_matches(pattern, topic)) return true;
  return false;
}

}  // namespace kasocki::auth
