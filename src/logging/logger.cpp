// Copyright (c) James Kassemi, SC, US. All rights reserved.
// The `ws_source` logger: one process-wide slot behind a mutex (lines are rare: never per event),
// the registered keys that every line is scrubbed of, and log_line.
#include <spdlog/logger.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <algorithm>
#include <array>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "ws_source/logging.hpp"

namespace ws_source {
namespace {

// LogLevel lists spdlog's levels in spdlog's order: the conversions are casts.
constexpr std::array<std::pair<LogLevel, spdlog::level::level_enum>, 7> kLevels{{
    {LogLevel::Trace, spdlog::level::trace},
    {LogLevel::Debug, spdlog::level::debug},
    {LogLevel::Info, spdlog::level::info},
    {LogLevel::Warn, spdlog::level::warn},
    {LogLevel::Error, spdlog::level::err},
    {LogLevel::Critical, spdlog::level::critical},
    {LogLevel::Off, spdlog::level::off},
}};
static_assert(std::all_of(kLevels.begin(), kLevels.end(),
                          [](const auto& p) { return static_cast<int>(p.first) == static_cast<int>(p.second); }));

spdlog::level::level_enum to_spdlog(LogLevel l) { return static_cast<spdlog::level::level_enum>(l); }

LogLevel from_spdlog(spdlog::level::level_enum l) {
  return l >= spdlog::level::trace && l <= spdlog::level::off ? static_cast<LogLevel>(l) : LogLevel::Off;
}

std::shared_ptr<spdlog::logger> make_default() {
  auto l = std::make_shared<spdlog::logger>(std::string(kLoggerName),
                                            std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  l->set_level(spdlog::level::info);
  return l;
}

std::shared_ptr<spdlog::logger> make_silent() {
  auto l = std::make_shared<spdlog::logger>(std::string(kLoggerName));  // no sinks
  l->set_level(spdlog::level::off);
  return l;
}

struct State {
  std::mutex mutex;
  std::shared_ptr<spdlog::logger> logger;  // made on first use
  std::vector<ApiKey> secrets;

  std::shared_ptr<spdlog::logger> current() {
    const std::lock_guard lock(mutex);
    if (!logger) logger = make_default();
    return logger;
  }
};

State& state() {
  static State s;
  return s;
}

// `line` with every registered key replaced by the redaction.
std::string scrub(std::string_view line) {
  std::string out(line);
  State& s = state();
  const std::lock_guard lock(s.mutex);
  for (const ApiKey& k : s.secrets) {
    const std::string_view v = k.expose();
    for (std::size_t at = out.find(v); at != std::string::npos; at = out.find(v, at + ApiKey::kRedacted.size())) {
      out.replace(at, v.size(), ApiKey::kRedacted);
    }
  }
  return out;
}

}  // namespace

std::string_view to_string(LogLevel level) noexcept {
  constexpr std::array<std::string_view, 7> kNames{"trace", "debug", "info", "warn", "error", "critical", "off"};
  const auto i = static_cast<std::size_t>(level);
  return i < kNames.size() ? kNames[i] : "off";
}

std::shared_ptr<spdlog::logger> logger() { return state().current(); }

void set_logger(std::shared_ptr<spdlog::logger> l) {
  if (!l) l = make_silent();
  State& s = state();
  const std::lock_guard lock(s.mutex);
  s.logger.swap(l);
}  // the old logger is released here, after the lock

void reset_logger() { set_logger(make_default()); }

void set_log_level(LogLevel level) { logger()->set_level(to_spdlog(level)); }

LogLevel log_level() { return from_spdlog(logger()->level()); }

bool log_enabled(LogLevel level) { return level != LogLevel::Off && logger()->should_log(to_spdlog(level)); }

void log_line(LogLevel level, std::string_view line) noexcept {
  if (level == LogLevel::Off) return;
  try {
    const auto l = logger();
    const auto lvl = to_spdlog(level);
    if (!l->should_log(lvl)) return;
    const std::string text = scrub(line);
    l->log(lvl, spdlog::string_view_t(text.data(), text.size()));
  } catch (...) {  // NOLINT(bugprone-empty-catch): out of memory or a throwing sink: the line is lost
  }
}

void add_log_redaction(const ApiKey& key) {
  if (key.is_blank()) return;
  State& s = state();
  const std::lock_guard lock(s.mutex);
  for (const ApiKey& k : s.secrets) {
    if (k == key) return;
  }
  s.secrets.push_back(key);
}

void clear_log_redactions() {
  State& s = state();
  const std::lock_guard lock(s.mutex);
  s.secrets.clear();  // ~ApiKey wipes each copy
}

}  // namespace ws_source
