// Errors of the Kafka layer as values: a name (librdkafka's error name, e.g.
// "UNKNOWN_TOPIC_OR_PART", "_TRANSPORT"), a message of this layer's own words that clients may
// see, and librdkafka's own text (broker names, addresses, ports) that only the server's log
// sees; plus `result<T>`, the value-or-error every fallible call of this layer returns. The
// gateway maps them to KafkaError and KafkaUnavailableError. No I/O.
#pragma once

#include <string>
#include <string_view>

#include "libkasocki/common/result.hpp"

namespace kasocki::kafka {

// What callers act on, from the error's code (never from its text).
enum class kafka_errc {
  other,                       // anything else: the client gets it as a KafkaError
  unknown_topic_or_partition,  // the topic or partition does not exist (or not yet)
  invalid_argument,            // a request this layer refuses, e.g. a negative offset
  offset_out_of_range,         // a position retention deleted (or past the end)
  unavailable,  // brokers cannot be reached (down, unresolvable, timed out, no leader yet)
};

// A short description of the kind, e.g. "unknown topic or partition".
std::string_view describe(kafka_errc kind) noexcept;

struct kafka_error {
  std::string name;     // stable, machine-readable (librdkafka's rd_kafka_err2name)
  std::string message;  // for people: what failed and, where known, on which topic; never
                        // librdkafka's text, so that a client may be shown it
  int code = 0;         // the rd_kafka_resp_err_t value, 0 when the error is the layer's own
  std::string detail;   // librdkafka's own text (may name brokers): for the server's log only

  kafka_errc kind() const noexcept;  // from code
  friend bool operator==(const kafka_error&, const kafka_error&) = default;
};

// An error from a librdkafka error code: the message is `context` (this layer's words, e.g. the
// call and topic) and a description of the kind; librdkafka's description of the code, and the
// `reason` it gave (an error callback's text, a message's error string), go to `detail`.
kafka_error error_from_code(int code, std::string_view context = {}, std::string_view reason = {});

// The message and the detail in one line, for the server's log.
std::string log_text(const kafka_error& error);

// Error for a bad argument detected by this layer (name "_INVALID_ARG", as librdkafka's own).
kafka_error invalid_argument(std::string message);

// A position retention deleted: the reader was moved (name "OFFSET_OUT_OF_RANGE").
kafka_error offset_out_of_range(std::string message);

// A topic that was deleted while it was read (name "UNKNOWN_TOPIC_OR_PART").
kafka_error topic_deleted(std::string message);

// Either a T or a kafka_error (the project's result type, common/result.hpp).
template <class T>
using result = kasocki::result<T, kafka_error>;

// For calls that only succeed or fail.
using kasocki::ok_t;
using status = result<ok_t>;

}  // namespace kasocki::kafka
