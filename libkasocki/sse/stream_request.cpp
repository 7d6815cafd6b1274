// See stream_request.hpp.
#include "libkasocki/sse/stream_request.hpp"

#include <algorithm>
#include <charconv>

#include <boost/url/parse.hpp>
#include <boost/url/pct_string_view.hpp>
#include <boost/url/url_view.hpp>

namespace kasocki::sse {

namespace {

request_error refuse(request_errc kind, std::string name, std::string message) {
  return request_error{kind, kasocki_error{std::move(name), std::move(message), json::object()}};
}

std::optional<int> digits(std::string_view text, std::size_t& pos, std::size_t count) {
  if (pos + count > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = 0; i < count; ++i) {
    char c = text[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  pos += count;
  return value;
}

bool expect(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool leap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

// A Last-Event-ID nests two levels ([{...}]): deeper input is refused by a scan that costs one
// pass, so no parser recurses or allocates for an attacker's thousand brackets.
bool nesting_within(std::string_view text, std::size_t max_depth) {
  std::size_t depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return true;
}

bool contains_ci(std::string_view haystack, std::string_view needle) {
  auto it =
      std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                  [](char a, char b) { return (a >= 'A' && a <= 'Z' ? a - 'A' + 'a' : a) == b; });
  return it != haystack.end();
}

// A filter refused by one of its size limits names the option that sets it, as filter() does.
void name_filter_limit(kasocki_error& error, filter::filter_errc kind,
                       const filter::filter_limits& limits) {
  auto name = [&](const char* limit, std::size_t max) {
    error.details["limit"] = limit;
    error.details["max"] = max;
  };
  if (kind == filter::filter_errc::too_many_keys) name("max-filter-keys", limits.max_keys);
  if (kind == filter::filter_errc::path_too_deep) name("max-filter-depth", limits.max_depth);
  if (kind == filter::filter_errc::pattern_too_long) name("max-filter-pattern", limits.max_pattern);
}

}  // namespace

unsigned http_status(request_errc kind) {
  return kind == request_errc::no_topic ? 404 : 400;
}

std::optional<std::int64_t> parse_since(std::string_view text) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos) {
    std::int64_t ms = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return ms;
  }
  std::size_t pos = 0;
  auto year = digits(text, pos, 4);
  if (!year || !expect(text, pos, '-')) return std::nullopt;
  auto month = digits(text, pos, 2);
  if (!month || !expect(text, pos, '-')) return std::nullopt;
  auto day = digits(text, pos, 2);
  if (!day || *month < 1 || *month > 12 || *day < 1) return std::nullopt;
  static constexpr int month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (*day > month_days[*month - 1] + (*month == 2 && leap(*year) ? 1 : 0)) return std::nullopt;
  std::int64_t ms =
      days_from_civil(*year, static_cast<unsigned>(*month), static_cast<unsigned>(*day)) *
      86'400'000;
  if (pos == text.size()) return ms >= 0 ? std::optional(ms) : std::nullopt;
  if (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ') return std::nullopt;
  ++pos;
  auto hour = digits(text, pos, 2);
  if (!hour || !expect(text, pos, ':')) return std::nullopt;
  auto minute = digits(text, pos, 2);
  if (!minute) return std::nullopt;
  int second = 0, millis = 0;
  if (pos < text.size() && text[pos] == ':') {
    ++pos;
    auto s = digits(text, pos, 2);
    if (!s) return std::nullopt;
    second = *s;
    if (pos < text.size() && text[pos] == '.') {
      const std::size_t start = ++pos;
      int scale = 100;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        millis += (text[pos] - '0') * scale;  // digits past milliseconds are dropped
        scale /= 10;
        ++pos;
      }
      if (pos == start) return std::nullopt;
    }
  }
  if (*hour > 23 || *minute > 59 || second > 60) return std::nullopt;
  ms += ((*hour * 60 + *minute) * 60 + second) * 1000LL + millis;
  if (pos == text.size()) return std::nullopt;  // a time without a zone is ambiguous
  if (text[pos] == 'Z' || text[pos] == 'z') {
    if (pos + 1 != text.size()) return std::nullopt;
  } else {
    if (text[pos] != '+' && text[pos] != '-') return std::nullopt;
    const int sign = text[pos] == '+' ? 1 : -1;
    ++pos;
    auto oh = digits(text, pos, 2);
    if (!oh) return std::nullopt;
    if (pos < text.size() && text[pos] == ':') ++pos;
    auto om = digits(text, pos, 2);
    if (!om || pos != text.size() || *oh > 23 || *om > 59) return std::nullopt;
    ms -= sign * ((*oh * 60 + *om) * 60'000LL);
  }
  return ms >= 0 ? std::optional(ms) : std::nullopt;
}

kasocki::result<std::vector<gateway::assignment_request>, request_error> parse_last_event_id(
    std::string_view text, const request_limits& limits) {
  auto invalid = [](std::string why) {
    return refuse(request_errc::invalid_assignment, "InvalidAssignmentError",
                  "Last-Event-ID: " + std::move(why));
  };
  if (!nesting_within(text, limits.max_last_event_id_depth)) return invalid("nested too deeply");
  json parsed = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return invalid("not JSON");
  if (!parsed.is_array() || parsed.empty())
    return invalid("want a non-empty array of {topic, partition, offset or timestamp}");
  // Into a subscribe spec, which checks the rest as subscribe does: types, ranges, duplicates,
  // the number of entries. Keys other than these are ignored (ids of other servers may have
  // more); an entry with both positions keeps the offset.
  json spec = json::array();
  for (const auto& entry : parsed) {
    if (!entry.is_object()) return invalid("every entry must be an object");
    json item = json::object();
    for (const char* key : {"topic", "partition", "offset", "timestamp"}) {
      if (auto it = entry.find(key); it != entry.end()) item[key] = *it;
    }
    if (item.contains("offset")) item.erase("timestamp");
    if (!item.contains("partition")) return invalid("an entry without partition");
    if (!item.contains("offset") && !item.contains("timestamp"))
      return invalid("an entry without offset or timestamp");
    spec.push_back(std::move(item));
  }
  auto requests = gateway::parse_subscribe_spec(spec, limits.subscribe);
  if (!requests) return invalid(requests.error().message);
  return std::move(*requests);
}

request_result parse_stream_request(std::string_view target, std::string_view prefix,
                                    const request_headers& headers, id_format default_ids,
                                    const request_limits& limits) {
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return refuse(request_errc::invalid_request, "InvalidRequestError", "malformed URL");
  stream_request out;
  out.ids = default_ids;
  out.ndjson = !contains_ci(headers.accept, "text/event-stream") &&
               contains_ci(headers.accept, "application/json");

  auto path = url->encoded_path();
  if (!path.starts_with(prefix))
    return refuse(request_errc::no_topic, "TopicNotAvailableError", "no topic in the path");
  std::string_view rest(path.data() + prefix.size(), path.size() - prefix.size());
  while (!rest.empty()) {
    auto comma = rest.find(',');
    auto piece = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    auto decoded = boost::urls::make_pct_string_view(piece);
    if (!decoded)
      return refuse(request_errc::invalid_request, "InvalidRequestError",
                    "malformed percent-encoding in the path");
    std::string topic = decoded->decode();
    if (!topic.empty()) out.topics.push_back(std::move(topic));
  }

  std::optional<std::string> since_text, filters_text;
  for (auto param : url->params()) {
    if (param.key == "since") {
      since_text = param.value;
    } else if (param.key == "filters") {
      filters_text = param.value;
    } else if (param.key == "ids") {
      if (param.value == "offset")
        out.ids = id_format::offset;
      else if (param.value == "timestamp")
        out.ids = id_format::timestamp;
      else
        return refuse(request_errc::invalid_request, "InvalidRequestError",
                      "ids must be offset or timestamp");
    }
  }

  if (filters_text) {
    json filters = json::parse(*filters_text, nullptr, /*allow_exceptions=*/false);
    if (filters.is_discarded())
      return request_error{request_errc::invalid_filter,
                           gateway::invalid_filter_error("filters is not JSON", *filters_text)};
    auto compiled = filter::compile_filters(filters, limits.filters);
    if (!compiled) {
      auto error = gateway::invalid_filter_error(compiled.error().message, std::move(filters));
      name_filter_limit(error, compiled.error().kind, limits.filters);
      return request_error{request_errc::invalid_filter, std::move(error)};
    }
    out.filters = std::move(*compiled);
  }

  if (headers.last_event_id && !headers.last_event_id->empty()) {
    auto positions = parse_last_event_id(*headers.last_event_id, limits);
    if (!positions) return positions.error();
    out.assignments = std::move(*positions);
    out.resumed = true;
    out.topics.clear();
    for (const auto& a : out.assignments) out.topics.push_back(a.topic);
  } else {
    if (since_text) {
      out.since = parse_since(*since_text);
      if (!out.since)
        return refuse(request_errc::invalid_timestamp, "InvalidTimestampError",
                      "since must be ms since the epoch or ISO 8601 with a zone");
    }
  }
  std::sort(out.topics.begin(), out.topics.end());
  out.topics.erase(std::unique(out.topics.begin(), out.topics.end()), out.topics.end());
  if (out.topics.empty())
    return refuse(request_errc::no_topic, "TopicNotAvailableError", "no topic in the path");
  if (out.topics.size() > limits.subscribe.max_items)
    return refuse(request_errc::invalid_assignment, "InvalidAssignmentError",
                  "too many topics (limit max-subscribe-items)");
  if (!out.resumed) {
    for (const auto& topic : out.topics) {
      gateway::assignment_request r;
      r.topic = topic;
      r.timestamp = out.since;
      out.assignments.push_back(std::move(r));
    }
  }
  return out;
}

}  // namespace kasocki::sse
