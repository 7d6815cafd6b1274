// When a client is told that Kafka cannot be reached: once per outage. During an outage every
// handle reports each failed connect and "all brokers down" again and again; a client gets one
// KafkaUnavailableError, and the next only after the outage is seen to end, by messages
// reaching it again or by the metadata cache reaching the cluster again (its count of
// recoveries moved). Pure, no I/O.
#pragma once

#include <cstdint>

namespace kasocki::gateway {

class outage_notice {
 public:
  // An error saying Kafka cannot be reached came; `recoveries` is the metadata cache's count of
  // recoveries now. True: tell the client (the first of this outage).
  bool should_tell(std::uint64_t recoveries) {
    if (told_ && recoveries == told_at_) return false;
    told_ = true;
    told_at_ = recoveries;
    return true;
  }
  // Messages reached the client: whatever outage it was told of is over.
  void reachable() { told_ = false; }
  bool told() const { return told_; }

 private:
  bool told_ = false;
  std::uint64_t told_at_ = 0;
};

}  // namespace kasocki::gateway
