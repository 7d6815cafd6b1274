// The state of a socket.io session that connection state recovery carries in the client's cursor:
// per topic (named by a 32-bit hash of its name, resolved against Kafka's topics by whichever
// server reads it) the position after the last message delivered of each assigned partition, the
// filters as stored, whether the session was started, and the cursor's age relative to its pid.
// And its compact binary form, before signing. Pure, no I/O.
//
// The form (every integer an unsigned LEB128 varint unless said otherwise):
//   head byte   bits 0-1 version (1), bit 2 started, bit 3 filters follow,
//               bits 4-7 the topic count (15: the count follows as a varint)
//   age_minutes
//   [filters]   length, then that many bytes of compact JSON
//   per topic   4 bytes of topic_hash (big endian); partition count << 1 | dense (dense: the
//               partitions are 0..count-1 in order, and are not written); the partitions when not
//               dense; the first next_offset, then each next one as a zigzag delta from the one
//               before (partitions of a topic tend to be at similar offsets).
// One topic of 6 partitions at offsets below 2^32 and no filters takes at most 38 bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libkasocki/common/result.hpp"

namespace kasocki::recovery {

enum class recovery_errc {
  malformed,  // not base64url, not the binary form, a count or number out of range, trailing bytes
  bad_signature,  // the tag does not verify with any secret (tampered, or another secret)
  expired,        // older than the recovery window, or issued in the future
};

struct recovery_error {
  recovery_errc kind = recovery_errc::malformed;
  friend bool operator==(const recovery_error&, const recovery_error&) = default;
};

template <class T>
using recovery_result = result<T, recovery_error>;

struct partition_offset {
  std::int32_t partition = 0;    // >= 0
  std::int64_t next_offset = 0;  // >= 0: the offset after the last message delivered
  friend bool operator==(const partition_offset&, const partition_offset&) = default;
};

struct topic_positions {
  std::uint32_t topic_hash = 0;  // topic_hash() of the name
  std::vector<partition_offset> partitions;
  friend bool operator==(const topic_positions&, const topic_positions&) = default;
};

struct session_state {
  bool started = false;
  std::optional<std::string> filters;  // the filters as stored, compact JSON; none when empty
  std::uint32_t age_minutes = 0;       // from the pid's issue time to this cursor
  std::vector<topic_positions> topics;
  friend bool operator==(const session_state&, const session_state&) = default;
};

// FNV-1a, 32 bits: stable across servers and builds.
std::uint32_t topic_hash(std::string_view topic) noexcept;

// Appends the binary form of `state` to `out`.
void encode_state(const session_state& state, std::string& out);

// The state of a binary form; malformed for anything encode_state cannot have written (wrong
// version, a partition over INT32_MAX, an offset over INT64_MAX, more items than bytes left,
// bytes after the end). decode_state(encode_state(s)) == s for every state decode_state gives.
recovery_result<session_state> decode_state(std::string_view bytes);

// ---- varints, shared with the pid's form ----
void put_varint(std::uint64_t value, std::string& out);
// Reads one varint at `pos` (advanced past it); nullopt when it is cut off or over 64 bits.
std::optional<std::uint64_t> get_varint(std::string_view bytes, std::size_t& pos);

}  // namespace kasocki::recovery
