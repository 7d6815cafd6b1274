// Structured logging: one JSON object per line on stderr ({"ts","level","msg",...fields}),
// filtered by a process-wide level. Message contents are never logged at info level.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

namespace kasocki::log {

enum class level { debug = 0, info = 1, warn = 2, error = 3, off = 4 };

// Parses "debug", "info", "warn"/"warning", "error", "off"; false when unknown.
bool parse_level(std::string_view text, level& out);
void set_level(level l);
bool enabled(level l);
void write(level l, std::string_view message, const nlohmann::ordered_json& fields = {});

inline void debug(std::string_view m, const nlohmann::ordered_json& f = {}) {
  write(level::debug, m, f);
}
inline void info(std::string_view m, const nlohmann::ordered_json& f = {}) {
  write(level::info, m, f);
}
inline void warn(std::string_view m, const nlohmann::ordered_json& f = {}) {
  write(level::warn, m, f);
}
inline void error(std::string_view m, const nlohmann::ordered_json& f = {}) {
  write(level::error, m, f);
}

}  // namespace kasocki::log
