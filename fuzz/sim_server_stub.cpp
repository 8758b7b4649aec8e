// Copyright (c) James Kassemi, SC, US. All rights reserved.
//
// The recording massive_sim::Server of the console fuzzer (see sim_server_stub.hpp): no socket,
// no thread; every member records its call in the ServerState and returns at once.

#include "sim_server_stub.hpp"

#include <memory>
#include <utility>

namespace massive_sim {
namespace {
ServerState* g_last_state = nullptr;
}  // namespace

ServerState* stub_state_of_last_server() noexcept { return g_last_state; }

ws_source::Result<std::unique_ptr<Server>, std::string> Server::start(SimConfig config) {
  auto state = std::make_unique<ServerState>();
  state->config = std::move(config);
  g_last_state = state.get();
  return std::unique_ptr<Server>(new Server(std::move(state)));
}

Server::Server(std::unique_ptr<ServerState> state) : state_(std::move(state)) {}

Server::~Server() {
  if (g_last_state == state_.get()) {
    g_last_state = nullptr;
  }
}

std::uint16_t Server::port() const noexcept { return 0; }
std::string Server::url(std::string_view path) const { return "ws://127.0.0.1:0/" + std::string(path); }
const SimConfig& Server::config() const noexcept { return state_->config; }

CounterSnapshot Server::counters() const noexcept {
  CounterSnapshot s;
  s.restarts = state_->restarts.size();
  s.open = {state_->connections.size(), 0};
  return s;
}

std::vector<ConnectionInfo> Server::connections() const { return state_->connections; }

void Server::set_rates(const Rates& rates) { state_->rates = rates; }
void Server::add_fault(const Fault& fault) { state_->faults.push_back(fault); }
void Server::add_fault_once(const Fault& fault) { state_->faults.push_back(fault); }
void Server::clear_faults() { ++state_->clear_faults_calls; }

std::size_t Server::inject(Action action, Target target) {
  state_->injections.push_back({action, target});
  std::size_t n = 0;
  for (const ConnectionInfo& c : state_->connections) {
    n += target.matches(c.id, c.cluster) ? 1 : 0;
  }
  return n;
}

void Server::set_options_quote_limit(std::size_t limit) { state_->options_quote_limit = limit; }
void Server::go_down() { ++state_->go_down_calls; }

ws_source::Result<void, std::string> Server::go_up() {
  ++state_->go_up_calls;
  if (state_->fail_go_up) {
    return ws_source::fail(std::string("cannot listen on 127.0.0.1:0: stub failure"));
  }
  return {};
}

ws_source::Result<void, std::string> Server::restart(std::chrono::nanoseconds downtime) {
  state_->restarts.push_back(downtime);
  if (state_->fail_go_up) {
    return ws_source::fail(std::string("cannot listen on 127.0.0.1:0: stub failure"));
  }
  return {};
}

void Server::shutdown() {}

}  // namespace massive_sim
