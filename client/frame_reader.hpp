// Server-to-client websocket frames (RFC 6455 5.2), parsed by the Engine.IO client session itself
// so that one read from the socket can bring in hundreds of frames and every message in it is
// handled without a coroutine resume, a syscall and Beast's frame state machine per message.
// Handles unmasked frames only (a server must not mask), no extensions (RSV bits must be clear),
// continuation frames reassembled into one message, control frames between fragments, and a
// bound on the message size. Pure, no I/O: the caller reads into the region prepare() offers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace kasocki::client {

enum class frame_kind {
  need_more,  // no complete event in the buffer: read more, commit() it, call next() again
  text,       // a complete text message
  binary,     // a complete binary message
  ping,       // `payload` is what the pong must echo
  pong,
  close,  // `close_code` (1005 when the frame had no payload) and the reason in `payload`
  error,  // see `error`; every later next() returns the same error
};

enum class frame_error {
  none,
  reserved_bits,            // RSV1-3 set: no extension was negotiated
  bad_opcode,               // a reserved opcode
  masked_frame,             // the server masked a frame
  bad_length,               // 64-bit length with its top bit set, or a length not in its
                            // shortest form
  bad_control_frame,        // a control frame that is fragmented or longer than 125 bytes
  unexpected_continuation,  // a continuation frame outside a fragmented message
  expected_continuation,    // a new text/binary frame inside a fragmented message
  message_too_big,          // a message (all its fragments) longer than the configured maximum
  bad_close_payload,        // a close frame of 1 byte, or with a code that must not be sent
};

struct frame_event {
  frame_kind kind = frame_kind::need_more;
  // The message, the ping/pong payload or the close reason. Points into the reader: valid until
  // the next call to next(), prepare() or append().
  std::string_view payload;
  std::uint16_t close_code = 0;
  frame_error error = frame_error::none;
};

class frame_reader {
 public:
  static constexpr std::size_t min_read = 64 << 10;  // the least prepare() offers

  explicit frame_reader(std::size_t max_message_size);

  // A writable region of at least max(at_least, min_read) bytes after the unconsumed data, for
  // the next read from the socket. Moves the unconsumed tail to the front of the buffer (or grows
  // it) only when the free space after it is too small. Invalidates the views of earlier events.
  std::span<char> prepare(std::size_t at_least = min_read);
  // Marks `n` bytes of the region prepare() returned as received.
  void commit(std::size_t n);
  // Copies bytes received elsewhere (e.g. after an HTTP response in the same read) in.
  void append(std::string_view bytes);

  // The next event from the bytes received so far, consuming its frames.
  frame_event next();

  std::size_t buffered() const { return end_ - begin_; }  // received, not yet consumed

 private:
  frame_event fail(frame_error e);
  void reserve_free(std::size_t at_least);

  std::size_t max_message_size_;
  std::unique_ptr<char[]> buffer_;
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;  // first unconsumed byte
  std::size_t end_ = 0;    // one past the last received byte
  // A fragmented message so far; its fragments are copied here since frame headers (and maybe
  // control frames) separate them in the buffer.
  std::string fragments_;
  bool in_message_ = false;
  bool message_binary_ = false;
  frame_error error_ = frame_error::none;
};

}  // namespace kasocki::client
