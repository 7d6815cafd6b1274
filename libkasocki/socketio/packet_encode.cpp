// Socket.IO v5 packet encoder and the binary placeholder walks (deconstruct on encode,
// reconstruct after the attachments arrived); see packet.hpp. Pure functions, no I/O.
#include <charconv>

#include "libkasocki/socketio/packet.hpp"

namespace kasocki::socketio {
namespace {

bool has_binary(const json& j) {
  if (j.is_binary()) return true;
  if (j.is_array() || j.is_object()) {
    for (const auto& v : j)
      if (has_binary(v)) return true;
  }
  return false;
}

// Depth-first, arrays in index order and objects in key order, as the reference numbers them.
void deconstruct(json& j, std::vector<std::string>& attachments) {
  if (j.is_binary()) {
    const auto& bytes = j.get_binary();
    attachments.emplace_back(bytes.begin(), bytes.end());
    json placeholder = json::object();
    placeholder["_placeholder"] = true;
    placeholder["num"] = attachments.size() - 1;
    j = std::move(placeholder);
    return;
  }
  if (j.is_array() || j.is_object()) {
    for (auto& v : j) deconstruct(v, attachments);
  }
}

// The attachment index of a placeholder, or nullopt when num is not a valid index.
std::optional<std::size_t> placeholder_index(const json& num, std::size_t count) {
  if (num.is_number_unsigned() || (num.is_number_integer() && num.get<std::int64_t>() >= 0)) {
    const auto i = num.get<std::uint64_t>();
    if (i < count) return static_cast<std::size_t>(i);
    return std::nullopt;
  }
  if (num.is_number_float()) {
    // JavaScript has no integer type: 1.0 is the index 1 there too.
    const double d = num.get<double>();
    if (d >= 0 && d < static_cast<double>(count) && d == static_cast<double>(std::size_t(d)))
      return static_cast<std::size_t>(d);
  }
  return std::nullopt;
}

void append_number(std::uint64_t n, std::string& out) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  (void)ec;  // 24 chars always hold a uint64_t
  out.append(buf, end);
}

}  // namespace

bool reconstruct(json& data, std::vector<std::string>& attachments) {
  if (data.is_object()) {
    const auto flag = data.find("_placeholder");
    if (flag != data.end() && flag->is_boolean() && flag->get<bool>()) {
      const auto num = data.find("num");
      if (num == data.end()) return false;
      const auto index = placeholder_index(*num, attachments.size());
      if (!index) return false;
      // Copied, not moved: a placeholder may legally be referenced more than once.
      const auto& bytes = attachments[*index];
      data = json::binary(json::binary_t::container_type(bytes.begin(), bytes.end()));
      return true;
    }
  }
  if (data.is_array() || data.is_object()) {
    for (auto& v : data)
      if (!reconstruct(v, attachments)) return false;
  }
  return true;
}

std::string event_head(std::string_view nsp, std::string_view event) {
  std::string head = "2";
  if (!nsp.empty() && nsp != "/") {
    head += nsp;
    head += ',';
  }
  head += "[\"";
  // A JSON string escaped as encode_packet's dump() does (names are the server's own, e.g.
  // "message", so valid UTF-8 is the caller's to ensure).
  for (char c : event) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      head += '\\';
      head += c;
    } else if (c == '\n') {
      head += "\\n";
    } else if (c == '\r') {
      head += "\\r";
    } else if (c == '\t') {
      head += "\\t";
    } else if (c == '\b') {
      head += "\\b";
    } else if (c == '\f') {
      head += "\\f";
    } else if (byte < 0x20) {
      constexpr char hex[] = "0123456789abcdef";
      head += "\\u00";
      head += hex[byte >> 4];
      head += hex[byte & 0xF];
    } else {
      head += c;
    }
  }
  head += "\",";
  return head;
}

encoded_packet encode_packet(const packet& p) {
  encoded_packet e;
  packet_type type = p.type;
  std::size_t attachments = p.attachments;
  const json* data = p.data ? &*p.data : nullptr;
  std::optional<json> replaced;
  const bool may_carry_binary = type == packet_type::event || type == packet_type::ack ||
                                type == packet_type::binary_event ||
                                type == packet_type::binary_ack;
  if (data && may_carry_binary && has_binary(*data)) {
    replaced = *data;
    deconstruct(*replaced, e.attachments);
    data = &*replaced;
    type = (type == packet_type::event || type == packet_type::binary_event)
               ? packet_type::binary_event
               : packet_type::binary_ack;
    attachments = e.attachments.size();
  }

  e.text += static_cast<char>('0' + static_cast<int>(type));
  if (type == packet_type::binary_event || type == packet_type::binary_ack) {
    append_number(attachments, e.text);
    e.text += '-';
  }
  if (!p.nsp.empty() && p.nsp != "/") {
    e.text += p.nsp;
    e.text += ',';
  }
  if (p.id) append_number(*p.id, e.text);
  if (data) {
    // Strings from Kafka may hold invalid UTF-8: replace it rather than throw.
    e.text += data->dump(-1, ' ', false, json::error_handler_t::replace);
  }
  return e;
}

}  // namespace kasocki::socketio
