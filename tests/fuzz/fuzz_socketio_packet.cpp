// libFuzzer target: Socket.IO v5 packets. A decoded packet must encode to a text that decodes
// to the same packet; reconstructing attachments must not crash, and re-encoding the
// reconstructed data must give back the attachments.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "libkasocki/socketio/packet.hpp"

using namespace kasocki::socketio;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto p = decode_packet(text);
  if (!p) return 0;
  const auto e = encode_packet(*p);
  if (!e.attachments.empty()) std::abort();  // decoded data holds placeholders, not binary
  if (decode_packet(e.text) != p) std::abort();

  if (p->data && p->attachments > 0) {
    std::vector<std::string> attachments;
    for (std::size_t i = 0; i < p->attachments; ++i) attachments.push_back(std::string(i, 'x'));
    json rebuilt = *p->data;
    if (reconstruct(rebuilt, attachments)) {
      packet q = *p;
      q.data = rebuilt;
      const auto e2 = encode_packet(q);
      const decode_limits limits{.max_attachments =
                                     std::max(e2.attachments.size(), p->attachments)};
      auto back = decode_packet(e2.text, limits);
      if (!back || (!e2.attachments.empty() && back->attachments != e2.attachments.size()))
        std::abort();
    }
  }
  return 0;
}
