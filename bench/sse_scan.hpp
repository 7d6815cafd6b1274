// The pure SSE side of `kasocki bench --transport sse`, run once per received event and therefore
// kept allocation-free once warm: an incremental scanner of a text/event-stream body that hands
// out each event's fields as views into the bytes just read (only an event cut by a read is
// copied, into a buffer whose capacity is kept). The ids are read by offset_id_reader.hpp.
// Header-only so the unit tests and the fuzz target use it without the CLI. No I/O.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace kasocki::bench {

// Splits a text/event-stream body into blocks (the text between blank lines) and each block into
// fields. Lines end with LF (a CR before it is dropped): what Kasocki sends; a body that ends its
// lines with a lone CR is not read here (the client's sse_event_parser reads every form). An event
// with several `data` lines gets them joined with LF, as EventSource does.
class sse_scanner {
 public:
  // A block (one event) longer than max_block bytes stops the scanner: feed returns false.
  explicit sse_scanner(std::size_t max_block = 16u << 20) : max_block_(max_block) {}

  // Scans `bytes`. `on_event(type, id, data)` gets each block with data (type "message" when it
  // has no `event` field, id empty when it has no `id` field); `on_comment(text)` each comment
  // line (after its colon). The views live until the callback returns. False once a block was
  // too long.
  template <class OnEvent, class OnComment>
  bool feed(std::string_view bytes, OnEvent&& on_event, OnComment&& on_comment) {
    if (failed_) return false;
    std::size_t pos = 0;
    if (!pending_.empty()) {
      // The block cut by the last read ends at the first blank line, which may straddle the cut.
      if (pending_.back() == '\n' && !bytes.empty() && bytes.front() == '\n') {
        pending_.pop_back();
        pos = 1;
      } else {
        auto at = bytes.find("\n\n");
        if (at == std::string_view::npos) return keep(bytes);
        pending_.append(bytes.substr(0, at));
        pos = at + 2;
      }
      if (pending_.size() > max_block_) return fail();
      block(pending_, on_event, on_comment);
      pending_.clear();  // keeps its capacity
    }
    for (;;) {
      auto at = bytes.find("\n\n", pos);
      if (at == std::string_view::npos) break;
      if (at - pos > max_block_) return fail();
      block(bytes.substr(pos, at - pos), on_event, on_comment);
      pos = at + 2;
    }
    return keep(bytes.substr(pos));
  }

  bool failed() const { return failed_; }

 private:
  bool keep(std::string_view rest) {
    pending_.append(rest);
    return pending_.size() <= max_block_ || fail();
  }
  bool fail() {
    failed_ = true;
    pending_.clear();
    return false;
  }

  template <class OnEvent, class OnComment>
  void block(std::string_view text, OnEvent& on_event, OnComment& on_comment) {
    std::string_view type = "message", id, data;
    std::size_t data_lines = 0;
    while (!text.empty()) {
      auto end = text.find('\n');
      auto line = text.substr(0, end);
      text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty()) continue;
      if (line.front() == ':') {
        on_comment(line.substr(1));
        continue;
      }
      auto colon = line.find(':');
      std::string_view name = line.substr(0, colon), value;
      if (colon != std::string_view::npos) {
        value = line.substr(colon + 1);
        if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      }
      if (name == "data") {
        if (data_lines == 1) joined_.assign(data);  // rare: the second line starts a copy
        if (data_lines >= 1) {
          joined_ += '\n';
          joined_.append(value);
          data = joined_;
        } else {
          data = value;
        }
        ++data_lines;
      } else if (name == "event") {
        type = value.empty() ? std::string_view("message") : value;
      } else if (name == "id") {
        id = value;
      }
    }
    if (data_lines > 0) on_event(type, id, data);
  }

  std::size_t max_block_;
  std::string pending_;  // the start of a block cut by the end of a read
  std::string joined_;   // the data of a block with several data lines
  bool failed_ = false;
};

}  // namespace kasocki::bench
