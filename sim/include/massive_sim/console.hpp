// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// The simulator's console: one command per line (stdin of `massive-sim`, or a test), each
/// answered with one or more lines of text.
///
///   <action> [ID|stocks|options|all]   close, reset, stall, unstall, slow, force, malformed, bad-event
///   restart [DOWNTIME]                 the whole server down, then up again (e.g. restart 5s)
///   down | up                          the whole server down / listening again
///   fault SPEC                         add a fault policy (e.g. fault close-after=5s)
///   clear-faults                       remove every fault policy
///   rate TOTAL                         offered load, events/s over the four feeds
///   limit N                            the options-quote limit for new subscriptions
///   stats                              every counter as JSON
///   conns                              the open connections
///   help                               this list
///   quit | exit                        stop the server

#include <massive_sim/server.hpp>
#include <string>
#include <string_view>

namespace massive_sim {

/// What a console line did.
struct ConsoleReply {
  std::string text;  ///< the answer, one or more lines (no trailing newline)
  bool ok{true};     ///< false: the line was not understood or the command failed
  bool quit{false};  ///< `quit` / `exit`
};

/// Runs one console line against `server`. Thread-safe (as `Server` is). Blank lines answer "".
[[nodiscard]] ConsoleReply run_console_command(Server& server, std::string_view line);

/// The console's help text.
[[nodiscard]] std::string_view console_help() noexcept;

}  // namespace massive_sim
