// The Kasocki gateway: gives every socket.io connection on "/" a client_session that serves the
// contract of kasocki-api.md (ready, subscribe, filter, consume, start, stop, message, err).
// Event-loop thread only; reads Kafka through the kafka/ layer.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "libkasocki/auth/authenticator.hpp"
#include "libkasocki/filter/filter_set.hpp"
#include "libkasocki/gateway/augment.hpp"
#include "libkasocki/gateway/prepared_message.hpp"
#include "libkasocki/gateway/stream_output.hpp"
#include "libkasocki/gateway/subscribe_spec.hpp"
#include "libkasocki/kafka/client_context.hpp"
#include "libkasocki/kafka/metadata_cache.hpp"
#include "libkasocki/kafka/shared_tail.hpp"
#include "libkasocki/recovery/recovery_keys.hpp"
#include "libkasocki/socketio/server.hpp"

namespace kasocki::gateway {

class client_session;

struct gateway_options {
  std::vector<std::string> allowed_topics;      // empty: every (non-internal) topic
  subscribe_limits subscribe;                   // items per subscribe
  filter::filter_limits filters;                // keys, depth, pattern length
  std::size_t max_outstanding_consumes = 1000;  // consume calls waiting per client
  std::size_t fetch_batch = 1024;               // messages asked from Kafka at a time
  // Events a client sends before `ready` or while its subscribe is answered wait in a queue, to
  // be handled in order after it; one more gets TooManyPendingEventsError and a disconnect.
  // Events; each is at most the Engine.IO max_payload.
  std::size_t max_pending_events = 100;
  // A session with no subscribe, consume or start for this long, and nothing pending (not
  // started, no consume waiting), gets IdleTimeoutError and is disconnected. 0: never. 10 min.
  std::chrono::seconds idle_timeout{600};
  // A started session whose send queue stays full (the client reads nothing) this long is
  // disconnected with StalledClientError. 0: never. 60 s.
  std::chrono::seconds stall_timeout{60};
  kafka::tail_options tail;  // the shared reads: live windows, history cache, fetchers
  // Connection state recovery: on when set (--recovery-secret-file). A cursor older than the
  // window (from the time it was sent) no longer recovers. 24 h.
  std::shared_ptr<const recovery::recovery_keys> recovery_keys;
  std::chrono::seconds recovery_window{86400};
};

// A session's place among those of its token subject (gateway::reserve_subject); dropping the
// last copy gives it back.
using subject_ticket = std::shared_ptr<void>;

// What the connect guard leaves in socket.data() for the session it admits.
struct admitted_client {
  auth::identity identity;
  subject_ticket ticket;
};

class gateway {
 public:
  // With an authenticator, every socket.io CONNECT and SSE request needs a token (it is used,
  // not owned, and must outlive the gateway).
  gateway(kafka::client_context& kafka, kafka::metadata_cache& metadata, socketio::server& io,
          gateway_options options, const auth::authenticator* authenticator = nullptr);

  ~gateway();
  gateway(const gateway&) = delete;
  gateway& operator=(const gateway&) = delete;

  std::size_t session_count() const { return sessions_; }

  // ---- for plain streams (SSE): the same sessions, metadata and Kafka as socket.io ----
  // A started session reading `assignments` through the shared tail, with `filters`, delivering
  // to `out`. The caller holds it; dropping it ends the session.
  // `ticket`: the stream's place among its subject's sessions (reserve_subject).
  std::shared_ptr<client_session> open_stream(
      std::weak_ptr<stream_output> out, const std::vector<kafka::resolved_assignment>& assignments,
      filter::filter_set filters, auth::identity identity = {}, subject_ticket ticket = {});
  // Null when the server takes no tokens.
  const auth::authenticator* authenticator() const { return authenticator_; }
  // One more session of `subject` within --max-connections-per-subject, taken at the admission
  // check and given back when the last copy is dropped: a client admitted but not yet open (its
  // offsets being resolved, its recovery checked) counts already, so that clients of one subject
  // arriving together cannot all pass the check. Null when the subject has no room left.
  subject_ticket reserve_subject(const std::string& subject);
  kafka::client_context& kafka() { return kafka_; }
  kafka::metadata_cache& metadata() { return metadata_; }
  const gateway_options& options() const { return options_; }
  kafka::tail_stats tail_stats() const { return tail_.stats(); }
  // Closes the shared tail's readers (at shutdown).
  void close() { tail_.close(); }

 private:
  friend class client_session;

  // The distinct filter sets of the sessions, so the tail evaluates each once per message.
  // acquire() returns the set's id (0 for no filter); release() forgets an unused one.
  std::uint32_t acquire_filter(const filter::filter_set& set);
  void release_filter(std::uint32_t id);
  std::size_t prepare(const kafka::message_view& m);
  void register_store_metrics();
  bool subject_has_room(const std::string& subject) const;
  void release_subject(const std::string& subject);
  std::optional<socketio::json> admit(socketio::socket& s, const socketio::json& auth,
                                      std::string_view handshake_token);

  kafka::client_context& kafka_;
  kafka::metadata_cache& metadata_;
  gateway_options options_;
  const auth::authenticator* authenticator_;
  std::map<std::string, std::size_t> subjects_;  // open sessions per token subject
  std::size_t sessions_ = 0;
  struct shared_filter {
    filter::filter_set set;
    std::uint32_t id = 0;
    std::size_t users = 0;
  };
  std::map<std::string, shared_filter> filters_;  // by filter_set::key()
  std::vector<filter_in_use> filter_list_;        // the same, for prepare()
  std::uint32_t next_filter_id_ = 1;
  augmenter preparer_;
  kafka::shared_tail tail_;
};

}  // namespace kasocki::gateway
