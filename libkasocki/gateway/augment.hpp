// Message augmentation: validates a Kafka value as a UTF-8 JSON object with one simdjson parse,
// exposes the parsed root so filters reuse that parse, and splices
// `"_kafka":{"topic":…,"partition":…,"offset":…,"timestamp":…,"key":…}` before the closing
// brace of the original text (no DOM re-serialisation). Pure, no I/O.
//
// Per message: parse() once -> filter_set::matches(root()) per distinct filter -> splice() once,
// the body shared by every client that gets it (the socket.io framing around it is socketio's).
//
// Choices the contract leaves open:
// - An existing top-level `_kafka` member (however its key is escaped) is removed from the text
//   and the new one appended; nested `_kafka` keys are untouched. Whitespace around the kept
//   members is then normalised to none between members.
// - Key bytes that are not well-formed UTF-8 are escaped deterministically: each byte that is not
//   part of a well-formed sequence becomes U+FFFD. Control characters become \u00XX escapes.
// - Values simdjson 3.0 cannot represent are rejected like any invalid value: integers beyond
//   64 bits, floats beyond double range, nesting deeper than 1024, a leading byte order mark.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <simdjson.h>

namespace kasocki::gateway {

// Where a message came from, as the `_kafka` field reports it.
struct kafka_position {
  std::string_view topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::optional<std::int64_t> timestamp;  // ms since the epoch; null when absent
  std::optional<std::string_view> key;    // raw key bytes; null when absent
};

class augmenter {
 public:
  // Validates `value`: true when it is UTF-8 JSON whose top level is an object (whitespace
  // around it allowed). On success root() is the parsed object until the next parse(), and the
  // splice functions may be called while `value`'s bytes stay alive.
  bool parse(std::string_view value);

  // The parsed message (an object); only after a successful parse().
  const simdjson::dom::element& root() const noexcept { return root_; }

  // prefix + augmented message + suffix, in one allocation. Only after a successful parse().
  std::string splice(const kafka_position& pos, std::string_view prefix = {},
                     std::string_view suffix = {}) const;

  // parse() + splice(): the augmented text, or nullopt when `value` is not a UTF-8 JSON object.
  std::optional<std::string> augment(std::string_view value, const kafka_position& pos);

 private:
  simdjson::dom::parser parser_;  // reused: its buffers grow to the largest message seen
  simdjson::dom::element root_;
  std::string_view object_;  // the value from its '{' to its '}'
  bool parsed_ = false;
  bool empty_ = false;      // `{}` (possibly with whitespace inside)
  bool has_kafka_ = false;  // a top-level `_kafka` member must be removed
};

// Appends `bytes` as a JSON string literal (quotes included), escaping as documented above.
void append_json_string(std::string& out, std::string_view bytes);

// `"_kafka":{…}` for pos, appended to out.
void append_kafka_member(std::string& out, const kafka_position& pos);

}  // namespace kasocki::gateway
