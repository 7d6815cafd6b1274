// Connection state recovery, the gateway's side (kasocki-api.md, "Connection state recovery"):
// the socket.io server's recovery handler. It verifies the pid and cursor of a reconnecting
// client's CONNECT, names the cursor's topics from Kafka's metadata, checks them as a subscribe
// would (authorize_requests), and checks that Kafka still has every position; then the client
// gets its pid back and its session restored, else a new pid and a normal new session, never
// an error. Event-loop thread only; asks Kafka through the kafka/ layer.
#pragma once

#include <chrono>
#include <functional>
#include <vector>

#include "libkasocki/auth/topic_grant.hpp"
#include "libkasocki/filter/filter_set.hpp"
#include "libkasocki/kafka/offset_resolver.hpp"
#include "libkasocki/socketio/packet.hpp"
#include "libkasocki/socketio/recovery.hpp"

namespace kasocki::gateway {

class gateway;

// What a recovered session starts from (socketio::socket::recovered_state()).
struct restored_session {
  std::chrono::system_clock::time_point pid_issued;
  std::vector<kafka::resolved_assignment> assignments;  // empty: not subscribed
  filter::filter_set filters;
  bool started = false;
};

// The handler of socketio::server::on_recovery: `auth` is the CONNECT auth object, `grant` the
// topics of the client's token (unrestricted without an authenticator): a recovered subscription
// must be one the client could make now. `owner` must outlive the server's connections.
void recover_session(gateway& owner, const socketio::json& auth, auth::topic_grant grant,
                     std::function<void(socketio::connect_recovery)> done);

}  // namespace kasocki::gateway
