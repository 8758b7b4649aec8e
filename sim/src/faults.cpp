// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <massive_sim/faults.hpp>
#include <utility>

namespace massive_sim {
namespace {

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) s.remove_suffix(1);
  return s;
}

constexpr std::array<std::pair<std::string_view, Fault::Kind>, 7> kTimedFaults{{
    {"close-after", Fault::Kind::CloseAfter},
    {"reset-after", Fault::Kind::ResetAfter},
    {"stall-after", Fault::Kind::StallAfter},
    {"force-disconnect-after", Fault::Kind::ForceDisconnectAfter},
    {"slow-consumer-after", Fault::Kind::SlowConsumerAfter},
    {"malformed-after", Fault::Kind::MalformedAfter},
    {"bad-event-after", Fault::Kind::BadEventAfter},
}};

}  // namespace

std::string_view name(Action a) noexcept {
  switch (a) {
    case Action::Close:
      return "close";
    case Action::Reset:
      return "reset";
    case Action::Stall:
      return "stall";
    case Action::Unstall:
      return "unstall";
    case Action::SlowConsumer:
      return "slow-consumer";
    case Action::ForceDisconnect:
      return "force-disconnect";
    case Action::Malformed:
      return "malformed";
    case Action::BadEvent:
      return "bad-event";
  }
  return "?";
}

std::string_view malformed_frame(Action a) noexcept {
  switch (a) {
    case Action::Malformed:
      return R"([{"ev":"T","sym":"AAPL","p":1)";
    case Action::BadEvent:
      return R"([{"ev":"T","sym":"AAPL","x":4,"p":-1.5,"s":"ten","t":1700000000}])";
    default:
      return {};
  }
}

Action Fault::action() const noexcept {
  switch (kind) {
    case Kind::CloseAfter:
      return Action::Close;
    case Kind::ResetAfter:
      return Action::Reset;
    case Kind::StallAfter:
      return Action::Stall;
    case Kind::ForceDisconnectAfter:
      return Action::ForceDisconnect;
    case Kind::SlowConsumerAfter:
      return Action::SlowConsumer;
    case Kind::MalformedAfter:
      return Action::Malformed;
    case Kind::BadEventAfter:
      return Action::BadEvent;
    case Kind::RejectAuth:
      return Action::Close;
  }
  return Action::Close;
}

ws_source::Result<std::chrono::nanoseconds, std::string> parse_duration(std::string_view text) {
  const std::string_view s = trim(text);
  std::size_t split = 0;
  while (split < s.size() && std::isalpha(static_cast<unsigned char>(s[split])) == 0) ++split;
  const std::string_view num = trim(s.substr(0, split));
  const std::string_view unit = split < s.size() ? s.substr(split) : std::string_view{"s"};
  double v = 0;
  const auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
  if (num.empty() || ec != std::errc{} || end != num.data() + num.size()) {
    return ws_source::fail("bad duration: " + std::string(s));
  }
  double secs = 0;
  if (unit == "ms") {
    secs = v / 1000.0;
  } else if (unit == "s") {
    secs = v;
  } else if (unit == "m" || unit == "min") {
    secs = v * 60.0;
  } else if (unit == "h") {
    secs = v * 3600.0;
  } else {
    return ws_source::fail("bad duration unit: " + std::string(s));
  }
  // At most ~10 years: longer means "never" and must not overflow a time point.
  if (!std::isfinite(secs) || secs < 0.0 || secs > 3.2e8) return ws_source::fail("bad duration: " + std::string(s));
  return std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(secs * 1e9)));
}

ws_source::Result<Fault, std::string> parse_fault(std::string_view text) {
  const std::string_view s = trim(text);
  const std::size_t eq = s.find('=');
  const std::string_view name = trim(s.substr(0, eq));
  if (name == "reject-auth" && eq == std::string_view::npos) return Fault{Fault::Kind::RejectAuth, {}};
  for (const auto& [word, kind] : kTimedFaults) {
    if (name != word) continue;
    if (eq == std::string_view::npos) {
      return ws_source::fail(std::string(word) + " needs a duration, e.g. " + std::string(word) + "=5s");
    }
    auto d = parse_duration(s.substr(eq + 1));
    if (!d) return ws_source::fail(std::move(d).error());
    return Fault{kind, *d};
  }
  return ws_source::fail("unknown fault: " + std::string(s));
}

ws_source::Result<Action, std::string> parse_action(std::string_view text) {
  const std::string_view s = trim(text);
  if (s == "close") return Action::Close;
  if (s == "reset") return Action::Reset;
  if (s == "stall") return Action::Stall;
  if (s == "unstall") return Action::Unstall;
  if (s == "slow" || s == "slow-consumer") return Action::SlowConsumer;
  if (s == "force" || s == "force-disconnect") return Action::ForceDisconnect;
  if (s == "malformed") return Action::Malformed;
  if (s == "bad-event") return Action::BadEvent;
  return ws_source::fail("unknown action: " + std::string(s));
}

}  // namespace massive_sim
