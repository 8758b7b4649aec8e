// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// The allocation algorithm: a pure function of the scheduler's committed state, a ranked view
/// of the priorities (the tracker's or the string surface's snapshot), the capacity and the time.
///
/// With `S` slots, `R = min(top_n, S)` reserved, `E = exploration_slots(...)` exploration and
/// `X = S − R − E` exploitation slots:
/// 1. the best `R + X + |held|` by priority (ties by symbol), excluded contracts skipped; the
///    first `R` are reserved, unconditionally;
/// 2. held exploration picks (incumbent picks younger than the hold) keep their slot, the highest
///    priorities first if `E` shrank;
/// 3. exploitation: the best `X` of the rest of step 1 and every other incumbent by score, an
///    incumbent's score being priority × (1 + hysteresis); equal scores keep the incumbent;
/// 4. exploration: every slot still free goes to the untaken, unexcluded candidates with the
///    smallest (tier, draw, symbol). With posterior draws the walk stops where no candidate's
///    largest possible draw can reach the bar (exact: the bound only falls along the walk).
/// Incumbents the view does not know are candidates at priority 0 ("extras").
///
/// A view provides `handle_limit()`, `priority(h)`, `symbol(h)`, `find(symbol)` (kNoHandle if
/// absent) and `walker()` (see rank.hpp). Everything here runs on the caller's thread and only
/// reads its inputs.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "scheduler/handle_map.hpp"
#include "scheduler/rank.hpp"
#include "scheduler/rng.hpp"
#include "ws_source/config.hpp"
#include "ws_source/scheduler.hpp"
#include "ws_source/symbol.hpp"

namespace ws_source::detail::sched {

/// A subscribed contract as the scheduler remembers it.
struct Incumbent {
  Symbol symbol;
  SlotRole role{SlotRole::Reserved};
  std::int64_t since_ns{0};         ///< when it got this role (exploration picks: when picked)
  double priority{0};               ///< its priority at the rebalance that committed it
  std::uint32_t handle{kNoHandle};  ///< its handle in that rebalance's view (a hint)
};

struct PlanParams {
  std::size_t total_slots{0};
  std::size_t top_n{0};
  double exploration_fraction{0};
  double hysteresis{0};
  ExplorationWeighting weighting{ExplorationWeighting::Posterior};
  double window_s{1};  ///< half_life_s / ln 2: priority × window = the decayed count
  std::int64_t hold_ns{0};
  std::uint64_t memory_epochs{1};
  std::uint64_t epoch{1};  ///< the epoch being planned
  std::uint64_t seed{0};
  std::int64_t now_ns{0};
};

struct PolicyState {
  const std::vector<Incumbent>& incumbents;
  const std::unordered_map<Symbol, std::int64_t>& excluded;   ///< until when
  const std::unordered_map<Symbol, std::uint64_t>& explored;  ///< epoch last picked
};

/// One chosen slot. `incumbent` is the index in `PolicyState::incumbents`, or -1.
struct Chosen {
  Symbol symbol;
  SlotRole role{SlotRole::Reserved};
  bool fresh_pick{false};  ///< a new exploration pick (its hold starts now)
  double priority{0};
  std::uint32_t handle{kNoHandle};  ///< in the view; kNoHandle for extras
  std::int32_t incumbent{-1};
};

template <class View>
class Planner {
 public:
  Planner(const PlanParams& prm, const PolicyState& st, const View& view)
      : prm_(prm), st_(st), view_(view), limit_(view.handle_limit()) {}

  /// Reserved, exploited, held and new picks, in that order.
  std::vector<Chosen> run() {
    std::vector<Chosen> out;
    const std::size_t s = prm_.total_slots;
    if (s == 0) {
      return out;
    }
    const std::size_t r_slots = std::min(prm_.top_n, s);
    const std::size_t e_slots = exploration_slots(prm_.top_n, prm_.exploration_fraction, s);
    const std::size_t x_slots = s - r_slots - e_slots;
    resolve();

    // Held exploration picks.
    std::vector<Candidate> held;
    for (std::size_t i = 0; i < st_.incumbents.size(); ++i) {
      const Incumbent& inc = st_.incumbents[i];
      if (inc.role == SlotRole::Explore && sat_sub(prm_.now_ns, inc.since_ns) < prm_.hold_ns) {
        held.push_back({inc_handle_[i], priority(inc_handle_[i])});
      }
    }

    // 1. The best R + X + |held|: enough to fill R and X whatever is held.
    const std::size_t wanted = sat_add(sat_add(r_slots, x_slots), held.size());
    auto walker = view_.walker();
    const auto better = [&](const Candidate& a, const Candidate& b) { return ranks_above(a, b); };
    const bool exhausted = collect_best(
        walker, wanted, [&](std::uint32_t h) { return excluded(h); },
        [&](std::uint32_t h) { return view_.priority(h); }, better, collected_);
    if (exhausted) {
      append_extras(collected_);  // incumbents the view lacks, at priority 0
    }
    // Selection only (no sort): the best `wanted` first, the best `reserved` of those first.
    const std::size_t best = std::min(wanted, collected_.size());
    select_first(collected_.begin(), collected_.end(), best, better);
    const std::size_t reserved = std::min(r_slots, best);
    select_first(collected_.begin(), collected_.begin() + static_cast<std::ptrdiff_t>(best), reserved, better);
    out.reserve(std::min(s, best + held.size() + st_.incumbents.size() + 64));
    taken_ = HandleMap<unsigned char>(std::min(s, best + held.size() + st_.incumbents.size() + 16));
    for (std::size_t i = 0; i < reserved; ++i) {
      take(out, collected_[i], SlotRole::Reserved, false);
    }

    // 2. Held picks not promoted to reserved; the lowest go first if E shrank.
    std::erase_if(held, [&](const Candidate& c) { return taken_.contains(c.handle) || excluded(c.handle); });
    keep_best(held, e_slots, better);
    for (const Candidate& c : held) {
      take(out, c, SlotRole::Explore, false);
    }

    // 3. Exploitation with hysteresis: the rest of `best` and every incumbent not taken.
    exploit(out, reserved, best, x_slots);

    // 4. Exploration: every slot still free.
    if (out.size() < s) {
      explore(out, s - out.size());
    }
    return out;
  }

 private:
  struct Contender {
    double score;
    bool incumbent;
    Candidate c;
  };

  [[nodiscard]] double priority(std::uint32_t h) const noexcept { return h < limit_ ? view_.priority(h) : 0.0; }
  [[nodiscard]] const Symbol& symbol(std::uint32_t h) const noexcept {
    return h < limit_ ? view_.symbol(h) : st_.incumbents[extras_[h - limit_]].symbol;
  }
  [[nodiscard]] std::uint64_t hash(std::uint32_t h) const noexcept {
    return h < limit_ ? view_.hash(h) : symbol_hash(symbol(h).view());
  }
  [[nodiscard]] bool excluded(std::uint32_t h) const noexcept { return excluded_.size() != 0 && excluded_.contains(h); }
  [[nodiscard]] bool ranks_above(const Candidate& a, const Candidate& b) const noexcept {
    if (a.priority != b.priority) {
      return a.priority > b.priority;
    }
    return symbol(a.handle) < symbol(b.handle);
  }

  /// The handle of a view symbol or an extra, or kNoHandle.
  [[nodiscard]] std::uint32_t find_any(const Symbol& s) const noexcept {
    if (const std::uint32_t h = view_.find(s); h != kNoHandle) {
      return h;
    }
    const auto it = std::lower_bound(extras_.begin(), extras_.end(), s, [&](std::uint32_t i, const Symbol& key) {
      return st_.incumbents[i].symbol < key;
    });
    if (it != extras_.end() && st_.incumbents[*it].symbol == s) {
      return limit_ + static_cast<std::uint32_t>(it - extras_.begin());
    }
    return kNoHandle;
  }

  /// Incumbents, exclusions and the exploration memory, as handles.
  void resolve() {
    const auto& incs = st_.incumbents;
    inc_handle_.assign(incs.size(), kNoHandle);
    for (std::size_t i = 0; i < incs.size(); ++i) {
      std::uint32_t h = incs[i].handle;
      if (h >= limit_ || !same_symbol(view_.symbol(h), incs[i].symbol)) {
        h = view_.find(incs[i].symbol);
      }
      if (h == kNoHandle) {
        extras_.push_back(static_cast<std::uint32_t>(i));
      }
      inc_handle_[i] = h;
    }
    std::sort(extras_.begin(), extras_.end(),
              [&](std::uint32_t a, std::uint32_t b) { return incs[a].symbol < incs[b].symbol; });
    for (std::size_t j = 0; j < extras_.size(); ++j) {
      inc_handle_[extras_[j]] = limit_ + static_cast<std::uint32_t>(j);
    }
    inc_of_ = HandleMap<std::uint32_t>(incs.size());
    for (std::size_t i = 0; i < incs.size(); ++i) {
      inc_of_.insert(inc_handle_[i], static_cast<std::uint32_t>(i));
    }
    excluded_ = HandleMap<unsigned char>(st_.excluded.size());
    for (const auto& [sym, until] : st_.excluded) {
      if (until > prm_.now_ns) {
        if (const std::uint32_t h = find_any(sym); h != kNoHandle) {
          excluded_.insert(h, 1);
        }
      }
    }
  }

  void append_extras(std::vector<Candidate>& v) const {
    for (std::size_t j = 0; j < extras_.size(); ++j) {
      const auto h = limit_ + static_cast<std::uint32_t>(j);
      if (!excluded(h)) {
        v.push_back({h, 0.0});
      }
    }
  }

  void take(std::vector<Chosen>& out, const Candidate& c, SlotRole role, bool fresh) {
    taken_.insert(c.handle, 1);
    const std::uint32_t* inc = inc_of_.find(c.handle);
    out.push_back({symbol(c.handle), role, fresh, c.priority, c.handle < limit_ ? c.handle : kNoHandle,
                   inc == nullptr ? -1 : static_cast<std::int32_t>(*inc)});
  }

  /// Candidates `collected_[from, to)` (the rest of step 1) and every incumbent not taken compete
  /// for `x_slots` by score.
  void exploit(std::vector<Chosen>& out, std::size_t from, std::size_t to, std::size_t x_slots) {
    const double boost = 1.0 + prm_.hysteresis;
    std::vector<Contender> contenders;
    contenders.reserve(to - from + st_.incumbents.size());
    std::vector<bool> listed(st_.incumbents.size(), false);
    for (std::size_t i = from; i < to; ++i) {
      const Candidate& c = collected_[i];
      if (taken_.contains(c.handle)) {
        continue;
      }
      const std::uint32_t* inc = inc_of_.find(c.handle);
      if (inc != nullptr) {
        listed[*inc] = true;
      }
      contenders.push_back({inc != nullptr ? c.priority * boost : c.priority, inc != nullptr, c});
    }
    for (std::size_t i = 0; i < st_.incumbents.size(); ++i) {
      const std::uint32_t h = inc_handle_[i];
      if (!listed[i] && !taken_.contains(h)) {
        const double p = priority(h);
        contenders.push_back({p * boost, true, {h, p}});
      }
    }
    keep_best(contenders, x_slots, [&](const Contender& a, const Contender& b) {
      if (a.score != b.score) {
        return a.score > b.score;
      }
      if (a.incumbent != b.incumbent) {
        return a.incumbent;
      }
      return symbol(a.c.handle) < symbol(b.c.handle);
    });
    for (const Contender& k : contenders) {
      take(out, k.c, SlotRole::Exploit, false);
    }
  }

  void explore(std::vector<Chosen>& out, std::size_t free) {
    const std::uint64_t seed = epoch_seed(prm_.seed, prm_.epoch);
    HandleMap<std::uint64_t> tier(st_.explored.size());
    for (const auto& [sym, e] : st_.explored) {
      if (prm_.epoch - std::min(e, prm_.epoch) <= prm_.memory_epochs) {
        if (const std::uint32_t h = find_any(sym); h != kNoHandle) {
          tier.insert(h, e);
        }
      }
    }
    const bool posterior = prm_.weighting == ExplorationWeighting::Posterior;
    SmallestKeys pool(free);
    // True once the pool is full and its bar was never explored: only then can a candidate be
    // judged out of reach without its tier.
    const auto settled = [&] { return pool.full() && pool.bar().tier == 0; };
    // A candidate at priority `p` (or below) whose largest possible posterior draw cannot beat
    // the bar.
    const auto out_of_reach = [&](double p) {
      return posterior && settled() && posterior_upper_bound(p, prm_.window_s) < posterior_sample(pool.bar().draw);
    };
    // Offers candidate `h` (priority `p`, uniform draw `d`) to the pool.
    const auto offer = [&](std::uint32_t h, double p, std::uint64_t d) {
      std::uint64_t key = d;
      if (prm_.weighting == ExplorationWeighting::Priority) {
        key = weighted_key(d, p);
      } else if (posterior) {
        key = posterior_key(d, p, prm_.window_s);
      }
      const Symbol& sym = symbol(h);
      if (settled() && (key > pool.bar().draw || (key == pool.bar().draw && sym.view() > pool.bar().symbol))) {
        return;  // cannot beat a never-explored bar
      }
      const std::uint64_t* t = tier.find(h);
      pool.push({t == nullptr ? 0 : *t, key, sym.view(), h, p});
    };
    const auto open = [&](std::uint32_t h) { return !taken_.contains(h) && !excluded(h); };

    // A walk of its own from the top: step 1 kept only what it chose.
    auto walker = view_.walker();
    std::span<const std::uint32_t> block;
    const std::uint64_t* hashes = view_.hashes();
    double bound = 0;
    while (walker.next_block(block, bound) && !out_of_reach(bound)) {
      // (every later candidate ranks at most `bound`)
      // Posterior: a draw's sample is at most n + √n·r (r = the Box–Muller radius
      // sqrt(−2 ln u1)), and n is at most the block's bound; so a candidate whose u1 is above
      // exp(−q²/2), q = (bar − n_max)/√n_max, cannot reach the bar: rejected on its hash alone,
      // before its priority or a logarithm is computed. (A margin below the bar covers rounding.)
      double u1_cut = 2.0;  // no rejection
      if (posterior && settled()) {
        const double n_max = bound * prm_.window_s;
        const double bar = static_cast<double>(posterior_sample(pool.bar().draw)) * (1.0 - 1e-6);
        if (n_max > 0.0 && bar > n_max) {
          const double q = (bar - n_max) / std::sqrt(n_max);
          u1_cut = std::exp(-0.5 * q * q);
        }
      }
      for (std::size_t i = 0; i < block.size(); ++i) {
        if (i + 8 < block.size()) {
          __builtin_prefetch(hashes + block[i + 8]);
        }
        const std::uint32_t h = block[i];
        const std::uint64_t d = draw(seed, hashes[h]);
        if ((u1_cut < 1.0 && posterior_u1(d) > u1_cut) || !open(h)) {
          continue;
        }
        const double p = priority(h);
        if (!out_of_reach(p)) {
          offer(h, p, d);
        }
      }
    }
    for (std::size_t j = 0; j < extras_.size(); ++j) {
      const auto h = limit_ + static_cast<std::uint32_t>(j);
      if (open(h) && !out_of_reach(0.0)) {
        offer(h, 0.0, draw(seed, hash(h)));
      }
    }
    for (const ExploreKey& k : std::move(pool).sorted()) {
      take(out, {k.handle, k.priority}, SlotRole::Explore, true);
    }
  }

  const PlanParams& prm_;
  const PolicyState& st_;
  const View& view_;
  const std::uint32_t limit_;
  std::vector<std::uint32_t> inc_handle_;  // by incumbent index
  std::vector<std::uint32_t> extras_;      // incumbent indices the view lacks, by symbol
  HandleMap<std::uint32_t> inc_of_;        // handle -> incumbent index
  HandleMap<unsigned char> excluded_;
  HandleMap<unsigned char> taken_;
  std::vector<Candidate> collected_;  // step 1's best (excluded skipped)
};

/// Runs the algorithm on `view` (see the file comment).
template <class View>
std::vector<Chosen> plan(const PlanParams& prm, const PolicyState& st, const View& view) {
  return Planner<View>(prm, st, view).run();
}

}  // namespace ws_source::detail::sched
