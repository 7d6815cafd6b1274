// libFuzzer target: a reconnecting client's recovery pid and cursor (recovery/session_state.hpp,
// recovery/recovery_keys.hpp). No input may crash, allocate beyond its size or throw. A state
// that decodes encodes to a form that decodes to the same state; a cursor that opens re-signs to
// one that opens to the same state. The input is tried as the binary state, as a cursor text for
// a fixed pid, and split at its first newline as pid and cursor.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "libkasocki/recovery/recovery_keys.hpp"

using namespace kasocki::recovery;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  static const recovery_keys keys({"fuzz-secret", "older-secret"});
  static const std::string pid = keys.issue_pid(std::chrono::system_clock::now());
  const auto now = std::chrono::system_clock::now();
  const std::chrono::seconds window(86400);

  if (auto state = decode_state(input)) {
    std::string bytes;
    encode_state(*state, bytes);
    auto again = decode_state(bytes);
    if (!again || !(*again == *state)) std::abort();
  }
  auto try_open = [&](std::string_view p, std::string_view cursor) {
    auto opened = keys.open(p, cursor, now, window);
    if (!opened) return;
    auto resigned = keys.sign_cursor(p, opened->state);
    auto reopened = keys.open(p, resigned, now, window);
    if (!reopened || !(reopened->state == opened->state)) std::abort();
  };
  try_open(pid, input);
  (void)keys.verify_pid(input);
  if (auto newline = input.find('\n'); newline != std::string_view::npos)
    try_open(input.substr(0, newline), input.substr(newline + 1));
  // Base64url: whatever decodes encodes back to the same text.
  if (auto bytes = base64url_decode(input)) {
    std::string text;
    base64url_encode(*bytes, text);
    if (text != input) std::abort();
  }
  return 0;
}
