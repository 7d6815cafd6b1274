// See prepared_message.hpp.
#include "libkasocki/gateway/prepared_message.hpp"

namespace kasocki::gateway {

kafka_position position_of(const kafka::message_view& m) {
  return kafka_position{m.topic, m.partition, m.offset, m.timestamp, m.key};
}

std::shared_ptr<prepared_message> prepare_message(augmenter& parser, const kafka::message_view& m,
                                                  std::span<const filter_in_use> filters) {
  auto prepared = std::make_shared<prepared_message>();
  if (!parser.parse(m.value)) return prepared;
  prepared->valid = true;
  prepared->body = make_shared_bytes(parser.splice(position_of(m)));
  prepared->matches.reserve(filters.size());
  for (const auto& f : filters) prepared->matches.emplace_back(f.id, f.set->matches(parser.root()));
  return prepared;
}

}  // namespace kasocki::gateway
