// What the gateway prepares once per message of the shared tail's window, for every client that
// reads it: whether the value is a JSON object, the value with `_kafka` spliced in (shared by
// every frame that carries it), and the result of each distinct filter set in use (evaluated on
// the same parse). Pure, no I/O.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "libkasocki/common/shared_bytes.hpp"
#include "libkasocki/filter/filter_set.hpp"
#include "libkasocki/gateway/augment.hpp"
#include "libkasocki/kafka/message_source.hpp"

namespace kasocki::gateway {

struct prepared_message {
  bool valid = false;
  shared_bytes body;                                    // the augmented value (valid only)
  std::vector<std::pair<std::uint32_t, bool>> matches;  // filter-set id -> matched

  std::optional<bool> match(std::uint32_t filter_id) const {
    for (const auto& [id, matched] : matches)
      if (id == filter_id) return matched;
    return std::nullopt;
  }
  std::size_t cost() const { return view(body).size() + matches.size() * 8 + sizeof(*this); }
};

// A filter set in use, with the id sessions and prepared messages know it by.
struct filter_in_use {
  std::uint32_t id = 0;
  const filter::filter_set* set = nullptr;
};

// One parse of `m` with `parser`: validation, the augmented value and every filter of
// `filters` (nothing else for an invalid value).
std::shared_ptr<prepared_message> prepare_message(augmenter& parser, const kafka::message_view& m,
                                                  std::span<const filter_in_use> filters);

kafka_position position_of(const kafka::message_view& m);

}  // namespace kasocki::gateway
