// See frame_reader.hpp.
#include "libkasocki/websocket/frame_reader.hpp"

#include <algorithm>
#include <cstring>

#include "libkasocki/websocket/frame_writer.hpp"
#include "libkasocki/websocket/utf8.hpp"

namespace kasocki::websocket {

namespace {

// The first buffer is a little more than one read, so that a partial frame left at the end of a
// read rarely forces a bigger buffer. Allocated on the first prepare(): a reader that never
// reads holds nothing.
constexpr std::size_t initial_slack = 4 << 10;
// A buffer grown for a big message is given back once it is empty again.
constexpr std::size_t keep_capacity = 1 << 20;

}  // namespace

std::uint16_t close_code_for(frame_error e) {
  switch (e) {
    case frame_error::message_too_big:
      return 1009;
    case frame_error::bad_utf8:
      return 1007;
    default:
      return 1002;
  }
}

std::string_view to_string(frame_error e) {
  switch (e) {
    case frame_error::none:
      return "none";
    case frame_error::reserved_bits:
      return "reserved bits set";
    case frame_error::bad_opcode:
      return "reserved opcode";
    case frame_error::masked_frame:
      return "masked frame from a server";
    case frame_error::unmasked_frame:
      return "unmasked frame from a client";
    case frame_error::bad_length:
      return "bad frame length";
    case frame_error::bad_control_frame:
      return "bad control frame";
    case frame_error::unexpected_continuation:
      return "unexpected continuation frame";
    case frame_error::expected_continuation:
      return "continuation frame expected";
    case frame_error::message_too_big:
      return "message too big";
    case frame_error::bad_close_payload:
      return "bad close frame";
    case frame_error::bad_utf8:
      return "text not UTF-8";
  }
  return "unknown";
}

frame_reader::frame_reader(role r, std::size_t max_message_size)
    : role_(r),
      max_message_size_(max_message_size),
      min_read_(r == role::server ? server_read_size : client_read_size) {}

void frame_reader::reserve_free(std::size_t at_least) {
  if (begin_ == end_) begin_ = end_ = 0;  // nothing to keep: start over at the front for free
  if (capacity_ - end_ >= at_least) return;
  const std::size_t size = end_ - begin_;
  if (capacity_ - size >= at_least && buffer_) {
    std::memmove(buffer_.get(), buffer_.get() + begin_, size);
  } else {
    std::size_t capacity = std::max({capacity_ * 2, size + at_least, min_read_ + initial_slack});
    auto grown = std::make_unique_for_overwrite<char[]>(capacity);
    if (size != 0) std::memcpy(grown.get(), buffer_.get() + begin_, size);
    buffer_ = std::move(grown);
    capacity_ = capacity;
  }
  begin_ = 0;
  end_ = size;
}

std::span<char> frame_reader::prepare(std::size_t at_least) {
  if (begin_ == end_ && capacity_ > keep_capacity) {
    buffer_.reset();
    capacity_ = begin_ = end_ = 0;
  }
  reserve_free(std::max(at_least, min_read_));
  return {buffer_.get() + end_, capacity_ - end_};
}

void frame_reader::commit(std::size_t n) {
  end_ += std::min(n, capacity_ - end_);
}

void frame_reader::append(std::string_view bytes) {
  if (bytes.empty()) return;
  reserve_free(bytes.size());
  std::memcpy(buffer_.get() + end_, bytes.data(), bytes.size());
  end_ += bytes.size();
}

frame_event frame_reader::fail(frame_error e) {
  error_ = e;
  fragments_.clear();
  return {frame_kind::error, {}, 0, e};
}

frame_event frame_reader::next() {
  if (error_ != frame_error::none) return {frame_kind::error, {}, 0, error_};
  // Fragments of a message are consumed one loop turn each; every other frame is an event.
  for (;;) {
    const std::size_t available = end_ - begin_;
    if (available < 2) return {};
    const auto* p = reinterpret_cast<const unsigned char*>(buffer_.get() + begin_);
    // What the first two bytes tell is checked before waiting for the rest of the frame, so
    // that a bad frame is reported at once rather than after its announced length has arrived.
    const bool fin = (p[0] & 0x80) != 0;
    const unsigned op = p[0] & 0x0f;
    const bool control = (op & 0x8) != 0;
    const bool masked = (p[1] & 0x80) != 0;
    if ((p[0] & 0x70) != 0) return fail(frame_error::reserved_bits);
    if (role_ == role::client && masked) return fail(frame_error::masked_frame);
    if (role_ == role::server && !masked) return fail(frame_error::unmasked_frame);
    if (control ? op > 0xa : op > 0x2) return fail(frame_error::bad_opcode);
    std::uint64_t length = p[1] & 0x7f;
    if (control && (!fin || length > max_control_payload))
      return fail(frame_error::bad_control_frame);
    if (!control && op == 0 && !in_message_) return fail(frame_error::unexpected_continuation);
    if (!control && op != 0 && in_message_) return fail(frame_error::expected_continuation);

    std::size_t header = 2;
    if (length == 126) {
      if (available < 4) return {};
      length = (std::uint64_t{p[2]} << 8) | p[3];
      if (length < 126) return fail(frame_error::bad_length);
      header = 4;
    } else if (length == 127) {
      if (available < 10) return {};
      length = 0;
      for (int i = 2; i < 10; ++i) length = (length << 8) | p[i];
      if ((length >> 63) != 0 || length <= 0xffff) return fail(frame_error::bad_length);
      header = 10;
    }
    if (!control) {
      // fragments_ never holds more than the maximum, so the subtraction cannot wrap.
      const std::size_t so_far = op == 0 ? fragments_.size() : 0;
      if (length > max_message_size_ - so_far) return fail(frame_error::message_too_big);
    }
    std::uint32_t key = 0;
    if (masked) {
      if (available < header + 4) return {};
      key = (std::uint32_t{p[header]} << 24) | (std::uint32_t{p[header + 1]} << 16) |
            (std::uint32_t{p[header + 2]} << 8) | p[header + 3];
      header += 4;
    }
    if (available - header < length) return {};

    char* data = buffer_.get() + begin_ + header;
    const auto size = static_cast<std::size_t>(length);
    if (masked) apply_mask(data, size, key);
    const std::string_view payload(data, size);
    begin_ += header + size;
    switch (op) {
      case 0x1:
      case 0x2:
        if (fin) {
          if (op == 0x1 && !valid_utf8(payload)) return fail(frame_error::bad_utf8);
          return {op == 0x1 ? frame_kind::text : frame_kind::binary, payload};
        }
        if (fragments_.capacity() > keep_capacity) std::string().swap(fragments_);
        fragments_.assign(payload);
        in_message_ = true;
        message_binary_ = op == 0x2;
        continue;
      case 0x0:
        fragments_.append(payload);
        if (!fin) continue;
        in_message_ = false;
        if (!message_binary_ && !valid_utf8(fragments_)) return fail(frame_error::bad_utf8);
        return {message_binary_ ? frame_kind::binary : frame_kind::text, fragments_};
      case 0x8: {
        if (payload.empty()) return {frame_kind::close, {}, 1005};
        if (payload.size() < 2) return fail(frame_error::bad_close_payload);
        const auto code = static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                                     static_cast<unsigned char>(payload[1]));
        if (!valid_close_code(code)) return fail(frame_error::bad_close_payload);
        if (!valid_utf8(payload.substr(2))) return fail(frame_error::bad_utf8);
        return {frame_kind::close, payload.substr(2), code};
      }
      case 0x9:
        return {frame_kind::ping, payload};
      case 0xa:
        return {frame_kind::pong, payload};
      default:  // the reserved opcodes were refused above
        return fail(frame_error::bad_opcode);
    }
  }
}

}  // namespace kasocki::websocket
