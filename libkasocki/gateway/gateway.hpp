// The Kasocki gateway: gives every socket.io connection on "/" a client_session that serves the
// contract of kasocki-api.md (ready, subscribe, filter, consume, start, stop, message, err).
// Event-loop thread only; reads Kafka through the kafka/ layer.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "libkasocki/filter/filter_set.hpp"
#include "libkasocki/gateway/subscribe_spec.hpp"
#include "libkasocki/kafka/client_context.hpp"
#include "libkasocki/kafka/metadata_cache.hpp"
#include "libkasocki/socketio/server.hpp"

namespace kasocki::gateway {

struct gateway_options {
  std::vector<std::string> allowed_topics;      // empty: every (non-internal) topic
  subscribe_limits subscribe;                   // items per subscribe
  filter::filter_limits filters;                // keys, depth, pattern length
  std::size_t max_outstanding_consumes = 1000;  // consume calls waiting per client
  std::size_t fetch_batch = 1024;               // messages asked from Kafka at a time
  // A session with no subscribe, consume or start for this long, and nothing pending (not
  // started, no consume waiting), gets IdleTimeoutError and is disconnected. 0: never. 10 min.
  std::chrono::seconds idle_timeout{600};
};

class gateway {
 public:
  gateway(kafka::client_context& kafka, kafka::metadata_cache& metadata, socketio::server& io,
          gateway_options options);

  std::size_t session_count() const { return sessions_; }

 private:
  friend class client_session;
  kafka::client_context& kafka_;
  kafka::metadata_cache& metadata_;
  gateway_options options_;
  std::size_t sessions_ = 0;
};

}  // namespace kasocki::gateway
