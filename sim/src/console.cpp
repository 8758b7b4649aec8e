// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include <cctype>
#include <charconv>
#include <massive_sim/console.hpp>
#include <string>

namespace massive_sim {
namespace {

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) s.remove_suffix(1);
  return s;
}

/// Splits off the first word.
std::pair<std::string_view, std::string_view> word(std::string_view s) noexcept {
  s = trim(s);
  const std::size_t sp = s.find_first_of(" \t");
  if (sp == std::string_view::npos) return {s, {}};
  return {s.substr(0, sp), trim(s.substr(sp))};
}

template <class T>
bool parse_number(std::string_view s, T& out) noexcept {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && end == s.data() + s.size();
}

ConsoleReply error(std::string text) { return {std::move(text), false, false}; }

std::string describe(const ConnectionInfo& c) {
  // Appends, not `a + b + …`: GCC 12 warns falsely (-Wrestrict) on long concatenation chains.
  std::string s = std::to_string(c.id);
  s += ' ';
  s += ws_source::path(c.cluster);
  if (c.delayed) s += " delayed";
  s += ' ';
  s += c.peer;
  s += c.authenticated ? " authenticated" : " unauthenticated";
  if (c.stalled) s += " stalled";
  s += " subs=";
  s += std::to_string(c.subscriptions.size());
  s += " events=";
  s += std::to_string(c.events_sent);
  s += " queued_bytes=";
  s += std::to_string(c.queued_bytes);
  return s;
}

}  // namespace

std::string_view console_help() noexcept {
  return "commands:\n"
         "  <action> [ID|stocks|options|all]  close, reset, stall, unstall, slow, force, malformed, bad-event\n"
         "  restart [DOWNTIME]                the whole server down, then up again (e.g. restart 5s)\n"
         "  down | up                         the whole server down / listening again\n"
         "  fault SPEC                        add a fault policy (e.g. fault close-after=5s)\n"
         "  clear-faults                      remove every fault policy\n"
         "  rate TOTAL                        offered load, events/s over the four feeds\n"
         "  limit N                           the options-quote limit for new subscriptions\n"
         "  stats                             every counter as JSON\n"
         "  conns                             the open connections\n"
         "  help                              this list\n"
         "  quit | exit                       stop the server";
}

ConsoleReply run_console_command(Server& server, std::string_view line) {
  const auto [cmd, rest] = word(line);
  if (cmd.empty()) return {};
  if (cmd == "quit" || cmd == "exit") return {"bye", true, true};
  if (cmd == "help") return {std::string(console_help()), true, false};
  if (cmd == "stats") return {server.counters().to_json(), true, false};
  if (cmd == "conns") {
    std::string out;
    for (const ConnectionInfo& c : server.connections()) {
      if (!out.empty()) out += '\n';
      out += describe(c);
    }
    return {out.empty() ? std::string("no open connection") : out, true, false};
  }
  if (cmd == "down") {
    server.go_down();
    return {"down", true, false};
  }
  if (cmd == "up") {
    auto r = server.go_up();
    return r ? ConsoleReply{"up", true, false} : error(r.error());
  }
  if (cmd == "restart") {
    std::chrono::nanoseconds downtime{0};
    if (!rest.empty()) {
      auto d = parse_duration(rest);
      if (!d) return error(d.error());
      downtime = *d;
    }
    auto r = server.restart(downtime);
    return r ? ConsoleReply{"restarted", true, false} : error(r.error());
  }
  if (cmd == "fault") {
    auto f = parse_fault(rest);
    if (!f) return error(f.error());
    server.add_fault(*f);
    return {"fault added: " + std::string(rest), true, false};
  }
  if (cmd == "clear-faults") {
    server.clear_faults();
    return {"faults cleared", true, false};
  }
  if (cmd == "rate") {
    double total = 0;
    if (!parse_number(rest, total) || !(total >= 0) || total > 1e9) {
      return error("rate needs a total in events/s, e.g. rate 100000");
    }
    server.set_rates(Rates::with_total(total));
    return {"rate " + std::string(rest) + " events/s", true, false};
  }
  if (cmd == "limit") {
    std::size_t n = 0;
    if (!parse_number(rest, n)) return error("limit needs a number of contracts, e.g. limit 500");
    server.set_options_quote_limit(n);
    return {"options-quote limit " + std::to_string(n), true, false};
  }
  auto action = parse_action(cmd);
  if (!action) return error(action.error() + " (try help)");
  Target target = Target::all();
  if (rest == "stocks") {
    target = Target::of(Cluster::Stocks);
  } else if (rest == "options") {
    target = Target::of(Cluster::Options);
  } else if (!rest.empty() && rest != "all") {
    std::uint64_t id = 0;
    if (!parse_number(rest, id)) return error("bad target: " + std::string(rest) + " (ID, stocks, options or all)");
    target = Target::connection(id);
  }
  const std::size_t n = server.inject(*action, target);
  return {std::string(name(*action)) + " -> " + std::to_string(n) + " connection(s)", true, false};
}

}  // namespace massive_sim
