// Builds kafka_error values from librdkafka error codes. No I/O.
#include "libkasocki/kafka/error.hpp"

#include <librdkafka/rdkafka.h>

namespace kasocki::kafka {

kafka_error error_from_code(int code, std::string_view context) {
  const auto err = static_cast<rd_kafka_resp_err_t>(code);
  std::string message(context);
  if (!message.empty()) message += ": ";
  message += rd_kafka_err2str(err);
  return kafka_error{rd_kafka_err2name(err), std::move(message), code};
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
    case kafka_errc::other:
      break;
  }
  return "Kafka error";
}

kafka_error offset_out_of_range(std::string message) {
  return kafka_error{rd_kafka_err2name(RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE), std::move(message),
                     RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE};
}

kafka_error invalid_argument(std::string message) {
  return kafka_error{rd_kafka_err2name(RD_KAFKA_RESP_ERR__INVALID_ARG), std::move(message),
                     RD_KAFKA_RESP_ERR__INVALID_ARG};
}

}  // namespace kasocki::kafka
