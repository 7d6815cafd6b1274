// See request_args.hpp.
#include "client/request_args.hpp"

#include <charconv>

namespace kasocki::client {
namespace {

template <typename T>
std::optional<T> to_int(std::string_view s) {
  T value{};
  if (s.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return value;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool leap(std::int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

// Reads exactly `n` digits at s[pos].
std::optional<int> digits(std::string_view s, std::size_t& pos, std::size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  auto v = to_int<int>(s.substr(pos, n));
  if (!v || s[pos] == '-' || s[pos] == '+') return std::nullopt;
  pos += n;
  return v;
}

bool expect(std::string_view s, std::size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

}  // namespace

std::string_view describe(args_errc kind) noexcept {
  switch (kind) {
    case args_errc::not_an_assignment:
      return "not TOPIC:PARTITION:OFFSET";
    case args_errc::empty_topic:
      return "the topic is empty";
    case args_errc::bad_partition:
      return "the partition is not a non-negative integer";
    case args_errc::bad_offset:
      return "the offset is not an integer";
    case args_errc::before_epoch:
      return "negative milliseconds: before the epoch";
    case args_errc::bad_date:
      return "not a date YYYY-MM-DD (or no such day)";
    case args_errc::bad_time:
      return "not a time HH:MM[:SS[.fff]] after the T";
    case args_errc::no_zone:
      return "a time needs its zone: Z or an offset like +01:00";
    case args_errc::bad_zone:
      return "not a zone: Z or an offset like +01:00";
    case args_errc::not_a_filter:
      return "not PATH=VALUE";
    case args_errc::empty_path:
      return "the path before '=' is empty";
  }
  return "invalid value";
}

args_result<json> parse_assign(std::string_view text) {
  auto last = text.rfind(':');
  if (last == std::string_view::npos || last == 0) return args_errc::not_an_assignment;
  auto middle = text.rfind(':', last - 1);
  if (middle == std::string_view::npos) return args_errc::not_an_assignment;
  if (middle == 0) return args_errc::empty_topic;
  auto partition = to_int<std::int32_t>(text.substr(middle + 1, last - middle - 1));
  if (!partition || *partition < 0) return args_errc::bad_partition;
  auto offset = to_int<std::int64_t>(text.substr(last + 1));
  if (!offset) return args_errc::bad_offset;
  json item = json::object();
  item["topic"] = std::string(text.substr(0, middle));
  item["partition"] = *partition;
  item["offset"] = *offset;
  return item;
}

args_result<std::int64_t> parse_since(std::string_view text) {
  if (auto ms = to_int<std::int64_t>(text)) {
    if (*ms < 0) return args_errc::before_epoch;
    return *ms;
  }
  std::size_t pos = 0;
  auto year = digits(text, pos, 4);
  if (!year || !expect(text, pos, '-')) return args_errc::bad_date;
  auto month = digits(text, pos, 2);
  if (!month || !expect(text, pos, '-')) return args_errc::bad_date;
  auto day = digits(text, pos, 2);
  if (!day || *month < 1 || *month > 12 || *day < 1) return args_errc::bad_date;
  static constexpr int month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int max_day = month_days[*month - 1] + (*month == 2 && leap(*year) ? 1 : 0);
  if (*day > max_day) return args_errc::bad_date;
  std::int64_t ms =
      days_from_civil(*year, static_cast<unsigned>(*month), static_cast<unsigned>(*day)) *
      86'400'000;
  if (pos == text.size()) return ms;
  if (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ') return args_errc::bad_date;
  ++pos;
  auto hour = digits(text, pos, 2);
  if (!hour || !expect(text, pos, ':')) return args_errc::bad_time;
  auto minute = digits(text, pos, 2);
  if (!minute) return args_errc::bad_time;
  int second = 0, millis = 0;
  if (pos < text.size() && text[pos] == ':') {
    ++pos;
    auto s = digits(text, pos, 2);
    if (!s) return args_errc::bad_time;
    second = *s;
    if (pos < text.size() && text[pos] == '.') {
      ++pos;
      std::size_t start = pos;
      int scale = 100;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        millis += (text[pos] - '0') * scale;  // digits past milliseconds are dropped
        scale /= 10;
        ++pos;
      }
      if (pos == start) return args_errc::bad_time;
    }
  }
  if (*hour > 23 || *minute > 59 || second > 60) return args_errc::bad_time;
  ms += ((*hour * 60 + *minute) * 60 + second) * 1000LL + millis;
  if (pos == text.size()) return args_errc::no_zone;  // a time without a zone is ambiguous
  if (text[pos] == 'Z' || text[pos] == 'z') {
    if (pos + 1 != text.size()) return args_errc::bad_zone;
    return ms;
  }
  if (text[pos] != '+' && text[pos] != '-') return args_errc::bad_zone;
  int sign = text[pos] == '+' ? 1 : -1;
  ++pos;
  auto oh = digits(text, pos, 2);
  if (!oh) return args_errc::bad_zone;
  if (pos < text.size() && text[pos] == ':') ++pos;
  auto om = digits(text, pos, 2);
  if (!om || pos != text.size() || *oh > 23 || *om > 59) return args_errc::bad_zone;
  return ms - sign * (*oh * 60 + *om) * 60'000LL;
}

args_result<std::pair<std::string, json>> parse_filter(std::string_view text) {
  auto eq = text.find('=');
  if (eq == std::string_view::npos) return args_errc::not_a_filter;
  if (eq == 0) return args_errc::empty_path;
  std::string_view value = text.substr(eq + 1);
  json parsed = json::parse(value, nullptr, false);
  if (parsed.is_discarded()) parsed = std::string(value);
  return std::pair{std::string(text.substr(0, eq)), std::move(parsed)};
}

json build_subscription(const std::vector<std::string>& topics, const std::vector<json>& assigns,
                        std::optional<std::int64_t> since) {
  json spec = json::array();
  for (const auto& topic : topics) {
    if (since) {
      json item = json::object();
      item["topic"] = topic;
      item["timestamp"] = *since;
      spec.push_back(std::move(item));
    } else {
      spec.push_back(topic);
    }
  }
  for (const auto& item : assigns) spec.push_back(item);
  return spec;
}

json build_filters(const std::vector<std::pair<std::string, json>>& filters) {
  if (filters.empty()) return nullptr;
  json out = json::object();
  for (const auto& [path, value] : filters) out[path] = value;
  return out;
}

}  // namespace kasocki::client
