// See chunked_decoder.hpp.
#include "client/chunked_decoder.hpp"

namespace kasocki::client {

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

chunked_decoder::piece chunked_decoder::next(std::string_view& input) {
  while (!input.empty()) {
    if (state_ == state::data) {
      // The hot path: a view of what the input holds of this chunk.
      const auto n = static_cast<std::size_t>(
          remaining_ < input.size() ? remaining_ : static_cast<std::uint64_t>(input.size()));
      std::string_view data = input.substr(0, n);
      input.remove_prefix(n);
      remaining_ -= n;
      if (remaining_ == 0) state_ = state::data_cr;
      return {kind::data, data};
    }
    const char c = input.front();
    switch (state_) {
      case state::size: {
        const int v = hex_value(c);
        if (v >= 0) {
          if (remaining_ > max_chunk_size / 16) return fail();
          remaining_ = remaining_ * 16 + static_cast<std::uint64_t>(v);
          ++digits_;
          break;
        }
        if (digits_ == 0) return fail();
        if (c == '\r') {
          state_ = state::size_lf;
        } else if (c == ';' || c == ' ' || c == '\t') {
          state_ = state::extension;
        } else {
          return fail();
        }
        break;
      }
      case state::extension:
        // Extensions are ignored; a bare LF or another control character is not HTTP.
        if (c == '\r') {
          state_ = state::size_lf;
        } else if (c == '\n' || (static_cast<unsigned char>(c) < 0x20 && c != '\t')) {
          return fail();
        }
        break;
      case state::size_lf:
        digits_ = 0;
        if (!expect(c, '\n', remaining_ == 0 ? state::trailer_start : state::data)) return fail();
        break;
      case state::data_cr:
        if (!expect(c, '\r', state::data_lf)) return fail();
        break;
      case state::data_lf:
        if (!expect(c, '\n', state::size)) return fail();
        break;
      case state::trailer_start:
        state_ = c == '\r' ? state::final_lf : state::trailer_line;
        if (c == '\n') return fail();
        break;
      case state::trailer_line:
        if (c == '\r') state_ = state::trailer_lf;
        if (c == '\n') return fail();
        break;
      case state::trailer_lf:
        if (!expect(c, '\n', state::trailer_start)) return fail();
        break;
      case state::final_lf:
        if (!expect(c, '\n', state::done)) return fail();
        input.remove_prefix(1);
        return {kind::done, {}};
      case state::done:
        return {kind::done, {}};
      case state::error:
        return {kind::error, {}};
      case state::data:
        break;  // handled above
    }
    input.remove_prefix(1);
  }
  if (state_ == state::done) return {kind::done, {}};
  if (state_ == state::error) return {kind::error, {}};
  return {kind::need_more, {}};
}

}  // namespace kasocki::client
