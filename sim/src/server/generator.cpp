// Copyright (c) James Kassemi, SC, US. All rights reserved.
//
// The generator thread: advances the market in real time, encodes each event once (per variant:
// real time, delayed) and appends it to the frame of every connection subscribed to it. It never
// blocks on a connection: a full frame is queued on the connection's `Outbound`, whose bytes are
// bounded by `send_buffer_bytes`; past the bound the connection is told to close as a slow
// consumer. Per-connection flags are read once per frame, subscription changes once per step.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <massive_sim/wire.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "state.hpp"

namespace massive_sim {
namespace {

using Clock = std::chrono::steady_clock;
using protocol::ChannelKind;

constexpr std::int64_t kDelayMs = 15 * 60 * 1000;
/// A suspended or starved process skips ahead instead of sending one huge burst.
constexpr std::chrono::milliseconds kMaxCatchUp{250};

/// A set of instrument ids (bit per id), with its population count.
class Bits {
 public:
  [[nodiscard]] bool get(std::uint32_t i) const noexcept {
    const std::size_t w = i / 64;
    return w < words_.size() && (words_[w] >> (i % 64) & 1U) != 0;
  }
  void set(std::uint32_t i, bool on) {
    const std::size_t w = i / 64;
    if (w >= words_.size()) {
      if (!on) return;
      words_.resize(w + 1, 0);
    }
    const std::uint64_t mask = std::uint64_t{1} << (i % 64);
    const bool was = (words_[w] & mask) != 0;
    if (on && !was) {
      words_[w] |= mask;
      ++count_;
    } else if (!on && was) {
      words_[w] &= ~mask;
      --count_;
    }
  }
  [[nodiscard]] std::size_t count() const noexcept { return count_; }

 private:
  std::vector<std::uint64_t> words_;
  std::size_t count_{0};
};

struct GenConn {
  std::uint64_t id{0};
  Cluster cluster{Cluster::Stocks};
  bool delayed{false};
  std::shared_ptr<Outbound> out;
  bool all_trades{false};
  bool all_quotes{false};
  Bits trades;
  Bits quotes;
  std::string frame;
  std::uint32_t n{0};
  std::vector<SentRecord> records;
  /// Subscribed symbols not (yet) listed: resolved again when the market lists new contracts.
  std::vector<std::pair<ChannelKind, std::string>> pending;
  bool dead{false};

  [[nodiscard]] bool wants(const Event& ev) const noexcept {
    return is_trade(ev.feed) ? all_trades || trades.get(ev.instrument.value)
                             : all_quotes || quotes.get(ev.instrument.value);
  }

  void apply(const Market& market, const std::vector<std::pair<ChannelKind, std::string>>& channels, bool on) {
    for (const auto& [kind, symbol] : channels) {
      if (kind == ChannelKind::Other) continue;
      bool& all = kind == ChannelKind::Trades ? all_trades : all_quotes;
      Bits& bits = kind == ChannelKind::Trades ? trades : quotes;
      if (symbol == "*") {
        all = on;
      } else if (const auto found = market.lookup(symbol)) {
        // Only instruments of this connection's cluster are ever fed.
        if (market.is_option(*found) == (cluster == Cluster::Options)) bits.set(found->value, on);
      } else if (on) {
        pending.emplace_back(kind, symbol);
      } else {
        std::erase_if(pending, [&](const auto& p) { return p.first == kind && p.second == symbol; });
      }
    }
  }

  [[nodiscard]] Feeds feeds() const noexcept {
    const bool options = cluster == Cluster::Options;
    Feeds f = Feeds::none();
    if (all_trades || trades.count() > 0) f = f.with(options ? Feed::OptionTrades : Feed::StockTrades);
    if (all_quotes || quotes.count() > 0) f = f.with(options ? Feed::OptionQuotes : Feed::StockQuotes);
    return f;
  }

  void append(std::string_view event, const Event& ev, bool record) {
    frame += n == 0 ? '[' : ',';
    frame += event;
    ++n;
    if (record) records.emplace_back(ev.instrument, ev.seq);
  }

  void flush(ServerState& st) {
    if (n == 0) return;
    frame += ']';
    const std::uint32_t events = std::exchange(n, 0);
    if (out->closed.load(std::memory_order_relaxed)) {
      dead = true;
      frame.clear();
      records.clear();
      return;
    }
    if (out->stalled.load(std::memory_order_relaxed)) {
      bump(st.counters.events_dropped_stalled, events);
      frame.clear();
      records.clear();
      return;
    }
    const std::size_t len = frame.size();
    if (out->queued_bytes.load() + len > st.cfg.send_buffer_bytes) {
      if (!out->overflow.exchange(true)) out->kill();
      dead = true;
      frame.clear();
      records.clear();
      return;
    }
    out->queued_bytes.fetch_add(len);
    OutFrame f;
    f.kind = OutFrame::Kind::Data;
    f.events = events;
    f.text.reserve(frame.capacity());
    f.text.swap(frame);  // the next frame reuses a buffer of the same size
    f.records.swap(records);
    out->push(std::move(f));
  }
};

/// The sink the market calls per event: encodes once per variant, appends to every subscriber.
class Fanout final : public EventSink {
 public:
  Fanout(ServerState& st, std::vector<GenConn>& conns) : st_(st), conns_(conns) {
    scratch_.reserve(512);
    scratch_delayed_.reserve(512);
  }

  void on_event(const Event& ev, std::string_view symbol) override {
    const Cluster cluster = is_option(ev.feed) ? Cluster::Options : Cluster::Stocks;
    bool encoded = false;
    bool encoded_delayed = false;
    const std::size_t per_frame = std::max<std::size_t>(st_.cfg.events_per_frame, 1);
    for (GenConn& c : conns_) {
      if (c.cluster != cluster || c.dead || !c.wants(ev)) continue;
      std::string* bytes = &scratch_;
      if (c.delayed) {
        if (!encoded_delayed) {
          Event late = ev;
          late.ts_ms -= kDelayMs;
          if (late.trf_id != 0) late.trf_ts_ms -= kDelayMs;
          scratch_delayed_.clear();
          wire::write_event(scratch_delayed_, late, symbol);
          encoded_delayed = true;
        }
        bytes = &scratch_delayed_;
      } else if (!encoded) {
        scratch_.clear();
        wire::write_event(scratch_, ev, symbol);
        encoded = true;
      }
      c.append(*bytes, ev, st_.cfg.record_sent);
      if (c.n >= per_frame) c.flush(st_);
    }
  }

 private:
  ServerState& st_;
  std::vector<GenConn>& conns_;
  std::string scratch_;
  std::string scratch_delayed_;
};

void handle(ServerState& st, std::vector<GenConn>& conns, GenCommand& cmd) {
  switch (cmd.op) {
    case GenCommand::Op::Register: {
      GenConn c;
      c.id = cmd.id;
      c.cluster = cmd.cluster;
      c.delayed = cmd.delayed;
      c.out = std::move(cmd.out);
      c.frame.reserve(16U << 10U);
      conns.push_back(std::move(c));
      return;
    }
    case GenCommand::Op::Subscribe:
    case GenCommand::Op::Unsubscribe: {
      const auto it = std::find_if(conns.begin(), conns.end(), [&](const GenConn& c) { return c.id == cmd.id; });
      if (it == conns.end()) return;
      const std::lock_guard lock(st.market_mutex);
      it->apply(st.market, cmd.channels, cmd.op == GenCommand::Op::Subscribe);
      return;
    }
    case GenCommand::Op::Unregister:
      std::erase_if(conns, [&](const GenConn& c) { return c.id == cmd.id; });
      return;
  }
}

/// Advances the market clock (without events) to the wall clock: the market starts at the wall
/// time read before the universe was built, and every timestamp would otherwise trail "now".
void catch_up_with_wall_clock(Market& market) {
  const auto wall_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const std::int64_t behind = wall_ns - market.now_ns();
  // Only a start-up gap: a fixed or far-off clock (tests, replays) is left alone.
  if (behind > 0 && behind < 10'000'000'000) {
    market.advance_with(std::chrono::nanoseconds(behind), Feeds::none(), [](const Event&, std::string_view) {});
  }
}

}  // namespace

void run_generator(ServerState& st) {
  std::vector<GenConn> conns;
  std::vector<GenCommand> commands;
  Fanout fanout(st, conns);
  const auto step = std::max(st.cfg.step, std::chrono::microseconds(100));
  if (!st.cfg.fixed_clock) {
    const std::lock_guard lock(st.market_mutex);
    catch_up_with_wall_clock(st.market);
  }
  auto last = Clock::now();
  std::size_t listed = 0;
  while (!st.stop.load(std::memory_order_relaxed)) {
    {
      const std::lock_guard lock(st.gen_mutex);
      commands.swap(st.gen_commands);
    }
    for (GenCommand& cmd : commands) handle(st, conns, cmd);
    commands.clear();
    std::this_thread::sleep_for(step);
    const auto now = Clock::now();
    auto dt = std::chrono::duration_cast<std::chrono::nanoseconds>(now - last);
    last = now;
    Feeds feeds = Feeds::none();
    for (const GenConn& c : conns) {
      if (!c.dead) feeds = feeds | c.feeds();
    }
    const std::lock_guard lock(st.market_mutex);
    if (st.market.instrument_count() != listed) {
      listed = st.market.instrument_count();
      for (GenConn& c : conns) {
        if (c.pending.empty()) continue;
        auto pending = std::move(c.pending);
        c.pending.clear();
        c.apply(st.market, pending, true);
      }
    }
    if (dt > kMaxCatchUp) {
      st.market.advance_with(dt - kMaxCatchUp, Feeds::none(), [](const Event&, std::string_view) {});
      dt = kMaxCatchUp;
    }
    st.market.advance_with(dt, feeds, fanout);
    for (GenConn& c : conns) c.flush(st);
  }
}

}  // namespace massive_sim
