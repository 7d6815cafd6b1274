// An incremental parser of a text/event-stream body (the HTML Living Standard's rules): bytes in
// as they arrive, whole events out. Lines end with LF, CRLF or CR; `data` lines join with LF;
// comments and unknown fields are ignored; a blank line dispatches the event when it has data.
// Pure, no I/O; nothing throws on any input.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace kasocki::client {

struct sse_event {
  std::string type = "message";  // the `event` field, "message" when absent
  std::string id;                // the last event id (kept across events, as EventSource does)
  std::string data;
};

class sse_event_parser {
 public:
  // A line longer than max_line bytes stops the parser (feed returns false from then on).
  explicit sse_event_parser(std::size_t max_line = 16u << 20) : max_line_(max_line) {}

  // Parses `bytes`; `on_event` gets each complete event. False once a line was too long.
  bool feed(std::string_view bytes, const std::function<void(const sse_event&)>& on_event);
  bool failed() const { return failed_; }

 private:
  void line(std::string_view text, const std::function<void(const sse_event&)>& on_event);

  std::size_t max_line_;
  std::string partial_;    // a line not yet ended
  bool after_cr_ = false;  // the last byte was CR: a following LF belongs to it
  bool failed_ = false;
  bool has_data_ = false;
  std::string last_id_;
  sse_event event_;
};

}  // namespace kasocki::client
