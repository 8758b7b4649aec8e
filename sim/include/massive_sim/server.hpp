// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// `massive_sim::Server`: a WebSocket server on loopback that speaks Massive's protocol (see
/// sim/src/protocol.hpp for every status it sends), fed by a deterministic `Market`, with fault
/// injection and ground truth. It runs on its own threads (io threads and a generator thread), so
/// it behaves as an independent peer whatever the test does.

#include <chrono>
#include <cstdint>
#include <functional>
#include <massive_sim/config.hpp>
#include <massive_sim/counters.hpp>
#include <massive_sim/faults.hpp>
#include <massive_sim/market.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>
#include <ws_source/result.hpp>

namespace massive_sim {

/// One open connection as the server sees it.
struct ConnectionInfo {
  std::uint64_t id{0};  ///< increasing from 1 over the server's life, across restarts
  Cluster cluster{Cluster::Stocks};
  bool delayed{false};
  std::string peer;  ///< client address:port
  bool authenticated{false};
  std::vector<std::string> subscriptions;  ///< accepted channels (`T.AAPL`, `Q.O:…`, `T.*`), sorted
  std::uint64_t events_sent{0};
  std::uint64_t frames_sent{0};
  std::uint64_t bytes_sent{0};
  std::uint64_t queued_bytes{0};  ///< data bytes queued, not yet written
  bool stalled{false};
  std::chrono::nanoseconds age{0};
};

/// A client command as received; the `auth` key is recorded as `<redacted>`.
struct CommandRecord {
  std::uint64_t conn_id{0};
  Cluster cluster{Cluster::Stocks};
  std::string action;
  std::string params;
  std::chrono::nanoseconds at{0};  ///< since the server started
};

/// One event written on a connection (ground truth, with `SimConfig::record_sent`).
struct SentEvent {
  std::string symbol;
  std::uint64_t seq{0};
  friend bool operator==(const SentEvent&, const SentEvent&) = default;
};

struct ServerState;

/// A running simulator. Every member function is thread-safe. Destroying it shuts it down.
class Server {
 public:
  /// Validates `config`, builds the market, binds, and starts serving; returns once the port is
  /// listening. Errors: the invalid field, or "cannot listen on {addr}:{port}: {reason}".
  [[nodiscard]] static ws_source::Result<std::unique_ptr<Server>, std::string> start(SimConfig config);

  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// The listening port (the same across restarts).
  [[nodiscard]] std::uint16_t port() const noexcept;
  /// `ws://{bind}:{port}/{path}`, e.g. `url("options")`.
  [[nodiscard]] std::string url(std::string_view path) const;
  [[nodiscard]] const SimConfig& config() const noexcept;

  [[nodiscard]] CounterSnapshot counters() const noexcept;
  /// Polls the counters every 2 ms until `pred` holds (true) or `timeout` passes (false).
  bool wait_until(std::chrono::nanoseconds timeout, const std::function<bool(const CounterSnapshot&)>& pred) const;
  /// Open connections, by id.
  [[nodiscard]] std::vector<ConnectionInfo> connections() const;
  /// Every auth/subscribe/unsubscribe command received so far, in order.
  [[nodiscard]] std::vector<CommandRecord> command_log() const;
  /// What was written on connection `id` (open or closed), in order; empty without `record_sent`.
  [[nodiscard]] std::vector<SentEvent> sent(std::uint64_t id) const;

  /// Changes the offered load from the next generator step.
  void set_rates(const Rates& rates);
  /// Runs `f` on the live market under its lock (the oracle, say); the generator waits meanwhile,
  /// so keep it short. Oracle calls do not change the market's course.
  void with_market(const std::function<void(Market&)>& f);

  /// A fault policy for every connection accepted from now on (every auth, for RejectAuth).
  void add_fault(const Fault& fault);
  /// A fault policy for the next connection only (the next auth, for RejectAuth).
  void add_fault_once(const Fault& fault);
  void clear_faults();
  /// Applies `action` to the matching open connections now; returns how many were targeted.
  std::size_t inject(Action action, Target target);
  /// Lowers (or raises) the options-quote limit for subscriptions from now on; channels already
  /// subscribed stay.
  void set_options_quote_limit(std::size_t limit);

  /// Takes the whole server down: the listener closes and every connection drops without a close
  /// frame. Returns when all connections are gone (at most 2 s).
  void go_down();
  /// Listens again on the same port after `go_down` (retries for up to 2 s).
  ws_source::Result<void, std::string> go_up();
  /// `go_down`, `downtime` (connections refused), `go_up`; counted in `restarts`.
  ws_source::Result<void, std::string> restart(std::chrono::nanoseconds downtime = {});
  /// Stops everything and joins the server's threads. Idempotent.
  void shutdown();

 private:
  explicit Server(std::unique_ptr<ServerState> state);
  std::unique_ptr<ServerState> state_;
};

}  // namespace massive_sim
