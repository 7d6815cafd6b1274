// libFuzzer target: validates arbitrary subscribe specs; accepted ones must satisfy every rule,
// and every error must serialise (valid UTF-8 messages).
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>

#include "libkasocki/gateway/subscribe_spec.hpp"

namespace gw = kasocki::gateway;

namespace {

void check_serialises(const gw::kasocki_error& error) {
  if (error.name.empty() || error.message.empty()) std::abort();
  try {
    (void)gw::to_json(error, "subscribe").dump();
  } catch (...) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  gw::json spec = gw::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (spec.is_discarded()) return 0;
  auto r = gw::parse_subscribe_spec(spec, gw::subscribe_limits{50});
  if (!r) {
    if (r.error().name != "InvalidAssignmentError") std::abort();
    check_serialises(r.error());
    return 0;
  }
  if (r->empty() || r->size() > 50) std::abort();
  std::set<std::pair<std::string, std::int32_t>> seen;
  for (const auto& q : *r) {
    if (q.topic.empty()) std::abort();
    if (q.offset && q.timestamp) std::abort();
    if (q.partition && !q.offset && !q.timestamp) std::abort();
    if (q.offset && !q.partition) std::abort();
    if (q.partition && (*q.partition < 0 || !seen.emplace(q.topic, *q.partition).second)) {
      std::abort();
    }
    if (q.timestamp && *q.timestamp < 0) std::abort();
  }
  gw::topic_partitions metadata{{"a", 2}, {"b", 1}, {"__c", 1}};
  if (auto checked = gw::check_assignment(*r, metadata, {}); !checked)
    check_serialises(checked.error());
  if (auto checked = gw::check_assignment(*r, metadata, {"b"}); !checked)
    check_serialises(checked.error());
  return 0;
}
