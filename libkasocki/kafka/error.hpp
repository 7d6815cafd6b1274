// Errors of the Kafka layer as values: a name (librdkafka's error name, e.g.
// "UNKNOWN_TOPIC_OR_PART", "_TRANSPORT") and a human-readable message, plus `result<T>`, the
// value-or-error every fallible call of this layer returns. The gateway maps them to KafkaError.
// No I/O.
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
};

// A short description of the kind, e.g. "unknown topic or partition".
std::string_view describe(kafka_errc kind) noexcept;

struct kafka_error {
  std::string name;     // stable, machine-readable (librdkafka's rd_kafka_err2name)
  std::string message;  // for people: what failed and, where known, on which property/topic
  int code = 0;         // the rd_kafka_resp_err_t value, 0 when the error is the layer's own

  kafka_errc kind() const noexcept;  // from code
  friend bool operator==(const kafka_error&, const kafka_error&) = default;
};

// An error from a librdkafka error code, with `context` (e.g. the call or topic) prefixed to
// librdkafka's description.
kafka_error error_from_code(int code, std::string_view context = {});

// Error for a bad argument detected by this layer (name "_INVALID_ARG", as librdkafka's own).
kafka_error invalid_argument(std::string message);

// A position retention deleted: the reader was moved (name "OFFSET_OUT_OF_RANGE").
kafka_error offset_out_of_range(std::string message);

// Either a T or a kafka_error (the project's result type, common/result.hpp).
template <class T>
using result = kasocki::result<T, kafka_error>;

// For calls that only succeed or fail.
using kasocki::ok_t;
using status = result<ok_t>;

}  // namespace kasocki::kafka
