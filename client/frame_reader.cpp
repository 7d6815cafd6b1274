// See frame_reader.hpp.
#include "client/frame_reader.hpp"

#include <algorithm>
#include <cstring>

namespace kasocki::client {

namespace {

// A little more than one read, so that a partial frame left at the end of a read rarely forces
// a bigger buffer. Allocated on the first prepare(): a reader that never reads holds nothing.
constexpr std::size_t initial_capacity = frame_reader::min_read + (4 << 10);
// A buffer grown for a big message is given back once it is empty again.
constexpr std::size_t keep_capacity = 1 << 20;

// RFC 6455 7.4: the codes an endpoint may send (as Beast's is_valid_close_code).
bool valid_close_code(std::uint16_t code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1013) || code >= 3000;
}

}  // namespace

frame_reader::frame_reader(std::size_t max_message_size) : max_message_size_(max_message_size) {}

void frame_reader::reserve_free(std::size_t at_least) {
  if (begin_ == end_) begin_ = end_ = 0;  // nothing to keep: start over at the front for free
  if (capacity_ - end_ >= at_least) return;
  const std::size_t size = end_ - begin_;
  if (capacity_ - size >= at_least && buffer_) {
    std::memmove(buffer_.get(), buffer_.get() + begin_, size);
  } else {
    std::size_t capacity = std::max({capacity_ * 2, size + at_least, initial_capacity});
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
  reserve_free(std::max(at_least, min_read));
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
    const unsigned opcode = p[0] & 0x0f;
    const bool control = (opcode & 0x8) != 0;
    if ((p[0] & 0x70) != 0) return fail(frame_error::reserved_bits);
    if ((p[1] & 0x80) != 0) return fail(frame_error::masked_frame);
    if (control ? opcode > 0xa : opcode > 0x2) return fail(frame_error::bad_opcode);
    std::uint64_t length = p[1] & 0x7f;
    if (control && (!fin || length > 125)) return fail(frame_error::bad_control_frame);
    if (!control && opcode == 0 && !in_message_) return fail(frame_error::unexpected_continuation);
    if (!control && opcode != 0 && in_message_) return fail(frame_error::expected_continuation);

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
      const std::size_t so_far = opcode == 0 ? fragments_.size() : 0;
      if (length > max_message_size_ - so_far) return fail(frame_error::message_too_big);
    }
    if (available - header < length) return {};

    const std::string_view payload(buffer_.get() + begin_ + header,
                                   static_cast<std::size_t>(length));
    begin_ += header + payload.size();
    switch (opcode) {
      case 0x1:
      case 0x2:
        if (fin) return {opcode == 0x1 ? frame_kind::text : frame_kind::binary, payload};
        if (fragments_.capacity() > keep_capacity) std::string().swap(fragments_);
        fragments_.assign(payload);
        in_message_ = true;
        message_binary_ = opcode == 0x2;
        continue;
      case 0x0:
        fragments_.append(payload);
        if (!fin) continue;
        in_message_ = false;
        return {message_binary_ ? frame_kind::binary : frame_kind::text, fragments_};
      case 0x8: {
        if (payload.empty()) return {frame_kind::close, {}, 1005};
        if (payload.size() < 2) return fail(frame_error::bad_close_payload);
        const auto code = static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                                     static_cast<unsigned char>(payload[1]));
        if (!valid_close_code(code)) return fail(frame_error::bad_close_payload);
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

}  // namespace kasocki::client
