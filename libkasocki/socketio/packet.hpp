// Socket.IO v5 packets: the pure codec for the text form, binary placeholders, and every
// validity rule the reference server enforces. No I/O; no input throws.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "libkasocki/common/result.hpp"

namespace kasocki::socketio {

using json = nlohmann::ordered_json;  // compact output, keys in insertion order

enum class packet_type : std::uint8_t {
  connect = 0,
  disconnect = 1,
  event = 2,
  ack = 3,
  connect_error = 4,
  binary_event = 5,
  binary_ack = 6,
};

struct packet {
  packet_type type = packet_type::event;
  std::string nsp = "/";
  std::optional<std::uint64_t> id;  // ack id
  std::size_t attachments = 0;      // binary_event / binary_ack only
  std::optional<json> data;         // absent when the packet has no payload

  friend bool operator==(const packet&, const packet&) = default;
};

struct decode_limits {
  std::size_t max_attachments = 10;  // reference server's bound
  std::size_t max_depth = 64;        // JSON nesting (arrays + objects); deeper payloads are refused
                                     // so that nothing walking them recursively can overflow
};

// Why a packet was refused (the connection closes on any of them); the kinds tell tests and
// logs what was wrong, and which limit of decode_limits was passed.
enum class packet_errc {
  bad_type,              // empty, or the first character is not a type digit 0-6
  bad_attachments,       // a binary packet without its "<count>-", or a count of 0
  too_many_attachments,  // more than decode_limits::max_attachments
  bad_ack_id,            // an ack id above 2^53 - 1 (what a JavaScript number holds exactly)
  too_deep,              // JSON nested deeper than decode_limits::max_depth
  bad_json,              // the payload is not JSON (trailing garbage, a NUL byte)
  bad_payload,           // JSON, but not what the type carries: CONNECT not an object,
                         // EVENT not a non-empty array starting with a string, ACK not an array,
                         // DISCONNECT with a payload, CONNECT_ERROR neither object nor string
  reserved_event,        // an EVENT named connect, disconnect, ... (see is_reserved_event)
};

// A short description of the kind, e.g. "payload is not JSON".
std::string_view describe(packet_errc kind) noexcept;

// Decodes the text of one Socket.IO packet (an Engine.IO message without its "4"); refuses
// every packet the reference server rejects.
// A binary packet comes back with placeholders still in `data`; see `reconstruct`.
kasocki::result<packet, packet_errc> decode_packet(std::string_view text,
                                                   const decode_limits& limits = {});

// Replaces {"_placeholder":true,"num":i} in data with the binary attachments[i] (json binary
// values). Returns false when a placeholder is malformed or out of range.
bool reconstruct(json& data, std::vector<std::string>& attachments);

// The encoded form of a packet: the text and, for binary packets, the attachments to send after
// it as binary Engine.IO messages. Binary json values in `data` are replaced by placeholders and
// the type becomes binary_event/binary_ack with the attachment count, as the reference does.
struct encoded_packet {
  std::string text;
  std::vector<std::string> attachments;
};
encoded_packet encode_packet(const packet& p);

// The text of an EVENT packet of namespace `nsp` up to its arguments: `2["<event>",`, or
// `2/nsp,["<event>",` outside the default namespace. For events whose arguments are encoded once
// and shared by many sockets: the caller sends head + arguments + `]` (see socket::send_encoded).
std::string event_head(std::string_view nsp, std::string_view event);

// True when the event name may be used by an application (not connect, connect_error,
// disconnect, disconnecting, newListener, removeListener).
bool is_reserved_event(std::string_view name);

}  // namespace kasocki::socketio
