// See session_cursor.hpp.
#include "libkasocki/gateway/session_cursor.hpp"

#include <algorithm>

namespace kasocki::gateway {

session_cursor::session_cursor(const recovery::recovery_keys& keys, std::string pid,
                               std::chrono::system_clock::time_point pid_issued)
    : signer_(keys, pid), pid_issued_(pid_issued) {}

void session_cursor::assign(const std::vector<kafka::resolved_assignment>& assignments) {
  state_.topics.clear();
  topics_.clear();
  for (const auto& a : assignments) {
    auto it = std::find(topics_.begin(), topics_.end(), a.topic);
    std::size_t index = static_cast<std::size_t>(it - topics_.begin());
    if (it == topics_.end()) {
      topics_.push_back(a.topic);
      state_.topics.push_back({recovery::topic_hash(a.topic), {}});
    }
    state_.topics[index].partitions.push_back({a.partition, a.offset});
  }
  // Sorted by partition, so that a whole topic takes the dense form.
  for (auto& t : state_.topics)
    std::sort(t.partitions.begin(), t.partitions.end(),
              [](const auto& a, const auto& b) { return a.partition < b.partition; });
}

void session_cursor::advance(std::string_view topic, std::int32_t partition,
                             std::int64_t next_offset) {
  for (std::size_t i = 0; i < topics_.size(); ++i) {
    if (topics_[i] != topic) continue;
    for (auto& p : state_.topics[i].partitions)
      if (p.partition == partition) p.next_offset = next_offset;
    return;
  }
}

std::string session_cursor::text(bool started, std::chrono::system_clock::time_point now) {
  state_.started = started;
  const auto age = std::chrono::duration_cast<std::chrono::minutes>(now - pid_issued_).count();
  state_.age_minutes = age > 0 ? static_cast<std::uint32_t>(age) : 0;
  scratch_.clear();
  recovery::encode_state(state_, scratch_);
  std::string out;
  signer_.sign(scratch_, out);
  return out;
}

}  // namespace kasocki::gateway
