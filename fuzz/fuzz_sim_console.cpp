// Copyright (c) James Kassemi, SC, US. All rights reserved.
//
// fuzz_sim_console: massive-sim's command parsing on arbitrary text, one command per line:
// parse_duration, parse_fault, parse_action (sim/src/faults.cpp) on each line, and the real
// console line handler run_console_command (sim/src/console.cpp) against a recording stub Server
// (fuzz/sim_server_stub.cpp: the real Server needs sockets and threads, so it is not linked).
// Checks:
//  - parse_duration: a duration in [0, 3.2e8 s]; errors "bad duration: …" / "bad duration
//    unit: …"; `<d>` and `<d>s` agree;
//  - parse_fault: RejectAuth has no delay, a timed fault a delay as parse_duration gives it for
//    the text after '='; an error message is never empty;
//  - parse_action: name(action) parses back to the same action; Malformed and BadEvent have a
//    frame to send, the others none;
//  - run_console_command: a blank line answers "" (ok); a failure has a message; a line has at
//    most one effect on the server, and the reply says which: "fault added: SPEC" (and SPEC
//    parses to the recorded fault), "rate …" (a finite total in [0, 1e9]), "options-quote limit
//    N" (N recorded), "<action> -> n connection(s)" (the action recorded, n the matching
//    connections), "restarted" (a downtime within parse_duration's range); quit only for
//    quit/exit; a refused line has no effect.

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <massive_sim/console.hpp>
#include <massive_sim/faults.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "sim_server_stub.hpp"

namespace {

using namespace massive_sim;

constexpr std::chrono::nanoseconds kMaxDuration{320'000'000LL * 1'000'000'000LL};

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

void check_duration(std::string_view line) {
  const auto d = parse_duration(line);
  if (d) {
    FUZZ_CHECK(d->count() >= 0 && *d <= kMaxDuration, line);
    return;
  }
  FUZZ_CHECK(starts_with(d.error(), "bad duration: ") || starts_with(d.error(), "bad duration unit: "), line);
}

// A bare number means seconds: `<d>s` must agree whenever `<d>` parses.
void check_seconds_suffix(std::string_view line) {
  const auto bare = parse_duration(line);
  if (!bare || line.empty()) {
    return;
  }
  const char last = line.back();
  if ((last >= '0' && last <= '9') || last == '.') {
    const auto with_s = parse_duration(std::string(line) + "s");
    FUZZ_CHECK(with_s && *with_s == *bare, line);
  }
}

void check_fault(std::string_view line) {
  const auto f = parse_fault(line);
  if (!f) {
    FUZZ_CHECK(!f.error().empty(), line);
    return;
  }
  if (!f->timed()) {
    FUZZ_CHECK(f->kind == Fault::Kind::RejectAuth && f->after.count() == 0, line);
    return;
  }
  const std::size_t eq = line.find('=');
  FUZZ_CHECK(eq != std::string_view::npos, line);
  const auto d = parse_duration(line.substr(eq + 1));
  FUZZ_CHECK(d && *d == f->after, line);
  const auto a = parse_action(name(f->action()));
  FUZZ_CHECK(a && *a == f->action() && f->action() != Action::Unstall, line);
}

void check_action(std::string_view line) {
  const auto a = parse_action(line);
  if (!a) {
    FUZZ_CHECK(starts_with(a.error(), "unknown action: "), line);
    return;
  }
  const auto back = parse_action(name(*a));
  FUZZ_CHECK(back && *back == *a, line);
  const bool has_frame = *a == Action::Malformed || *a == Action::BadEvent;
  FUZZ_CHECK(malformed_frame(*a).empty() != has_frame, line);
}

bool blank(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\v' && c != '\f') {
      return false;
    }
  }
  return true;
}

void check_console(Server& server, ServerState& st, std::string_view line) {
  st.reset_calls();
  const ConsoleReply r = run_console_command(server, line);
  const std::string ctx = std::string(line) + " -> [" + (r.ok ? "ok" : "error") + "] " + r.text;
  if (blank(line)) {
    FUZZ_CHECK(r.ok && r.text.empty() && !r.quit, ctx);
  }
  FUZZ_CHECK(r.ok || !r.text.empty(), ctx);
  FUZZ_CHECK(!r.quit || (r.ok && r.text == "bye"), ctx);
  const std::size_t effects = st.faults.size() + (st.rates ? 1 : 0) + (st.options_quote_limit ? 1 : 0) +
                              st.injections.size() + st.restarts.size() + st.go_down_calls + st.go_up_calls +
                              st.clear_faults_calls;
  FUZZ_CHECK(effects <= 1, ctx);
  if (!r.ok) {
    // Only an attempt to listen again may have failed after its call.
    FUZZ_CHECK(effects == st.restarts.size() + st.go_up_calls, ctx);
  }
  if (!st.faults.empty()) {
    FUZZ_CHECK(starts_with(r.text, "fault added: "), ctx);
    const auto f = parse_fault(std::string_view(r.text).substr(13));
    FUZZ_CHECK(f && *f == st.faults.front(), ctx);
  }
  if (st.rates) {
    const double total = st.rates->total();
    FUZZ_CHECK(r.ok && starts_with(r.text, "rate ") && std::isfinite(total) && total >= 0 && total <= 1e9 * 1.000001,
               ctx);
  }
  if (st.options_quote_limit) {
    FUZZ_CHECK(r.ok && r.text == "options-quote limit " + std::to_string(*st.options_quote_limit), ctx);
  }
  if (!st.injections.empty()) {
    const auto& inj = st.injections.front();
    std::size_t matching = 0;
    for (const ConnectionInfo& c : st.connections) {
      matching += inj.target.matches(c.id, c.cluster) ? 1 : 0;
    }
    FUZZ_CHECK(r.ok && r.text == std::string(name(inj.action)) + " -> " + std::to_string(matching) + " connection(s)",
               ctx);
  }
  if (!st.restarts.empty()) {
    const auto d = st.restarts.front();
    FUZZ_CHECK(d.count() >= 0 && d <= kMaxDuration, ctx);
    FUZZ_CHECK(r.ok == (r.text == "restarted") && r.ok != st.fail_go_up, ctx);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static std::unique_ptr<Server> server = [] {
    auto s = Server::start(SimConfig{});
    return s ? std::move(*s) : nullptr;
  }();
  ServerState* st = stub_state_of_last_server();
  FUZZ_CHECK(server && st, "stub server");
  if (st->connections.empty()) {
    ConnectionInfo a;
    a.id = 1;
    a.cluster = Cluster::Stocks;
    a.peer = "127.0.0.1:50001";
    a.authenticated = true;
    a.subscriptions = {"T.*", "Q.AAPL"};
    ConnectionInfo b;
    b.id = 7;
    b.cluster = Cluster::Options;
    b.peer = "127.0.0.1:50002";
    b.stalled = true;
    st->connections = {a, b};
  }
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  st->fail_go_up = size > 0 && (data[0] & 1) != 0;
  std::size_t lines = 0;
  for (std::size_t pos = 0; pos <= input.size() && lines < 64; ++lines) {
    const std::size_t nl = input.find('\n', pos);
    const std::string_view line = input.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    check_duration(line);
    check_seconds_suffix(line);
    check_fault(line);
    check_action(line);
    check_console(*server, *st, line);
    if (nl == std::string_view::npos) {
      break;
    }
    pos = nl + 1;
  }
  return 0;
}
