// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// A stand-in for massive_sim::Server in the console fuzzer: the real one (sim/src/server/, Beast,
// threads, a listening socket) is not linked; sim_server_stub.cpp defines every `Server` member
// the console calls on top of this `ServerState`, which records the calls. The console code
// itself (sim/src/console.cpp) is the real one.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <massive_sim/server.hpp>
#include <optional>
#include <string>
#include <vector>

namespace massive_sim {

struct ServerState {
  SimConfig config;
  std::vector<Fault> faults;
  std::size_t clear_faults_calls{0};
  std::optional<Rates> rates;
  std::optional<std::size_t> options_quote_limit;
  std::size_t go_down_calls{0};
  std::size_t go_up_calls{0};
  std::vector<std::chrono::nanoseconds> restarts;
  struct Injection {
    Action action;
    Target target;
  };
  std::vector<Injection> injections;
  std::vector<ConnectionInfo> connections;  // what `connections()` returns
  bool fail_go_up{false};                   // make `go_up` / `restart` report an error

  // Forgets the calls (keeps `connections` and `fail_go_up`).
  void reset_calls() {
    faults.clear();
    clear_faults_calls = 0;
    rates.reset();
    options_quote_limit.reset();
    go_down_calls = 0;
    go_up_calls = 0;
    restarts.clear();
    injections.clear();
  }
};

// The state of the server the last `Server::start` made (null before the first).
ServerState* stub_state_of_last_server() noexcept;

}  // namespace massive_sim
