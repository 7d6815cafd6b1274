// Validation of the `subscribe` argument. Pure, no I/O.
#include "libkasocki/gateway/subscribe_spec.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <utility>

namespace kasocki::gateway {

namespace {

std::string describe(const json& value) {
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > 200) {
    std::size_t cut = 200;  // on a code point boundary, so the message stays valid UTF-8
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text = text.substr(0, cut) + "...";
  }
  return text;
}

// The integer a JSON number holds, when it holds one in [min, max]. Integral floats count (a
// JavaScript client cannot tell 1 from 1.0), but only where doubles are exact.
std::optional<std::int64_t> integer_in(const json& value, std::int64_t min, std::int64_t max) {
  std::int64_t v = 0;
  if (value.is_number_integer() && !value.is_number_unsigned()) {
    v = value.get_ref<const std::int64_t&>();
  } else if (value.is_number_unsigned()) {
    std::uint64_t u = value.get_ref<const std::uint64_t&>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return std::nullopt;
    }
    v = static_cast<std::int64_t>(u);
  } else if (value.is_number_float()) {
    double d = value.get_ref<const double&>();
    constexpr double exact = 9007199254740992.0;  // 2^53
    if (!std::isfinite(d) || std::trunc(d) != d || std::fabs(d) > exact) return std::nullopt;
    v = static_cast<std::int64_t>(d);
  } else {
    return std::nullopt;
  }
  if (v < min || v > max) return std::nullopt;
  return v;
}

result<assignment_request> parse_item(const json& item) {
  assignment_request request;
  if (item.is_string()) {
    request.topic = item.get_ref<const std::string&>();
    if (request.topic.empty()) return invalid_assignment_error("A topic name must not be empty");
    return request;
  }
  if (!item.is_object()) {
    return invalid_assignment_error(
        "Each assignment must be a topic name or an object {topic, partition, offset}, "
        "{topic, partition, timestamp} or {topic, timestamp}, not " +
        describe(item));
  }
  constexpr std::int64_t int64_max = std::numeric_limits<std::int64_t>::max();
  constexpr std::int64_t int64_min = std::numeric_limits<std::int64_t>::min();
  bool has_topic = false;
  for (const auto& [key, value] : item.items()) {
    if (key == "topic") {
      if (!value.is_string() || value.get_ref<const std::string&>().empty()) {
        return invalid_assignment_error("topic must be a non-empty string in " + describe(item));
      }
      request.topic = value.get_ref<const std::string&>();
      has_topic = true;
    } else if (key == "partition") {
      auto p = integer_in(value, 0, std::numeric_limits<std::int32_t>::max());
      if (!p) {
        return invalid_assignment_error("partition must be an integer >= 0 in " + describe(item));
      }
      request.partition = static_cast<std::int32_t>(*p);
    } else if (key == "offset") {
      auto o = integer_in(value, int64_min, int64_max);
      if (!o) return invalid_assignment_error("offset must be an integer in " + describe(item));
      request.offset = *o;
    } else if (key == "timestamp") {
      auto t = integer_in(value, 0, int64_max);
      if (!t) {
        return invalid_assignment_error(
            "timestamp must be an integer >= 0 (ms since the epoch) in " + describe(item));
      }
      request.timestamp = *t;
    } else {
      return invalid_assignment_error("Unknown key " + describe(json(key)) + " in " +
                                      describe(item));
    }
  }
  if (!has_topic) return invalid_assignment_error("Missing topic in " + describe(item));
  if (request.offset && request.timestamp) {
    return invalid_assignment_error("Give offset or timestamp, not both, in " + describe(item));
  }
  if (request.partition && !request.offset && !request.timestamp) {
    return invalid_assignment_error("A partition needs an offset or a timestamp in " +
                                    describe(item));
  }
  if (request.offset && !request.partition) {
    return invalid_assignment_error("An offset needs a partition in " + describe(item));
  }
  return request;
}

std::string where(const assignment_request& r) {
  return r.partition ? r.topic + "/" + std::to_string(*r.partition) : r.topic;
}

}  // namespace

result<std::vector<assignment_request>> parse_subscribe_spec(const json& spec,
                                                             const subscribe_limits& limits) {
  std::vector<assignment_request> requests;
  if (spec.is_string()) {
    auto r = parse_item(spec);
    if (!r) return r.error();
    requests.push_back(std::move(*r));
    return requests;
  }
  if (!spec.is_array()) {
    return invalid_assignment_error("subscribe needs a topic name or an array of assignments");
  }
  if (spec.empty()) return invalid_assignment_error("subscribe needs at least one assignment");
  if (spec.size() > limits.max_items) {
    auto error = invalid_assignment_error(
        "subscribe takes at most " + std::to_string(limits.max_items) + " assignments, got " +
        std::to_string(spec.size()) + " (limit max-subscribe-items)");
    error.details["limit"] = "max-subscribe-items";
    error.details["max"] = limits.max_items;
    return error;
  }
  // Whole topics, and (topic, partition) pairs, seen so far: any overlap is ambiguous.
  std::set<std::string> whole_topics;
  std::set<std::string> partial_topics;
  std::set<std::pair<std::string, std::int32_t>> partitions;
  for (const json& item : spec) {
    auto r = parse_item(item);
    if (!r) return r.error();
    const assignment_request& req = *r;
    bool duplicate = whole_topics.count(req.topic) > 0;
    if (req.partition) {
      duplicate = duplicate || !partitions.emplace(req.topic, *req.partition).second;
      partial_topics.insert(req.topic);
    } else {
      duplicate = duplicate || partial_topics.count(req.topic) > 0;
      whole_topics.insert(req.topic);
    }
    if (duplicate) {
      return invalid_assignment_error(where(req) + " is assigned more than once");
    }
    requests.push_back(std::move(*r));
  }
  return requests;
}

std::vector<std::string> available_topics(const topic_partitions& metadata,
                                          const std::vector<std::string>& allowed_topics,
                                          const auth::topic_grant& grant) {
  std::vector<std::string> out;
  for (const auto& [topic, count] : metadata) {
    (void)count;
    if (topic.starts_with("__")) continue;
    if (!allowed_topics.empty() &&
        std::find(allowed_topics.begin(), allowed_topics.end(), topic) == allowed_topics.end()) {
      continue;
    }
    if (!grant.allows(topic)) continue;
    out.push_back(topic);  // std::map iterates in sorted order
  }
  return out;
}

result<ok_t> check_assignment(const std::vector<assignment_request>& requests,
                              const topic_partitions& metadata,
                              const std::vector<std::string>& allowed_topics,
                              const auth::topic_grant& grant) {
  std::vector<std::string> available = available_topics(metadata, allowed_topics, grant);
  for (const assignment_request& r : requests) {
    if (!std::binary_search(available.begin(), available.end(), r.topic)) {
      return topic_not_available_error("Topic " + describe(json(r.topic)) + " is not available",
                                       available);
    }
    auto found = metadata.find(r.topic);
    std::int32_t count = found == metadata.end() ? 0 : found->second;
    if (r.partition && *r.partition >= count) {
      return invalid_assignment_error("Partition " + std::to_string(*r.partition) + " of topic " +
                                      describe(json(r.topic)) + " does not exist (it has " +
                                      std::to_string(count) + " partitions)");
    }
  }
  return ok_t{};
}

}  // namespace kasocki::gateway
