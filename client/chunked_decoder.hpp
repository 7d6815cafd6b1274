// The HTTP/1.1 chunked transfer coding (RFC 9112 section 7.1), decoded incrementally: bytes in as
// they are read, the chunks' data out as views into those bytes (nothing is copied), chunk
// extensions and trailer fields skipped. `kasocki client --transport sse` and `kasocki bench`
// read an SSE body through it from the raw socket, a read of up to 64 KiB at a time. Pure, no I/O.
#pragma once

#include <cstdint>
#include <string_view>

namespace kasocki::client {

class chunked_decoder {
 public:
  enum class kind {
    data,       // `data` is a piece of a chunk's data
    need_more,  // everything given was used: read more
    done,       // the last chunk and the trailer section ended the body
    error,      // not chunked coding (or a chunk size beyond max_chunk_size)
  };
  struct piece {
    kind what = kind::need_more;
    std::string_view data;
  };
  // Larger chunk sizes are refused (no body of ours comes near; keeps the arithmetic exact).
  static constexpr std::uint64_t max_chunk_size = std::uint64_t{1} << 48;

  // Takes from the front of `input` until it has a piece of data, needs more, or the body
  // ended (what follows the body stays in `input`). After done or error, returns the same.
  piece next(std::string_view& input);
  bool done() const { return state_ == state::done; }
  bool failed() const { return state_ == state::error; }

 private:
  enum class state {
    size,       // hex digits of the chunk size
    extension,  // after the size: whitespace and `;ext`, up to CR
    size_lf,    // the LF ending the size line
    data,       // remaining_ bytes of data
    data_cr,    // the CRLF after the data
    data_lf,
    trailer_start,  // a trailer line, or the CRLF ending the body
    trailer_line,   // skipping a trailer field up to CR
    trailer_lf,     // the LF after a trailer field
    final_lf,       // the LF of the empty line ending the body
    done,
    error,
  };
  // The line ending's character `want` moves on to `next`; anything else is not HTTP.
  bool expect(char c, char want, state next) {
    if (c != want) return false;
    state_ = next;
    return true;
  }
  piece fail() {
    state_ = state::error;
    return {kind::error, {}};
  }

  state state_ = state::size;
  std::uint64_t remaining_ = 0;
  int digits_ = 0;
};

}  // namespace kasocki::client
