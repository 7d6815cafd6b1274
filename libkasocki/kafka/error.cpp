// Builds kafka_error values from librdkafka error codes. No I/O.
#include "libkasocki/kafka/error.hpp"

#include <librdkafka/rdkafka.h>

namespace kasocki::kafka {

kafka_error error_from_code(int code, std::string_view context, std::string_view reason) {
  const auto err = static_cast<rd_kafka_resp_err_t>(code);
  kafka_error e{rd_kafka_err2name(err), std::string(context), code, {}};
  if (!e.message.empty()) e.message += ": ";
  const auto kind = e.kind();
  // An error name (e.g. TOPIC_AUTHORIZATION_FAILED) says what happened and names no broker.
  e.message += kind == kafka_errc::other ? "Kafka error " + e.name : std::string(describe(kind));
  e.detail = reason.empty() ? std::string(rd_kafka_err2str(err))
                            : std::string(reason) + ": " + rd_kafka_err2str(err);
  return e;
}

std::string log_text(const kafka_error& error) {
  return error.detail.empty() ? error.message : error.message + " (" + error.detail + ")";
}

kafka_errc kafka_error::kind() const noexcept {
  switch (static_cast<rd_kafka_resp_err_t>(code)) {
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
      return kafka_errc::unknown_topic_or_partition;
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
      return kafka_errc::invalid_argument;
    case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET:
    case RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE:
      return kafka_errc::offset_out_of_range;
    // What an outage looks like from a client: every broker (or the one it needs) gone, a
    // name that does not resolve, requests that time out, a partition without a leader yet.
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
    case RD_KAFKA_RESP_ERR__WAIT_COORD:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
    case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
      return kafka_errc::unavailable;
    default:
      return kafka_errc::other;
  }
}

std::string_view describe(kafka_errc kind) noexcept {
  switch (kind) {
    case kafka_errc::unknown_topic_or_partition:
      return "unknown topic or partition";
    case kafka_errc::invalid_argument:
      return "invalid argument";
    case kafka_errc::offset_out_of_range:
      return "offset out of range";
    case kafka_errc::unavailable:
      return "Kafka cannot be reached";
    case kafka_errc::other:
      break;
  }
  return "Kafka error";
}

kafka_error offset_out_of_range(std::string message) {
  return kafka_error{rd_kafka_err2name(RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE),
                     std::move(message),
                     RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE,
                     {}};
}

kafka_error topic_deleted(std::string message) {
  return kafka_error{rd_kafka_err2name(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART),
                     std::move(message),
                     RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
                     {}};
}

kafka_error invalid_argument(std::string message) {
  return kafka_error{rd_kafka_err2name(RD_KAFKA_RESP_ERR__INVALID_ARG),
                     std::move(message),
                     RD_KAFKA_RESP_ERR__INVALID_ARG,
                     {}};
}

}  // namespace kasocki::kafka
