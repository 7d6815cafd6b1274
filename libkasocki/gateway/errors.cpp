// The Kasocki error object and its named constructors. Pure, no I/O.
#include "libkasocki/gateway/errors.hpp"

namespace kasocki::gateway {

json to_json(const kasocki_error& error, std::string_view socket_event) {
  json out = json::object();
  out["name"] = error.name;
  out["message"] = error.message;
  out["origin"] = "Kasocki";
  out["socketEvent"] = std::string(socket_event);
  if (error.details.is_object()) {
    for (const auto& [key, value] : error.details.items()) {
      if (!out.contains(key)) out[key] = value;
    }
  }
  return out;
}

namespace {

kasocki_error make(std::string name, std::string message, json details = json::object()) {
  return kasocki_error{std::move(name), std::move(message), std::move(details)};
}

}  // namespace

kasocki_error invalid_assignment_error(std::string message) {
  return make("InvalidAssignmentError", std::move(message));
}

kasocki_error topic_not_available_error(std::string message,
                                        const std::vector<std::string>& available_topics) {
  json details = json::object();
  details["availableTopics"] = available_topics;
  return make("TopicNotAvailableError", std::move(message), std::move(details));
}

kasocki_error already_subscribed_error() {
  return make("AlreadySubscribedError",
              "Already subscribed: a subscription cannot be changed, reconnect to change it");
}

kasocki_error not_subscribed_error() {
  return make("NotSubscribedError", "Not subscribed: subscribe before consume or start");
}

kasocki_error already_started_error() {
  return make("AlreadyStartedError", "Already started: stop before starting again");
}

kasocki_error invalid_filter_error(std::string message, json filters) {
  json details = json::object();
  details["filters"] = std::move(filters);
  return make("InvalidFilterError", std::move(message), std::move(details));
}

kasocki_error deserialization_error(std::string_view topic, std::int32_t partition,
                                    std::int64_t offset) {
  json details = json::object();
  details["topic"] = std::string(topic);
  details["partition"] = partition;
  details["offset"] = offset;
  return make("DeserializationError",
              "Message at " + std::string(topic) + "/" + std::to_string(partition) + "@" +
                  std::to_string(offset) + " is not a UTF-8 JSON object; skipped",
              std::move(details));
}

kasocki_error kafka_error(std::string message, std::string_view code) {
  json details = json::object();
  if (!code.empty()) details["code"] = std::string(code);
  return make("KafkaError", std::move(message), std::move(details));
}

kasocki_error kafka_unavailable_error(std::string message) {
  return make("KafkaUnavailableError", std::move(message));
}

kasocki_error offset_reset_error(std::string_view topic, std::int32_t partition,
                                 std::int64_t offset, std::optional<std::int64_t> reset_to) {
  json details = json::object();
  details["topic"] = std::string(topic);
  details["partition"] = partition;
  details["offset"] = offset;
  details["resetTo"] = reset_to ? json(*reset_to) : json(nullptr);
  return make("OffsetResetError",
              "Offset " + std::to_string(offset) + " of " + std::string(topic) + "/" +
                  std::to_string(partition) + " is out of range; consumption was reset",
              std::move(details));
}

kasocki_error limit_error(std::string name, std::string message, std::string_view limit,
                          std::int64_t max) {
  json details = json::object();
  details["limit"] = std::string(limit);
  details["max"] = max;
  return make(std::move(name), std::move(message) + " (limit " + std::string(limit) + ")",
              std::move(details));
}

kasocki_error idle_timeout_error(std::int64_t seconds) {
  return limit_error(
      "IdleTimeoutError",
      "no subscribe, consume or start for " + std::to_string(seconds) + " s: disconnecting",
      "idle-timeout", seconds);
}

kasocki_error stalled_client_error(std::int64_t seconds) {
  return limit_error("StalledClientError",
                     "the client read nothing for " + std::to_string(seconds) +
                         " s while messages waited: disconnecting",
                     "stall-timeout", seconds);
}

kasocki_error too_many_pending_events_error(std::int64_t max) {
  return limit_error("TooManyPendingEventsError",
                     "more than " + std::to_string(max) +
                         " events sent before `ready` or while a subscribe was answered: "
                         "disconnecting",
                     "max-pending-events", max);
}

kasocki_error invalid_request_error(std::string message) {
  return make("InvalidRequestError", std::move(message));
}

}  // namespace kasocki::gateway
