// Socket.IO v5 packet decoder and the event-name rules; see packet.hpp.
// Pure functions, no I/O; no input throws (JSON is parsed with exceptions disabled).
#include "libkasocki/socketio/packet.hpp"

#include <array>
#include <limits>

namespace kasocki::socketio {
namespace {

// JavaScript clients cannot represent a larger integer exactly, so no valid ack id exceeds it.
constexpr std::uint64_t max_ack_id = (std::uint64_t{1} << 53) - 1;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// A cheap scan before parsing. nlohmann's parser is iterative but dump, comparison and our
// placeholder walks recurse, so nesting is bounded (brackets inside strings do not count). And
// the parser takes a NUL byte for the end of input, which would let "[...]\0garbage" through;
// NUL is never valid JSON text, so it is refused here.
kasocki::result<ok_t, packet_errc> acceptable_json_text(std::string_view s, std::size_t max_depth) {
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : s) {
    if (c == '\0') return packet_errc::bad_json;
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return packet_errc::too_deep;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return ok_t{};
}

// ok, or why the payload does not fit the packet type.
kasocki::result<ok_t, packet_errc> check_payload(packet_type type,
                                                 const std::optional<json>& data) {
  bool valid = false;
  switch (type) {
    case packet_type::connect:
      valid = !data || data->is_object();
      break;
    case packet_type::disconnect:
      valid = !data;
      break;
    case packet_type::event:
    case packet_type::binary_event:
      if (!data || !data->is_array() || data->empty() || !(*data)[0].is_string())
        return packet_errc::bad_payload;
      if (is_reserved_event((*data)[0].get_ref<const std::string&>()))
        return packet_errc::reserved_event;
      valid = true;
      break;
    case packet_type::ack:
    case packet_type::binary_ack:
      valid = data && data->is_array();
      break;
    case packet_type::connect_error:
      valid = !data || data->is_object() || data->is_string();
      break;
  }
  if (!valid) return packet_errc::bad_payload;
  return ok_t{};
}

}  // namespace

std::string_view describe(packet_errc kind) noexcept {
  switch (kind) {
    case packet_errc::bad_type:
      return "unknown packet type";
    case packet_errc::bad_attachments:
      return "bad attachment count";
    case packet_errc::too_many_attachments:
      return "too many attachments";
    case packet_errc::bad_ack_id:
      return "bad ack id";
    case packet_errc::too_deep:
      return "payload nested too deep";
    case packet_errc::bad_json:
      return "payload is not JSON";
    case packet_errc::bad_payload:
      return "payload does not fit the packet type";
    case packet_errc::reserved_event:
      return "reserved event name";
  }
  return "invalid packet";
}

bool is_reserved_event(std::string_view name) {
  static constexpr std::array<std::string_view, 6> reserved = {
      "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"};
  for (auto r : reserved)
    if (name == r) return true;
  return false;
}

kasocki::result<packet, packet_errc> decode_packet(std::string_view text,
                                                   const decode_limits& limits) {
  if (text.empty() || text[0] < '0' || text[0] > '6') return packet_errc::bad_type;
  packet p;
  p.type = static_cast<packet_type>(text[0] - '0');
  std::size_t i = 1;
  const std::size_t n = text.size();

  if (p.type == packet_type::binary_event || p.type == packet_type::binary_ack) {
    const std::size_t start = i;
    std::size_t count = 0;
    for (; i < n && is_digit(text[i]); ++i) {
      count = count * 10 + static_cast<std::size_t>(text[i] - '0');
      // Stop as soon as the bound is passed: no overflow whatever the number of digits.
      if (count > limits.max_attachments) return packet_errc::too_many_attachments;
    }
    if (i == start || i == n || text[i] != '-' || count == 0) return packet_errc::bad_attachments;
    p.attachments = count;
    ++i;
  }

  if (i < n && text[i] == '/') {
    const auto comma = text.find(',', i);
    if (comma == std::string_view::npos) {
      p.nsp = std::string(text.substr(i));
      i = n;
    } else {
      p.nsp = std::string(text.substr(i, comma - i));
      i = comma + 1;
    }
  }

  if (i < n && is_digit(text[i])) {
    std::uint64_t id = 0;
    for (; i < n && is_digit(text[i]); ++i) {
      id = id * 10 + static_cast<std::uint64_t>(text[i] - '0');
      if (id > max_ack_id) return packet_errc::bad_ack_id;
    }
    p.id = id;
  }

  if (i < n) {
    const auto rest = text.substr(i);
    if (auto scan = acceptable_json_text(rest, limits.max_depth); !scan) return scan.error();
    auto data = json::parse(rest.begin(), rest.end(), nullptr, /*allow_exceptions=*/false);
    if (data.is_discarded()) return packet_errc::bad_json;
    p.data = std::move(data);
  }

  if (auto checked = check_payload(p.type, p.data); !checked) return checked.error();
  return p;
}

}  // namespace kasocki::socketio
