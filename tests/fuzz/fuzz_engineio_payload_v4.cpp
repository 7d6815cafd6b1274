// libFuzzer target: Engine.IO v4 polling payloads. A decoded payload must encode to a payload
// that decodes to the same packets.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "libkasocki/engineio/packet.hpp"

using namespace kasocki::engineio;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto packets = decode_payload_v4(body);
  if (!packets) return 0;
  if (packets->empty()) std::abort();
  std::vector<out_packet> outs;
  for (const auto& p : *packets) outs.push_back(make_out_packet(p.type, p.data, p.binary));
  std::string encoded;
  append_payload_v4(outs, encoded);
  if (decode_payload_v4(encoded) != packets) std::abort();
  return 0;
}
