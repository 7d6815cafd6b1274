// See gateway.hpp.
#include "libkasocki/gateway/gateway.hpp"

#include <algorithm>

#include "libkasocki/common/metrics.hpp"
#include "libkasocki/gateway/authorization.hpp"
#include "libkasocki/gateway/client_session.hpp"
#include "libkasocki/gateway/session_recovery.hpp"

namespace kasocki::gateway {

gateway::gateway(kafka::client_context& kafka, kafka::metadata_cache& metadata,
                 socketio::server& io, gateway_options options,
                 const auth::authenticator* authenticator)
    : kafka_(kafka),
      metadata_(metadata),
      options_(std::move(options)),
      authenticator_(authenticator),
      tail_(kafka, metadata, options_.tail) {
  if (authenticator_)
    io.guard([this](socketio::socket& s, const socketio::json& auth, std::string_view token) {
      return admit(s, auth, token);
    });
  tail_.set_prepare_hook([this](const kafka::message_view& m) { return prepare(m); });
  io.of("/", [this](const std::shared_ptr<socketio::socket>& socket) {
    // The session lives as long as the socket's handlers hold it: until the disconnect.
    std::make_shared<client_session>(*this, socket)->start();
  });
  if (options_.recovery_keys)
    io.on_recovery([this](const socketio::socket& s, auto done) {
      const auto* admitted = std::any_cast<admitted_client>(&s.data());
      recover_session(*this, s.auth(), admitted ? admitted->identity.topics : auth::topic_grant{},
                      std::move(done));
    });
  register_store_metrics();
}

// The shared reads: the live readers, the store and the history fetchers. Collected at scrape
// time from one stats() call each.
void gateway::register_store_metrics() {
  auto& registry = metrics::global();
  auto gauge = [&](const char* name, auto field) {
    registry.collect(name, metrics::metric_type::gauge, [this, field] {
      return std::vector<metrics::sample>{{{}, static_cast<double>(field(tail_.stats()))}};
    });
  };
  auto counter = [&](const char* name, auto field) {
    registry.collect(name, metrics::metric_type::counter, [this, field] {
      return std::vector<metrics::sample>{{{}, static_cast<double>(field(tail_.stats()))}};
    });
  };
  using stats = kafka::tail_stats;
  gauge("kasocki_tail_topics", [](const stats& s) { return s.tails; });
  gauge("kasocki_tail_window_bytes", [](const stats& s) { return s.store.window_bytes; });
  counter("kasocki_tail_messages_total", [](const stats& s) { return s.store.window_messages; });
  gauge("kasocki_history_cache_bytes", [](const stats& s) { return s.store.cache_bytes; });
  gauge("kasocki_history_chunks", [](const stats& s) { return s.store.chunks; });
  gauge("kasocki_history_ranges", [](const stats& s) { return s.ranges; });
  counter("kasocki_history_evicted_chunks_total",
          [](const stats& s) { return s.store.evicted_chunks; });
  counter("kasocki_history_evicted_bytes_total",
          [](const stats& s) { return s.store.evicted_bytes; });
  counter("kasocki_history_passed_chunks_total",
          [](const stats& s) { return s.store.passed_chunks; });
  counter("kasocki_history_hits_total", [](const stats& s) { return s.hits; });
  counter("kasocki_history_misses_total", [](const stats& s) { return s.misses; });
  counter("kasocki_history_resets_total", [](const stats& s) { return s.resets; });
  gauge("kasocki_history_fetchers", [](const stats& s) { return s.fetch.fetchers; });
  gauge("kasocki_history_fetchers_busy", [](const stats& s) { return s.fetch.busy; });
  gauge("kasocki_history_fetchers_parked", [](const stats& s) { return s.fetch.parked; });
  gauge("kasocki_history_jobs_queued", [](const stats& s) { return s.fetch.queued; });
  counter("kasocki_history_jobs_total", [](const stats& s) { return s.fetch.jobs; });
  counter("kasocki_history_fetched_bytes_total",
          [](const stats& s) { return s.fetch.fetched_bytes; });
  counter("kasocki_history_fetched_messages_total",
          [](const stats& s) { return s.fetch.fetched_messages; });
}

// The connect guard: a CONNECT needs a token that verifies, and room for its subject.
std::optional<socketio::json> gateway::admit(socketio::socket& s, const socketio::json& auth,
                                             std::string_view handshake_token) {
  auto presented = token_of_connect(auth, handshake_token);
  auto verified = presented.malformed
                      ? auth::auth_result<auth::identity>(auth::auth_error{
                            auth::auth_errc::malformed, "the auth object's token is not a string"})
                      : authenticator_->verify(presented.token);
  if (!verified) {
    if (presented.malformed) auth::authenticator::count_failure(auth::auth_errc::malformed);
    return connect_error_payload(authentication_error(verified.error()));
  }
  auto ticket = reserve_subject(verified->subject);
  if (!ticket) {
    metrics::global()
        .counter("kasocki_limit_rejections_total", {{"limit", "max-connections-per-subject"}})
        .inc();
    return connect_error_payload(
        subject_limit_error(authenticator_->options().max_connections_per_subject));
  }
  s.data() = admitted_client{std::move(*verified), std::move(ticket)};
  return std::nullopt;
}

bool gateway::subject_has_room(const std::string& subject) const {
  const auto max = authenticator_ ? authenticator_->options().max_connections_per_subject : 0;
  if (max == 0 || subject.empty()) return true;
  auto it = subjects_.find(subject);
  return it == subjects_.end() || it->second < max;
}

subject_ticket gateway::reserve_subject(const std::string& subject) {
  if (!subject_has_room(subject)) return nullptr;
  if (!subject.empty()) ++subjects_[subject];
  // A ticket for the empty subject (no tokens) holds nothing but must not be null.
  return {this, [subject](gateway* self) { self->release_subject(subject); }};
}

void gateway::release_subject(const std::string& subject) {
  if (subject.empty()) return;
  auto it = subjects_.find(subject);
  if (it != subjects_.end() && --it->second == 0) subjects_.erase(it);
}

gateway::~gateway() {
  tail_.close();
}

std::shared_ptr<client_session> gateway::open_stream(
    std::weak_ptr<stream_output> out, const std::vector<kafka::resolved_assignment>& assignments,
    filter::filter_set filters, auth::identity identity, subject_ticket ticket) {
  auto session = std::make_shared<client_session>(*this, std::move(out), std::move(identity),
                                                  std::move(ticket));
  session->start_stream(assignments, std::move(filters));
  return session;
}

std::uint32_t gateway::acquire_filter(const filter::filter_set& set) {
  if (set.empty()) return 0;
  auto& shared = filters_[set.key()];
  if (shared.users++ == 0) {
    shared.set = set;
    shared.id = next_filter_id_++;
    filter_list_.push_back({shared.id, &shared.set});
  }
  return shared.id;
}

void gateway::release_filter(std::uint32_t id) {
  if (id == 0) return;
  for (auto it = filters_.begin(); it != filters_.end(); ++it) {
    if (it->second.id != id) continue;
    if (--it->second.users == 0) {
      std::erase_if(filter_list_, [id](const filter_in_use& f) { return f.id == id; });
      filters_.erase(it);
    }
    return;
  }
}

std::size_t gateway::prepare(const kafka::message_view& m) {
  if (m.annotation == nullptr) return 0;
  auto prepared = prepare_message(preparer_, m, filter_list_);
  const std::size_t cost = prepared->cost();
  m.annotation->value = std::move(prepared);
  return cost;
}

}  // namespace kasocki::gateway
