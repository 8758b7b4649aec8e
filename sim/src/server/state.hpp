// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// The server's shared state: what the io threads (sessions, acceptor), the generator thread and
// the `Server` API share, each part under its own mutex or atomic.

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <massive_sim/config.hpp>
#include <massive_sim/counters.hpp>
#include <massive_sim/market.hpp>
#include <massive_sim/server.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "../protocol.hpp"

namespace massive_sim {

/// (instrument, q) of one event written: the ground-truth record.
using SentRecord = std::pair<InstrumentId, std::uint64_t>;

/// A frame queued for one connection's writer.
struct OutFrame {
  enum class Kind : std::uint8_t { Data, Status, Close };
  Kind kind{Kind::Data};
  std::string text;
  std::uint32_t events{0};          ///< data frames
  std::vector<SentRecord> records;  ///< data frames, with record_sent
  std::uint16_t close_code{1000};   ///< Close
};

/// What the generator (producer) and one session's writer (consumer) share. The generator never
/// blocks on it: the queue is unbounded in frames but bounded in bytes by `send_buffer_bytes`,
/// past which the generator marks it overflowed and calls `kill`.
struct Outbound {
  std::mutex mutex;
  std::deque<OutFrame> queue;
  std::atomic<std::size_t> queued_bytes{0};
  std::atomic<bool> stalled{false};
  std::atomic<bool> closed{false};
  std::atomic<bool> overflow{false};
  std::atomic<bool> wake_pending{false};
  std::atomic<std::uint64_t> events_sent{0};
  std::atomic<std::uint64_t> frames_sent{0};
  std::atomic<std::uint64_t> bytes_sent{0};
  std::function<void()> wake;  ///< set before the generator sees it; posts to the session's strand
  std::function<void()> kill;  ///< slow consumer: posts to the session's strand

  /// Queues a frame and wakes the writer (at most one wake-up in flight).
  void push(OutFrame frame) {
    {
      const std::lock_guard lock(mutex);
      queue.push_back(std::move(frame));
    }
    if (!wake_pending.exchange(true)) wake();
  }
};

/// A control message for a session, delivered on its strand.
struct Control {
  enum class Kind : std::uint8_t { Evict, Act, Drop };  ///< Drop: server going down, no close frame
  Kind kind{Kind::Act};
  Action action{Action::Close};
};

struct ConnEntry {
  Cluster cluster{Cluster::Stocks};
  bool delayed{false};
  std::string peer;
  bool authenticated{false};
  std::string key;
  std::set<std::string, std::less<>> subscriptions;
  std::chrono::steady_clock::time_point connected_at;
  std::shared_ptr<Outbound> out;
  std::function<void(Control)> control;
};

/// A subscription change or registration, for the generator (drained once per step).
struct GenCommand {
  enum class Op : std::uint8_t { Register, Subscribe, Unsubscribe, Unregister };
  Op op{Op::Register};
  std::uint64_t id{0};
  Cluster cluster{Cluster::Stocks};
  bool delayed{false};
  std::shared_ptr<Outbound> out;
  std::vector<std::pair<protocol::ChannelKind, std::string>> channels;
};

struct PolicyRule {
  Fault fault;
  std::optional<std::uint32_t> remaining;  ///< nullopt: forever
};

struct ServerState {
  explicit ServerState(SimConfig c, Market m) : cfg(std::move(c)), market(std::move(m)) {}

  SimConfig cfg;
  Counters counters;
  std::chrono::steady_clock::time_point started{std::chrono::steady_clock::now()};
  std::atomic<std::uint64_t> next_id{1};
  std::atomic<std::size_t> options_quote_limit{1000};
  std::atomic<bool> stop{false};

  mutable std::mutex registry_mutex;
  std::map<std::uint64_t, ConnEntry> conns;
  std::map<std::pair<Cluster, std::string>, std::uint64_t> current;    ///< newest authenticated conn per slot
  std::map<std::pair<Cluster, std::string>, std::uint64_t> open_auth;  ///< authenticated conns open per slot

  std::mutex policy_mutex;
  std::vector<PolicyRule> policy;

  std::mutex market_mutex;
  Market market;

  std::mutex gen_mutex;
  std::vector<GenCommand> gen_commands;

  mutable std::mutex log_mutex;
  std::vector<CommandRecord> log;

  mutable std::mutex sent_mutex;
  std::unordered_map<std::uint64_t, std::vector<SentRecord>> sent;

  // Replay mode: the pre-encoded frames (immutable after start).
  std::vector<std::string> replay_frames;
  std::uint32_t replay_events_per_frame{0};

  // Declared after everything the sessions touch, so it is destroyed first.
  boost::asio::io_context ioc;
  std::optional<boost::asio::ip::tcp::acceptor> acceptor;  ///< touched on the io threads only
  boost::asio::ip::tcp::endpoint endpoint;
  std::mutex lifecycle_mutex;  ///< serialises go_down / go_up / shutdown
  bool listening{false};
  std::vector<std::thread> io_threads;
  std::thread generator;

  void gen_send(GenCommand cmd) {
    const std::lock_guard lock(gen_mutex);
    gen_commands.push_back(std::move(cmd));
  }

  /// Timed faults for a new connection (consumes one-shot rules).
  std::vector<Fault> take_timed_faults();
  /// Whether this authentication is to be rejected by a RejectAuth rule (consumes one-shot rules).
  bool take_reject_auth();
  void record_command(std::uint64_t id, Cluster cluster, std::string_view action, std::string_view params);
};

/// Raises `a` to at least `v`.
inline void fetch_max(std::atomic<std::uint64_t>& a, std::uint64_t v) noexcept {
  std::uint64_t cur = a.load(std::memory_order_relaxed);
  while (cur < v && !a.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

/// Starts serving an accepted socket (session.cpp; the only Beast translation unit with
/// generator.cpp kept free of it).
void start_session(ServerState& state, boost::asio::ip::tcp::socket socket);

/// The generator thread's body (generator.cpp): runs until `state.stop`.
void run_generator(ServerState& state);

}  // namespace massive_sim
