// libFuzzer target: arbitrary SSE request targets and Last-Event-ID / Accept headers. Nothing may
// crash or throw; an accepted request has topics and one assignment per topic or per resumed
// partition; every error has a name, a message, a status of 400 or 404 and serialises.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "libkasocki/sse/event_format.hpp"
#include "libkasocki/sse/stream_positions.hpp"
#include "libkasocki/sse/stream_request.hpp"

namespace sse = kasocki::sse;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Three fields separated by NUL bytes: target, Last-Event-ID, Accept.
  std::string text(reinterpret_cast<const char*>(data), size);
  auto first = text.find('\0');
  std::string target = "/v2/stream/" + text.substr(0, first);
  std::string rest = first == std::string::npos ? std::string() : text.substr(first + 1);
  auto second = rest.find('\0');
  std::string last_event_id = rest.substr(0, second);
  std::string accept = second == std::string::npos ? std::string() : rest.substr(second + 1);
  sse::request_limits limits;
  limits.subscribe.max_items = 50;
  auto r = sse::parse_stream_request(
      target, "/v2/stream/",
      {first == std::string::npos ? std::nullopt : std::optional<std::string_view>(last_event_id),
       accept},
      sse::id_format::offset, limits);
  if (!r) {
    const auto& e = r.error();
    if (e.error.name.empty() || e.error.message.empty()) std::abort();
    auto status = sse::http_status(e.kind);
    if (status != 400 && status != 404) std::abort();
    try {
      // As the server writes it: the request's bytes need not be UTF-8, they are replaced.
      (void)kasocki::gateway::to_json(e.error, "sse")
          .dump(-1, ' ', false, kasocki::gateway::json::error_handler_t::replace);
    } catch (...) {
      std::abort();
    }
    return 0;
  }
  if (r->topics.empty() || r->assignments.empty()) std::abort();
  if (!r->resumed && r->assignments.size() != r->topics.size()) std::abort();
  std::vector<sse::stream_positions::entry> entries;
  for (const auto& a : r->assignments) {
    if (a.topic.empty()) std::abort();
    entries.push_back(
        {a.topic, a.partition.value_or(0), a.offset.value_or(0), a.timestamp.value_or(0)});
  }
  // An id the stream renders is a valid Last-Event-ID (one partition each, as listed).
  sse::stream_positions positions(entries);
  if (r->resumed) {
    auto back = sse::parse_last_event_id(positions.render(sse::id_format::offset), limits);
    if (!back || back->size() != entries.size()) std::abort();
  }
  (void)sse::single_line(text);
  return 0;
}
