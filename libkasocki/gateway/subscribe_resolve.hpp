// The steps of a subscribe that a plain stream (SSE) takes too: the gateway's assignment request
// as the Kafka layer's, Kafka errors as the client sees them, whether the metadata knows every
// topic; and resolve_stream, a stream's subscribe without a socket. Event-loop thread only.
#pragma once

#include <functional>
#include <vector>

#include "libkasocki/gateway/errors.hpp"
#include "libkasocki/gateway/subscribe_spec.hpp"
#include "libkasocki/kafka/metadata_cache.hpp"
#include "libkasocki/kafka/offset_resolver.hpp"
#include "libkasocki/socketio/packet.hpp"

namespace kasocki::gateway {

class gateway;

kasocki_error to_client_error(const kafka::kafka_error& e);
kafka::assignment_request to_kafka_request(const assignment_request& r);
bool all_topics_known(const kafka::snapshot_ptr& snapshot,
                      const std::vector<assignment_request>& requests);

// Whether a client may read what `requests` name: every topic available to it (the allowed
// topics, existing in `snapshot`) and every partition existing. The one check every way into a
// subscription goes through (subscribe, a recovered session), with `grant`, the topics of the
// client's token (unrestricted without an authenticator).
// TopicNotAvailableError, InvalidAssignmentError.
result<ok_t> authorize_requests(const gateway& owner, const auth::topic_grant& grant,
                                const std::vector<assignment_request>& requests,
                                const kafka::metadata_snapshot& snapshot);

using stream_resolve_handler = std::function<void(result<std::vector<kafka::resolved_assignment>>)>;

// Checks `requests` against the metadata (fetched again, once the refresh gap allows, when a
// topic is unknown) and the allowed topics, then resolves the start offsets: `done` gets them,
// or TopicNotAvailableError, InvalidAssignmentError, KafkaError. Called later, on the event loop;
// not at all when `owner` goes first.
// Only topics `grant` allows are available (the stream's token).
void resolve_stream(gateway& owner, std::vector<assignment_request> requests,
                    stream_resolve_handler done, auth::topic_grant grant = {});

}  // namespace kasocki::gateway
