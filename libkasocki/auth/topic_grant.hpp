// Which topics one client may read: the `topics` claim of its token (names, `*` matching any run
// of characters, none included), or everything when the server takes no tokens. The server's
// --allowed-topics apply on top of it (gateway). Pure, no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kasocki::auth {

// True when `topic` matches `pattern`, where `*` stands for any run of characters (also none)
// and every other character for itself. Linear in the lengths times the number of stars.
bool topic_matches(std::string_view pattern, std::string_view topic);

class topic_grant {
 public:
  topic_grant() = default;  // every topic: the server takes no tokens
  static topic_grant only(std::vector<std::string> patterns) {
    topic_grant g;
    g.patterns_ = std::move(patterns);
    return g;
  }
  bool allows(std::string_view topic) const;
  bool unrestricted() const { return !patterns_.has_value(); }

 private:
  std::optional<std::vector<std::string>> patterns_;
};

}  // namespace kasocki::auth
