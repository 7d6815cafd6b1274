// The Kasocki error object that clients receive in acks and `err` events, a named constructor
// for every error name of the contract, and the `result` type the gateway's pure parts return.
// Pure, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "libkasocki/common/result.hpp"

namespace kasocki::gateway {

using json = nlohmann::ordered_json;

struct kasocki_error {
  std::string name;               // e.g. "InvalidAssignmentError"
  std::string message;            // human readable, names the offending part of the request
  json details = json::object();  // extra fields of the error object, in order

  friend bool operator==(const kasocki_error&, const kasocki_error&) = default;
};

// {name, message, origin: "Kasocki", socketEvent, ...details}, in that key order. A detail whose
// key collides with one of the four fixed keys is dropped (the fixed keys are the contract).
json to_json(const kasocki_error& error, std::string_view socket_event);

// Either a value or the error a client gets (the project's result type, common/result.hpp).
template <class T>
using result = kasocki::result<T, kasocki_error>;

// subscribe: malformed spec, wrong types, negative or non-existent partition, ...
kasocki_error invalid_assignment_error(std::string message);
// subscribe: a topic that does not exist or is not allowed; carries the sorted allowed topics.
kasocki_error topic_not_available_error(std::string message,
                                        const std::vector<std::string>& available_topics);
// subscribe while a subscription exists.
kasocki_error already_subscribed_error();
// consume / start before subscribe.
kasocki_error not_subscribed_error();
// start while started.
kasocki_error already_started_error();
// filter: carries the filters as the client sent them.
kasocki_error invalid_filter_error(std::string message, json filters);
// A Kafka value that is not a UTF-8 JSON object (the message is skipped).
kasocki_error deserialization_error(std::string_view topic, std::int32_t partition,
                                    std::int64_t offset);
// Any error librdkafka reports while serving a request or delivering; `code` is librdkafka's
// error name (e.g. "UNKNOWN_TOPIC_OR_PART"), omitted when empty. `message` must be the Kafka
// layer's words (kafka_error::message), never librdkafka's text: clients see it.
kasocki_error kafka_error(std::string message, std::string_view code = {});
// The brokers cannot be reached (on connection: the client is then disconnected; while reading:
// once per outage, and delivery resumes by itself). The message names nothing of the server.
kasocki_error kafka_unavailable_error(
    std::string message =
        "Kafka cannot be reached; delivery resumes where it stopped when it is back");
// Delivery: a partition's position fell outside [low, high] (e.g. retention deleted it) and the
// consumer restarted where auto.offset.reset says. `offset` is the lost position, `resetTo` the
// new one when known.
kasocki_error offset_reset_error(std::string_view topic, std::int32_t partition,
                                 std::int64_t offset, std::optional<std::int64_t> reset_to);
// A configured limit refused a request: `limit` is the option that sets it (e.g.
// "max-outstanding-consumes"), `max` its value; both go into the details. Named after the
// request's own error (e.g. InvalidRequestError) so clients need no new case.
kasocki_error limit_error(std::string name, std::string message, std::string_view limit,
                          std::int64_t max);
// The session did nothing (no subscribe, consume or start, nothing pending) for `seconds`: it is
// disconnected after this error (limit "idle-timeout").
kasocki_error idle_timeout_error(std::int64_t seconds);
// A started session's send queue stayed full (the client read nothing) for `seconds`: it is
// disconnected after this error (limit "stall-timeout").
kasocki_error stalled_client_error(std::int64_t seconds);
// More than `max` events came before `ready` or while a subscribe was answered (they wait to be
// handled in order): the client is disconnected after this error (limit "max-pending-events").
kasocki_error too_many_pending_events_error(std::int64_t max);
// An event name the gateway does not handle, or an argument of the wrong shape that no more
// specific error covers.
kasocki_error invalid_request_error(std::string message);

}  // namespace kasocki::gateway
