// Websocket frames received (RFC 6455 5.2), parsed by the connection's own reader for either
// role, so that one read from the socket can bring in hundreds of frames and every message in
// it is handled without a coroutine resume and a syscall per message. A server requires masked
// frames and unmasks them in place; a client requires unmasked frames. No extensions (RSV bits
// must be clear), continuation frames reassembled into one message, control frames between
// fragments, a bound on the message size, text messages and close reasons checked as UTF-8.
// Pure, no I/O: the caller reads into the region prepare() offers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace kasocki::websocket {

// Which end of the connection reads: the frames the peer must send differ by the mask.
enum class role { server, client };

enum class frame_kind {
  need_more,  // no complete event in the buffer: read more, commit() it, call next() again
  text,       // a complete text message (valid UTF-8)
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
  masked_frame,             // a client reading a masked frame (a server must not mask)
  unmasked_frame,           // a server reading an unmasked frame (a client must mask)
  bad_length,               // 64-bit length with its top bit set, or a length not in its
                            // shortest form
  bad_control_frame,        // a control frame that is fragmented or longer than 125 bytes
  unexpected_continuation,  // a continuation frame outside a fragmented message
  expected_continuation,    // a new text/binary frame inside a fragmented message
  message_too_big,          // a message (all its fragments) longer than the configured maximum
  bad_close_payload,        // a close frame of 1 byte, or with a code that must not be sent
  bad_utf8,                 // a text message or a close reason that is not UTF-8
};

// The close code that fails the connection for `e` (RFC 6455 7.4.1): 1009 for a message too
// big, 1007 for bad UTF-8, 1002 (protocol error) for the rest.
std::uint16_t close_code_for(frame_error e);
// A short name of the error, for logs and error messages.
std::string_view to_string(frame_error e);

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
  // The least prepare() offers by default: a client reads a server's batches (hundreds of
  // frames per read); a server's clients send little (subscribe, consume, acks), and a
  // thousand idle connections should not hold 64 KiB each.
  static constexpr std::size_t client_read_size = 64 << 10;
  static constexpr std::size_t server_read_size = 4 << 10;

  frame_reader(role r, std::size_t max_message_size);

  // The least prepare() offers (client_read_size or server_read_size, by role).
  std::size_t min_read() const { return min_read_; }

  // A writable region of at least max(at_least, min_read()) bytes after the unconsumed data, for
  // the next read from the socket. Moves the unconsumed tail to the front of the buffer (or grows
  // it) only when the free space after it is too small. Invalidates the views of earlier events.
  std::span<char> prepare(std::size_t at_least = 0);
  // Marks `n` bytes of the region prepare() returned as received.
  void commit(std::size_t n);
  // Copies bytes received elsewhere (e.g. after an HTTP message in the same read) in.
  void append(std::string_view bytes);

  // The next event from the bytes received so far, consuming its frames.
  frame_event next();

  std::size_t buffered() const { return end_ - begin_; }  // received, not yet consumed

 private:
  frame_event fail(frame_error e);
  void reserve_free(std::size_t at_least);

  role role_;
  std::size_t max_message_size_;
  std::size_t min_read_;
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

}  // namespace kasocki::websocket
