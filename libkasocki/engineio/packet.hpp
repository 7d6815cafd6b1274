// Engine.IO packets (protocol v4, and v3 for socket.io 2.x clients): the pure codecs for single
// packets, websocket frames and long-polling payloads. No I/O; no input throws.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "libkasocki/common/result.hpp"
#include "libkasocki/common/shared_bytes.hpp"

namespace kasocki::engineio {

enum class packet_type : std::uint8_t {
  open = 0,
  close = 1,
  ping = 2,
  pong = 3,
  message = 4,
  upgrade = 5,
  noop = 6,
};

// A decoded packet. `binary` is only ever true for message packets; `data` then holds raw bytes.
struct packet {
  packet_type type = packet_type::message;
  bool binary = false;
  std::string data;

  friend bool operator==(const packet&, const packet&) = default;
};

// An outgoing packet. Its data is head + body + tail, so that a body built once (a Kafka message
// frame) can be queued to many sessions and only the small head/tail differ (e.g. an ack id).
// The head and the tail are kept in one string, head first: a busy client queues thousands of
// packets, each 56 bytes rather than 88 with two strings, and a message event's head and tail
// (`2["message",` and `]`) fit in the string's own inline buffer.
struct out_packet {
  packet_type type = packet_type::message;
  bool binary = false;

 private:
  std::uint32_t head_size_ = 0;  // here, beside the two bytes above: no padding

 public:
  shared_bytes body;

  std::string_view head() const { return std::string_view(around_).substr(0, head_size_); }
  std::string_view tail() const { return std::string_view(around_).substr(head_size_); }
  // Sets both (the head's string is reused, so a large head is moved in, not copied).
  void set_around(std::string head, std::string_view tail = {}) {
    head_size_ = static_cast<std::uint32_t>(head.size());
    head.append(tail);
    around_ = std::move(head);
  }

  std::size_t data_size() const { return around_.size() + view(body).size(); }
  // What the packet counts against a session's send bound: its data and its type, so that no
  // packet (a ping, a noop) is free.
  std::size_t queued_size() const { return 1 + data_size(); }

 private:
  std::string around_;  // head then tail
};

out_packet make_out_packet(packet_type type, std::string data = {}, bool binary = false);

// Why a packet, frame or payload was refused. The transports close the session on any of them
// (an Engine.IO "parse error"); the kinds tell tests and logs what was wrong.
enum class decode_errc {
  empty,       // no packet: an empty text packet, payload or payload item
  bad_type,    // not a type digit 0-6 (v3: "b" not followed by "4", a binary type byte not 0x04,
               // a binary-payload item kind neither 0 nor 1)
  bad_base64,  // a base64 item ("b...", "b4...") that does not decode
  bad_length,  // a v3 length prefix without digits, with too many, zero, without its separator
               // (':' or 0xFF), or ending inside a character
  truncated,   // a v3 length prefix reaching past the end of the payload
};

// A short description of the kind, e.g. "bad packet type".
std::string_view describe(decode_errc kind) noexcept;

template <class T>
using decode_result = kasocki::result<T, decode_errc>;

// --- single packets ---------------------------------------------------------------------------
// A text packet: type digit followed by data ("4hello", "2probe", "6"). With `allow_base64`
// (v4 polling payload items), "b<base64>" decodes to a binary message.
decode_result<packet> decode_text_packet(std::string_view text, bool allow_base64 = false);

// A websocket binary frame. v4: the frame is the raw bytes of a binary message.
// v3: the first byte is the packet type as a byte (0x04 for message), then the data.
decode_result<packet> decode_binary_frame(std::string_view bytes, int protocol_version);

// Appends the text form of a packet: digit + data for text; binary as "b" + base64 (v4 polling).
void append_text_packet(const out_packet& p, std::string& out);

// Appends the websocket binary frame of a binary message: the raw bytes (v4), or 0x04 followed
// by the raw bytes (v3).
void append_binary_frame(const out_packet& p, int protocol_version, std::string& out);

// --- long-polling payloads --------------------------------------------------------------------
// v4: packets joined by the record separator 0x1e; binary items as "b" + base64.
decode_result<std::vector<packet>> decode_payload_v4(std::string_view body);
void append_payload_v4(std::span<const out_packet> packets, std::string& out);

// v3 text payload: "<length>:<packet>" repeated, the length counted in UTF-16 code units.
// Binary packets inside it are "b4<base64>" (used with b64=1, and always on decode).
decode_result<std::vector<packet>> decode_payload_v3_text(std::string_view body);
void append_payload_v3_text(std::span<const out_packet> packets, std::string& out);

// v3 binary payload (XHR2 clients, content type application/octet-stream):
// per packet <0 text|1 binary><length digits as bytes 0x00-0x09>0xFF<data>, where text data is
// the type digit + data and binary data is the type byte (0x04) + raw bytes.
decode_result<std::vector<packet>> decode_payload_v3_binary(std::string_view body);
void append_payload_v3_binary(std::span<const out_packet> packets, std::string& out);

// Number of UTF-16 code units of a UTF-8 string (v3 length prefixes). Invalid UTF-8 bytes count
// one unit each, like a decoder's replacement character.
std::size_t utf16_length(std::string_view utf8);

}  // namespace kasocki::engineio
