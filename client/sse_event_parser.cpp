// See sse_event_parser.hpp.
#include "client/sse_event_parser.hpp"

namespace kasocki::client {

bool sse_event_parser::feed(std::string_view bytes,
                            const std::function<void(const sse_event&)>& on_event) {
  if (failed_) return false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const char c = bytes[i];
    if (c == '\n' && after_cr_) {  // the LF of a CRLF
      after_cr_ = false;
      start = i + 1;
      continue;
    }
    after_cr_ = false;
    if (c != '\n' && c != '\r') continue;
    after_cr_ = c == '\r';
    auto piece = bytes.substr(start, i - start);
    if (partial_.empty()) {
      line(piece, on_event);
    } else {
      partial_.append(piece);
      line(partial_, on_event);
      partial_.clear();
    }
    start = i + 1;
  }
  partial_.append(bytes.substr(start));
  if (partial_.size() > max_line_) failed_ = true;
  return !failed_;
}

void sse_event_parser::line(std::string_view text,
                            const std::function<void(const sse_event&)>& on_event) {
  if (text.size() > max_line_) {
    failed_ = true;
    return;
  }
  if (text.empty()) {
    if (has_data_) {
      event_.id = last_id_;
      on_event(event_);
    }
    event_ = sse_event{};
    has_data_ = false;
    return;
  }
  if (text.front() == ':') return;  // a comment
  auto colon = text.find(':');
  std::string_view name = text.substr(0, colon), value;
  if (colon != std::string_view::npos) {
    value = text.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (name == "data") {
    if (has_data_) event_.data += '\n';
    event_.data.append(value);
    has_data_ = true;
  } else if (name == "event") {
    event_.type = value.empty() ? "message" : std::string(value);
  } else if (name == "id") {
    if (value.find('\0') == std::string_view::npos) last_id_ = value;
  }
}

}  // namespace kasocki::client
