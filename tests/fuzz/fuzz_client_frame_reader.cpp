// libFuzzer target: the client's websocket frame reader (client/frame_reader.hpp). The first
// byte picks the message size limit and how the rest, the byte stream from a server, is cut into
// reads. The events must not depend on the cuts, must respect the limits, and the events, framed
// again one frame each, must read back as the same events.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

// The fuzz targets link libkasocki only, not the client library: the reader (pure, no
// dependencies) is compiled in.
#include "client/frame_reader.cpp"

using namespace kasocki::client;

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

// Feeds `input` in reads of the sizes `cuts` gives in turn (0: everything left), the way the
// session reads from its socket, and collects every event up to the first error.
std::vector<seen> read_events(std::string_view input, std::size_t max, std::string_view cuts) {
  frame_reader r(max);
  std::vector<seen> out;
  const std::size_t total = input.size();
  std::size_t turn = 0;
  while (true) {
    for (auto e = r.next(); e.kind != frame_kind::need_more; e = r.next()) {
      check(e.kind != frame_kind::error || e.error != frame_error::none);
      out.push_back({e.kind, std::string(e.payload), e.close_code, e.error});
      if (e.kind == frame_kind::error) {
        check(r.next().error == e.error);  // sticky
        return out;
      }
    }
    check(r.buffered() <= total);
    if (input.empty()) return out;
    auto region = r.prepare();
    check(region.size() >= frame_reader::min_read);
    std::size_t n = cuts.empty() ? 0 : static_cast<unsigned char>(cuts[turn++ % cuts.size()]);
    n = n == 0 ? input.size() : std::min(n, input.size());
    n = std::min(n, region.size());
    std::memcpy(region.data(), input.data(), n);
    r.commit(n);
    input.remove_prefix(n);
  }
}

std::string frame(int first_byte, std::string_view payload) {
  std::string out(1, static_cast<char>(first_byte));
  const std::uint64_t n = payload.size();
  if (n < 126) {
    out += static_cast<char>(n);
  } else {
    const int bytes = n <= 0xffff ? 2 : 8;
    out += static_cast<char>(bytes == 2 ? 126 : 127);
    for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8)
      out += static_cast<char>((n >> shift) & 0xff);
  }
  out += payload;
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The limit: 0 to 63 << 12 bytes.
  const std::size_t max = static_cast<std::size_t>(data[0] & 0x3f) << (data[0] >> 6 << 2);
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  const auto whole = read_events(input, max, {});
  for (const auto& e : whole) {
    if (e.kind == frame_kind::text || e.kind == frame_kind::binary) check(e.payload.size() <= max);
    if (e.kind == frame_kind::ping || e.kind == frame_kind::pong) check(e.payload.size() <= 125);
    if (e.kind == frame_kind::close) check(e.code >= 1000 && e.payload.size() <= 123);
  }
  // The same stream cut into reads of 1..255 bytes, the sizes taken from the stream itself.
  check(read_events(input, max, input.substr(0, 16)) == whole);
  check(read_events(input, max, std::string_view("\x01", 1)) == whole);

  // Framed again (messages unfragmented, lengths in their shortest form): the same events.
  std::string again;
  std::vector<seen> expected;
  for (const auto& e : whole) {
    switch (e.kind) {
      case frame_kind::text:
        again += frame(0x81, e.payload);
        break;
      case frame_kind::binary:
        again += frame(0x82, e.payload);
        break;
      case frame_kind::ping:
        again += frame(0x89, e.payload);
        break;
      case frame_kind::pong:
        again += frame(0x8a, e.payload);
        break;
      case frame_kind::close: {
        std::string body;
        if (e.code != 1005) body = {static_cast<char>(e.code >> 8), static_cast<char>(e.code)};
        again += frame(0x88, body + e.payload);
        break;
      }
      default:
        continue;
    }
    expected.push_back(e);
  }
  check(read_events(again, max, {}) == expected);
  return 0;
}
