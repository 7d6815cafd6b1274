// A socket.io session's recovery cursor (kasocki-api.md, "Connection state recovery"): the
// positions after the last message delivered of every assigned partition, the filters and the
// started flag, signed for the session's pid, as the text the client keeps. Kept up to date by
// the session as it delivers; one signature per cursor text. Event-loop thread only; no I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libkasocki/kafka/offset_resolver.hpp"
#include "libkasocki/recovery/recovery_keys.hpp"

namespace kasocki::gateway {

class session_cursor {
 public:
  session_cursor(const recovery::recovery_keys& keys, std::string pid,
                 std::chrono::system_clock::time_point pid_issued);

  // A new subscription: every partition at its start offset.
  void assign(const std::vector<kafka::resolved_assignment>& assignments);
  // The next offset of a partition (after a message delivered, filtered out or skipped, or where
  // a reset moved it). Unknown partitions are ignored.
  void advance(std::string_view topic, std::int32_t partition, std::int64_t next_offset);
  // The filters as stored (compact JSON), none when cleared.
  void set_filters(std::optional<std::string> filters) { state_.filters = std::move(filters); }

  // The cursor text of the current state (base64url, no characters JSON must escape).
  std::string text(bool started, std::chrono::system_clock::time_point now);

 private:
  recovery::cursor_signer signer_;
  std::chrono::system_clock::time_point pid_issued_;
  recovery::session_state state_;
  std::vector<std::string> topics_;  // the name of each of state_.topics
  std::string scratch_;              // the binary form, reused
};

}  // namespace kasocki::gateway
