// See gateway.hpp.
#include "libkasocki/gateway/gateway.hpp"

#include <algorithm>

#include "libkasocki/common/metrics.hpp"
#include "libkasocki/gateway/client_session.hpp"

namespace kasocki::gateway {

gateway::gateway(kafka::client_context& kafka, kafka::metadata_cache& metadata,
                 socketio::server& io, gateway_options options)
    : kafka_(kafka),
      metadata_(metadata),
      options_(std::move(options)),
      tail_(kafka, metadata, options_.tail) {
  tail_.set_prepare_hook([this](const kafka::message_view& m) { return prepare(m); });
  io.of("/", [this](const std::shared_ptr<socketio::socket>& socket) {
    // The session lives as long as the socket's handlers hold it: until the disconnect.
    std::make_shared<client_session>(*this, socket)->start();
  });
  auto& registry = metrics::global();
  registry.collect("kasocki_tail_window_bytes", metrics::metric_type::gauge, [this] {
    return std::vector<metrics::sample>{{{}, static_cast<double>(tail_.stats().window_bytes)}};
  });
  registry.collect("kasocki_tail_topics", metrics::metric_type::gauge, [this] {
    return std::vector<metrics::sample>{{{}, static_cast<double>(tail_.stats().tails)}};
  });
  registry.collect("kasocki_private_readers", metrics::metric_type::gauge, [this] {
    return std::vector<metrics::sample>{{{}, static_cast<double>(tail_.stats().private_readers)}};
  });
  registry.collect("kasocki_tail_switches_total", metrics::metric_type::counter, [this] {
    auto s = tail_.stats();
    return std::vector<metrics::sample>{{{{"to", "private"}}, static_cast<double>(s.to_private)},
                                        {{{"to", "tail"}}, static_cast<double>(s.to_window)}};
  });
}

gateway::~gateway() {
  tail_.close();
}

std::shared_ptr<client_session> gateway::open_stream(
    std::weak_ptr<stream_output> out, const std::vector<kafka::resolved_assignment>& assignments,
    filter::filter_set filters) {
  auto session = std::make_shared<client_session>(*this, std::move(out));
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
