// Immutable, reference-counted byte strings: a frame or message body built once and queued to
// many sessions without copying. No I/O.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace kasocki {

using shared_bytes = std::shared_ptr<const std::string>;

inline shared_bytes make_shared_bytes(std::string bytes) {
  return std::make_shared<const std::string>(std::move(bytes));
}

inline std::string_view view(const shared_bytes& bytes) {
  return bytes ? std::string_view(*bytes) : std::string_view();
}

}  // namespace kasocki
