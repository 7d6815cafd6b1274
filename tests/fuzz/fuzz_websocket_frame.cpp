// libFuzzer target: the websocket frame codec (libkasocki/websocket), both roles. The first byte
// picks the role (a server reads masked frames, a client unmasked ones), the message size limit,
// and the rest is the byte stream from the peer, cut into reads in several ways. The events must
// not depend on the cuts and must respect the limits; the events written again by the frame
// writer (masked for a server's reader, messages split in two fragments with a ping between)
// must read back as the same events.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libkasocki/websocket/frame_reader.hpp"
#include "libkasocki/websocket/frame_writer.hpp"
#include "libkasocki/websocket/utf8.hpp"

using namespace kasocki::websocket;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

struct seen {
  frame_kind kind;
  std::string payload;
  std::uint16_t code;
  frame_error error;
  bool operator==(const seen&) const = default;
};

// Feeds `input` in reads of the sizes `cuts` gives in turn (0: everything left), the way a
// connection reads from its socket, and collects every event up to the first error.
std::vector<seen> read_events(role r, std::string_view input, std::size_t max,
                              std::string_view cuts) {
  frame_reader reader(r, max);
  std::vector<seen> out;
  const std::size_t total = input.size();
  std::size_t turn = 0;
  while (true) {
    for (auto e = reader.next(); e.kind != frame_kind::need_more; e = reader.next()) {
      check(e.kind != frame_kind::error || e.error != frame_error::none);
      out.push_back({e.kind, std::string(e.payload), e.close_code, e.error});
      if (e.kind == frame_kind::error) {
        check(reader.next().error == e.error);  // sticky
        return out;
      }
    }
    check(reader.buffered() <= total);
    if (input.empty()) return out;
    auto region = reader.prepare();
    check(region.size() >= reader.min_read());
    std::size_t n = cuts.empty() ? 0 : static_cast<unsigned char>(cuts[turn++ % cuts.size()]);
    n = n == 0 ? input.size() : std::min(n, input.size());
    n = std::min(n, region.size());
    std::memcpy(region.data(), input.data(), n);
    reader.commit(n);
    input.remove_prefix(n);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const role r = (data[0] & 0x80) != 0 ? role::server : role::client;
  // The limit: 0 to 63 bytes, or 0 to 63 << 12.
  const std::size_t max = static_cast<std::size_t>(data[0] & 0x3f) << ((data[0] & 0x40) ? 12 : 0);
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  const auto whole = read_events(r, input, max, {});
  for (const auto& e : whole) {
    if (e.kind == frame_kind::text || e.kind == frame_kind::binary) check(e.payload.size() <= max);
    if (e.kind == frame_kind::text) check(valid_utf8(e.payload));
    if (e.kind == frame_kind::ping || e.kind == frame_kind::pong)
      check(e.payload.size() <= max_control_payload);
    if (e.kind == frame_kind::close)
      check((e.code == 1005 && e.payload.empty()) ||
            (valid_close_code(e.code) && e.payload.size() <= 123 && valid_utf8(e.payload)));
    if (e.kind == frame_kind::error) check(close_code_for(e.error) >= 1002);
  }
  // The same stream cut into reads of 1..255 bytes, the sizes taken from the stream itself.
  check(read_events(r, input, max, input.substr(0, 16)) == whole);
  check(read_events(r, input, max, std::string_view("\x01", 1)) == whole);

  // Written again by the peer's writer: the same events.
  std::uint32_t key = 0;
  for (std::size_t i = 0; i < 4 && i < input.size(); ++i)
    key = (key << 8) | static_cast<unsigned char>(input[i]);
  const std::optional<std::uint32_t> mask =
      r == role::server ? std::optional<std::uint32_t>(key) : std::nullopt;
  std::string again;
  std::vector<seen> expected;
  for (const auto& e : whole) {
    switch (e.kind) {
      case frame_kind::text:
      case frame_kind::binary: {
        const auto op = e.kind == frame_kind::text ? opcode::text : opcode::binary;
        if (e.payload.size() < 2) {
          append_frame(again, op, e.payload, mask);
          break;
        }
        // Two fragments with a ping between them (split anywhere: UTF-8 is checked per message).
        const std::size_t half = e.payload.size() / 2;
        append_frame(again, op, std::string_view(e.payload).substr(0, half), mask, false);
        append_frame(again, opcode::ping, "between", mask);
        append_frame(again, opcode::continuation, std::string_view(e.payload).substr(half), mask);
        expected.push_back({frame_kind::ping, "between", 0, frame_error::none});
        break;
      }
      case frame_kind::ping:
        append_frame(again, opcode::ping, e.payload, mask);
        break;
      case frame_kind::pong:
        append_frame(again, opcode::pong, e.payload, mask);
        break;
      case frame_kind::close:
        append_close(again, e.code, e.payload, mask);
        break;
      default:
        continue;
    }
    expected.push_back(e);
  }
  check(read_events(r, again, max, {}) == expected);
  return 0;
}
