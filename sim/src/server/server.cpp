// Copyright (c) James Kassemi, SC, US. All rights reserved.
//
// `Server`: start-up (market, replay frames, listener, io threads, generator thread), the accept
// loop, down/up/restart, and the thread-safe inspection and fault API.

#include <pthread.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <future>
#include <massive_sim/server.hpp>
#include <massive_sim/wire.hpp>
#include <thread>

#include "../text.hpp"
#include "state.hpp"

namespace massive_sim {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// ---- SimConfig ----------------------------------------------------------------------------------

SimConfig SimConfig::for_tests() {
  SimConfig c;
  c.auth_timeout = std::chrono::milliseconds(200);
  c.market = MarketConfig::small();
  c.record_sent = true;
  return c;
}

std::optional<std::string> SimConfig::validate() const {
  boost::system::error_code ec;
  (void)asio::ip::make_address(bind_address, ec);
  if (ec) return concat("`bind_address`: not an IP address: ", bind_address);
  if (api_keys.empty()) return std::string("`api_keys`: at least one key is needed");
  for (std::size_t i = 0; i < api_keys.size(); ++i) {
    if (api_keys[i].empty()) return concat("`api_keys[", std::to_string(i), "]`: is empty");
  }
  if (auth_timeout.count() <= 0) return std::string("`auth_timeout`: must be greater than 0");
  if (events_per_frame == 0) return std::string("`events_per_frame`: must be at least 1");
  if (send_buffer_bytes < 4096) return std::string("`send_buffer_bytes`: must be at least 4096");
  if (step < std::chrono::microseconds(100)) return std::string("`step`: must be at least 100 us");
  if (io_threads == 0 || io_threads > 64) return std::string("`io_threads`: must be within [1, 64]");
  if (replay && (replay->frames == 0 || replay->events_per_frame == 0)) {
    return std::string("`replay`: frames and events_per_frame must be at least 1");
  }
  return std::nullopt;
}

// ---- ServerState --------------------------------------------------------------------------------

std::vector<Fault> ServerState::take_timed_faults() {
  const std::lock_guard lock(policy_mutex);
  std::vector<Fault> out;
  for (PolicyRule& r : policy) {
    if (!r.fault.timed() || r.remaining == 0U) continue;
    if (r.remaining) --*r.remaining;
    out.push_back(r.fault);
  }
  std::erase_if(policy, [](const PolicyRule& r) { return r.remaining == 0U; });
  return out;
}

bool ServerState::take_reject_auth() {
  const std::lock_guard lock(policy_mutex);
  bool hit = false;
  for (PolicyRule& r : policy) {
    if (r.fault.kind != Fault::Kind::RejectAuth || r.remaining == 0U) continue;
    if (r.remaining) --*r.remaining;
    hit = true;
    break;
  }
  std::erase_if(policy, [](const PolicyRule& r) { return r.remaining == 0U; });
  return hit;
}

void ServerState::record_command(std::uint64_t id, Cluster cluster, std::string_view action, std::string_view params) {
  const std::lock_guard lock(log_mutex);
  log.push_back({id, cluster, std::string(action), std::string(params),
                 std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - started)});
}

namespace {

/// Encodes the replay frames from a copy of the market whose clock starts two minutes before
/// now, with the feed's rate set so the frames span one minute: every timestamp is in the past.
void encode_replay_frames(ServerState& st) {
  const ReplayConfig& r = *st.cfg.replay;
  MarketConfig mc = st.cfg.market;
  const auto wall_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  mc.start_unix_ms = wall_ms - 120'000;
  const double total = static_cast<double>(r.frames * r.events_per_frame);
  Rates rates = Rates::zero();
  switch (r.feed) {
    case Feed::OptionQuotes:
      rates.option_quotes = total / 60.0;
      break;
    case Feed::OptionTrades:
      rates.option_trades = total / 60.0;
      break;
    case Feed::StockQuotes:
      rates.stock_quotes = total / 60.0;
      break;
    case Feed::StockTrades:
      rates.stock_trades = total / 60.0;
      break;
  }
  mc.rates = rates;
  Market m(mc, st.cfg.seed);
  std::string frame;
  std::size_t n = 0;
  m.advance_with(std::chrono::seconds(61), Feeds::only(r.feed), [&](const Event& ev, std::string_view sym) {
    if (st.replay_frames.size() >= r.frames) return;
    frame += n == 0 ? '[' : ',';
    wire::write_event(frame, ev, sym);
    if (++n == r.events_per_frame) {
      frame += ']';
      st.replay_frames.push_back(std::move(frame));
      frame.clear();
      n = 0;
    }
  });
  st.replay_events_per_frame = static_cast<std::uint32_t>(r.events_per_frame);
}

void accept_loop(ServerState& st) {
  if (!st.acceptor || !st.acceptor->is_open()) return;
  st.acceptor->async_accept(asio::make_strand(st.ioc), [&st](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !st.acceptor || !st.acceptor->is_open()) return;
    if (!ec) {
      boost::system::error_code ignore;
      socket.set_option(tcp::no_delay(true), ignore);
      start_session(st, std::move(socket));
    }
    accept_loop(st);
  });
}

/// Opens the listener on `st.endpoint` (on the io thread); the error text, or empty.
std::string listen(ServerState& st) {
  boost::system::error_code ec;
  tcp::acceptor a(st.ioc);
  a.open(st.endpoint.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(st.endpoint, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return ec.message();
  st.endpoint = a.local_endpoint();
  st.acceptor.emplace(std::move(a));
  st.listening = true;
  accept_loop(st);
  return {};
}

/// Runs `f` on an io thread and waits for it.
template <class F>
auto on_io(ServerState& st, F&& f) {
  std::packaged_task<decltype(f())()> task(std::forward<F>(f));
  auto fut = task.get_future();
  asio::post(st.ioc, [&task] { task(); });
  return fut.get();
}

}  // namespace

// ---- Server -------------------------------------------------------------------------------------

Server::Server(std::unique_ptr<ServerState> state) : state_(std::move(state)) {}

Server::~Server() { shutdown(); }

ws_source::Result<std::unique_ptr<Server>, std::string> Server::start(SimConfig config) {
  if (auto bad = config.validate()) return ws_source::fail(concat("invalid massive-sim configuration: ", *bad));
  MarketConfig mc = config.market;
  if (!config.fixed_clock) {
    mc.start_unix_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
  }
  const std::uint64_t seed = config.seed;
  auto st = std::make_unique<ServerState>(std::move(config), Market(mc, seed));
  st->options_quote_limit.store(st->cfg.options_quote_limit);
  for (const Fault& f : st->cfg.faults) st->policy.push_back({f, std::nullopt});
  if (st->cfg.replay) encode_replay_frames(*st);
  st->endpoint = tcp::endpoint(asio::ip::make_address(st->cfg.bind_address), st->cfg.port);
  // Listen before the io threads run, so the port is known on return.
  if (std::string err = listen(*st); !err.empty()) {
    return ws_source::fail(
        concat("cannot listen on ", st->cfg.bind_address, ":", std::to_string(st->cfg.port), ": ", err));
  }
  for (std::size_t i = 0; i < st->cfg.io_threads; ++i) {
    st->io_threads.emplace_back([s = st.get()] {
      pthread_setname_np(pthread_self(), "massive-sim-io");
      auto guard = asio::make_work_guard(s->ioc);
      while (!s->stop.load()) {
        s->ioc.run();
        if (s->stop.load()) break;
        s->ioc.restart();
      }
    });
  }
  st->generator = std::thread([s = st.get()] {
    pthread_setname_np(pthread_self(), "massive-sim-gen");
    run_generator(*s);
  });
  return std::unique_ptr<Server>(new Server(std::move(st)));
}

std::uint16_t Server::port() const noexcept { return state_->endpoint.port(); }

std::string Server::url(std::string_view path) const {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  const auto addr = state_->endpoint.address();
  const std::string host = addr.is_v6() ? concat("[", addr.to_string(), "]") : addr.to_string();
  return concat("ws://", host, ":", std::to_string(port()), "/", path);
}

const SimConfig& Server::config() const noexcept { return state_->cfg; }

CounterSnapshot Server::counters() const noexcept { return state_->counters.snapshot(); }

bool Server::wait_until(std::chrono::nanoseconds timeout,
                        const std::function<bool(const CounterSnapshot&)>& pred) const {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (pred(counters())) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

std::vector<ConnectionInfo> Server::connections() const {
  std::vector<ConnectionInfo> v;
  const std::lock_guard lock(state_->registry_mutex);
  const auto now = Clock::now();
  for (const auto& [id, e] : state_->conns) {
    ConnectionInfo i;
    i.id = id;
    i.cluster = e.cluster;
    i.delayed = e.delayed;
    i.peer = e.peer;
    i.authenticated = e.authenticated;
    i.subscriptions.assign(e.subscriptions.begin(), e.subscriptions.end());
    i.events_sent = e.out->events_sent.load();
    i.frames_sent = e.out->frames_sent.load();
    i.bytes_sent = e.out->bytes_sent.load();
    i.queued_bytes = e.out->queued_bytes.load();
    i.stalled = e.out->stalled.load();
    i.age = std::chrono::duration_cast<std::chrono::nanoseconds>(now - e.connected_at);
    v.push_back(std::move(i));
  }
  return v;  // std::map: already by id
}

std::vector<CommandRecord> Server::command_log() const {
  const std::lock_guard lock(state_->log_mutex);
  return state_->log;
}

std::vector<SentEvent> Server::sent(std::uint64_t id) const {
  std::vector<SentRecord> records;
  {
    const std::lock_guard lock(state_->sent_mutex);
    if (auto it = state_->sent.find(id); it != state_->sent.end()) records = it->second;
  }
  std::vector<SentEvent> out;
  out.reserve(records.size());
  const std::lock_guard lock(state_->market_mutex);
  for (const auto& [instrument, seq] : records) out.push_back({std::string(state_->market.symbol(instrument)), seq});
  return out;
}

void Server::set_rates(const Rates& rates) {
  const std::lock_guard lock(state_->market_mutex);
  state_->market.set_rates(rates);
}

void Server::with_market(const std::function<void(Market&)>& f) {
  const std::lock_guard lock(state_->market_mutex);
  f(state_->market);
}

void Server::add_fault(const Fault& fault) {
  const std::lock_guard lock(state_->policy_mutex);
  state_->policy.push_back({fault, std::nullopt});
}

void Server::add_fault_once(const Fault& fault) {
  const std::lock_guard lock(state_->policy_mutex);
  state_->policy.push_back({fault, 1U});
}

void Server::clear_faults() {
  const std::lock_guard lock(state_->policy_mutex);
  state_->policy.clear();
}

std::size_t Server::inject(Action action, Target target) {
  std::vector<std::function<void(Control)>> hit;
  {
    const std::lock_guard lock(state_->registry_mutex);
    for (const auto& [id, e] : state_->conns) {
      if (target.matches(id, e.cluster)) hit.push_back(e.control);
    }
  }
  for (auto& c : hit) c(Control{Control::Kind::Act, action});
  return hit.size();
}

void Server::set_options_quote_limit(std::size_t limit) { state_->options_quote_limit.store(limit); }

void Server::go_down() {
  ServerState& st = *state_;
  const std::lock_guard life(st.lifecycle_mutex);
  if (st.listening) {
    on_io(st, [&st] {
      boost::system::error_code ec;
      if (st.acceptor) st.acceptor->close(ec);
      st.acceptor.reset();
      st.listening = false;
      return 0;
    });
  }
  std::vector<std::function<void(Control)>> all;
  {
    const std::lock_guard lock(st.registry_mutex);
    for (const auto& [id, e] : st.conns) all.push_back(e.control);
  }
  for (auto& c : all) c(Control{Control::Kind::Drop, Action::Close});
  const auto deadline = Clock::now() + std::chrono::seconds(2);
  while (Clock::now() < deadline) {
    {
      const std::lock_guard lock(st.registry_mutex);
      if (st.conns.empty()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

ws_source::Result<void, std::string> Server::go_up() {
  ServerState& st = *state_;
  const std::lock_guard life(st.lifecycle_mutex);
  if (st.stop.load()) return ws_source::fail(std::string("the server is shut down"));
  if (st.listening) return {};
  const auto deadline = Clock::now() + std::chrono::seconds(2);
  for (;;) {
    std::string err = on_io(st, [&st] { return listen(st); });
    if (err.empty()) return {};
    if (Clock::now() >= deadline) {
      return ws_source::fail(concat("cannot listen again on port ", std::to_string(st.endpoint.port()), ": ", err));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

ws_source::Result<void, std::string> Server::restart(std::chrono::nanoseconds downtime) {
  bump(state_->counters.restarts);
  go_down();
  if (downtime.count() > 0) std::this_thread::sleep_for(downtime);
  return go_up();
}

void Server::shutdown() {
  if (!state_ || state_->stop.load()) return;
  go_down();
  ServerState& st = *state_;
  st.stop.store(true);
  st.ioc.stop();
  for (auto& t : st.io_threads) t.join();
  st.io_threads.clear();
  if (st.generator.joinable()) st.generator.join();
}

}  // namespace massive_sim
