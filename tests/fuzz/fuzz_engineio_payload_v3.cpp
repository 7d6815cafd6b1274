// libFuzzer target: Engine.IO v3 polling payloads, the text framing (UTF-16 lengths, "b4"
// base64) and the binary framing (XHR2), chosen by the first input byte. A decoded payload must
// encode to a payload that decodes to the same packets.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "libkasocki/engineio/packet.hpp"

using namespace kasocki::engineio;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool binary_framing = data[0] & 1;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto packets =
      binary_framing ? decode_payload_v3_binary(body) : decode_payload_v3_text(body);
  if (!packets) return 0;
  if (packets->empty()) std::abort();
  std::vector<out_packet> outs;
  for (const auto& p : *packets) outs.push_back(make_out_packet(p.type, p.data, p.binary));
  std::string encoded;
  if (binary_framing) {
    append_payload_v3_binary(outs, encoded);
    if (decode_payload_v3_binary(encoded) != packets) std::abort();
  } else {
    append_payload_v3_text(outs, encoded);
    if (decode_payload_v3_text(encoded) != packets) std::abort();
  }
  return 0;
}
