// See log.hpp.
#include "libkasocki/common/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace kasocki::log {

namespace {
std::atomic<level> current{level::info};
constexpr const char* names[] = {"debug", "info", "warn", "error", "off"};
}  // namespace

bool parse_level(std::string_view text, level& out) {
  if (text == "debug")
    out = level::debug;
  else if (text == "info")
    out = level::info;
  else if (text == "warn" || text == "warning")
    out = level::warn;
  else if (text == "error")
    out = level::error;
  else if (text == "off")
    out = level::off;
  else
    return false;
  return true;
}

void set_level(level l) {
  current = l;
}
bool enabled(level l) {
  return l >= current.load() && l != level::off;
}

void write(level l, std::string_view message, const nlohmann::ordered_json& fields) {
  if (!enabled(l)) return;
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  nlohmann::ordered_json line;
  line["ts"] = ms;
  line["level"] = names[static_cast<int>(l)];
  line["msg"] = message;
  if (fields.is_object())
    for (const auto& [k, v] : fields.items()) line[k] = v;
  auto text = line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  text += '\n';
  std::fwrite(text.data(), 1, text.size(), stderr);
}

}  // namespace kasocki::log
