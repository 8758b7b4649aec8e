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
/// A view provides `handle_limit()`, `priority(h)`, `symbol(h)`, `hash(h)`, `hashes()`,
/// `find(symbol)` (kNoHandle if absent) and
/// `walker()` (see rank.hpp). Everything here runs on the caller's thread, reads its inputs and
/// writes only the caller's `PlanScratch`.
///
/// Cost: no allocation in steady state (the scratch keeps its memory), no sort (selections, and
/// one small heap for exploration), and the candidates' marks in one byte per handle rather than
/// hash sets, so that a rebalance of 1,000 slots is a few passes over ~1,000 incumbents and the
/// top of the ranking, plus the exploration walk (see `SubscriptionScheduler`).

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

/// A subscribed contract as the scheduler remembers it; also what a plan chooses (the subscribed
/// set it would commit).
struct Incumbent {
  std::int64_t since_ns{0};  ///< when it got this role (exploration picks: when picked)
  double priority{0};        ///< its priority at the rebalance that committed it
  Symbol symbol;
  std::uint32_t handle{kNoHandle};  ///< its handle in that rebalance's view (a hint)
  SlotRole role{SlotRole::Reserved};
};

/// An exploration pick the scheduler remembers: its epoch and its handle in that rebalance's view
/// (a hint). A symbol picked again within the memory appears once per pick; its latest epoch
/// counts.
struct Explored {
  Symbol symbol;
  std::uint64_t epoch{0};
  std::uint32_t handle{kNoHandle};
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
  const std::unordered_map<Symbol, std::int64_t>& excluded;  ///< until when
  const std::vector<Explored>& explored;                     ///< the picks of the last epochs
};

/// A candidate for an exploitation slot: its score (priority, times `1 + hysteresis` for an
/// incumbent).
struct Contender {
  double score;
  bool incumbent;
  Candidate c;
};

/// Per-handle marks of one plan: bits. (An enum, not a character type: writing one does not
/// force the compiler to assume that any other memory changed.)
enum Mark : std::uint8_t {
  kUnmarked = 0,
  kTaken = 1U << 0U,      ///< holds a slot in this plan
  kExcluded = 1U << 1U,   ///< refused, until after now
  kIncumbent = 1U << 2U,  ///< subscribed before this plan (in `inc_of`)
  kTiered = 1U << 3U,     ///< explored within the memory (in `tier`)
  kListed = 1U << 4U,     ///< an incumbent already among the exploitation contenders
};

/// The plan's working memory, kept from one plan to the next (by the scheduler) so that a plan in
/// steady state allocates nothing: every buffer is emptied before use, and `marks` is all
/// `kUnmarked` between plans (the plan that sets a mark clears it, also when it throws). Holds no
/// state that influences a result. One byte per handle of the largest view planned over
/// (`marks`: 1.5 MB for 1.5 M tracked contracts), plus O(slots + incumbents + exploration
/// memory).
struct PlanScratch {
  std::vector<Mark> marks;                ///< by handle (the view's, then the extras')
  std::vector<std::uint32_t> excluded;    ///< the handles marked kExcluded
  std::vector<std::uint32_t> tiered;      ///< the handles marked kTiered
  std::vector<std::uint32_t> inc_handle;  ///< by incumbent index
  std::vector<std::uint32_t> extras;      ///< incumbent indices the view lacks, by symbol
  HandleMap<std::uint32_t> inc_of;        ///< handle -> incumbent index
  HandleMap<std::uint64_t> tier;          ///< handle -> epoch explored (within the memory)
  std::vector<Candidate> collected;       ///< step 1's best (excluded skipped)
  std::vector<Candidate> boundary;        ///< step 1's heap
  std::vector<Candidate> held;
  std::vector<Contender> contenders;
  std::vector<ExploreKey> pool;
  // The plan's result: the subscribed set it chose (reserved, exploited, held and new picks, in
  // that order; a role kept from an incumbent keeps its `since_ns`, the rest start now), for each
  // its incumbent index or -1, where the new picks start, and the incumbents not chosen.
  std::vector<Incumbent> chosen;
  std::vector<std::int32_t> chosen_incumbent;
  std::size_t fresh_from{0};
  std::vector<std::uint32_t> dropped;
};

template <class View>
class Planner {
 public:
  Planner(const PlanParams& prm, const PolicyState& st, const View& view, PlanScratch& scratch) noexcept
      : prm_(prm), st_(st), view_(view), limit_(view.handle_limit()), sc_(scratch) {}
  Planner(const Planner&) = delete;
  Planner& operator=(const Planner&) = delete;
  ~Planner() = default;

  /// Fills the scratch's result (`chosen`, `chosen_incumbent`, `fresh_from`, `dropped`). Leaves
  /// every mark cleared, also when it throws.
  void run() {
    sc_.fresh_from = 0;
    sc_.dropped.clear();
    if (prm_.total_slots == 0) {
      sc_.chosen.clear();
      sc_.chosen_incumbent.clear();
      for (std::size_t i = 0; i < st_.incumbents.size(); ++i) {
        sc_.dropped.push_back(static_cast<std::uint32_t>(i));
      }
      return;
    }
    try {
      sc_.dropped.reserve(st_.incumbents.size());  // (so that `finish` cannot throw)
      steps();
    } catch (...) {
      std::fill(sc_.marks.begin(), sc_.marks.end(), kUnmarked);
      throw;
    }
    finish();
  }

 private:
  void steps() {
    const std::size_t s = prm_.total_slots;
    const std::size_t r_slots = std::min(prm_.top_n, s);
    const std::size_t e_slots = exploration_slots(prm_.top_n, prm_.exploration_fraction, s);
    const std::size_t x_slots = s - r_slots - e_slots;
    resolve();
    std::vector<Candidate>& held = sc_.held;

    // 1. The best R + X + |held|: enough to fill R and X whatever is held.
    const std::size_t wanted = sat_add(sat_add(r_slots, x_slots), held.size());
    auto walker = view_.walker();
    const auto better = [&](const Candidate& a, const Candidate& b) { return ranks_above(a, b); };
    std::vector<Candidate>& collected = sc_.collected;
    const bool exhausted = collect_best(
        walker, wanted, [&](std::uint32_t h) { return has(h, kExcluded); },
        [&](std::uint32_t h) { return view_.priority(h); }, better, collected, sc_.boundary);
    if (exhausted) {
      append_extras(collected);  // incumbents the view lacks, at priority 0
    }
    // Selection only (no sort): the best `wanted` first, the best `reserved` of those first.
    const std::size_t best = std::min(wanted, collected.size());
    select_first(collected.begin(), collected.end(), best, better);
    const std::size_t reserved = std::min(r_slots, best);
    select_first(collected.begin(), collected.begin() + static_cast<std::ptrdiff_t>(best), reserved, better);
    // Room for every slot: at most one a handle. (Written by index: `take`.)
    const std::size_t room = std::min(s, std::size_t{limit_} + sc_.extras.size());
    if (sc_.chosen.size() < room) {
      sc_.chosen.resize(room);
    }
    if (sc_.chosen_incumbent.size() < room) {
      sc_.chosen_incumbent.resize(room);
    }
    n_chosen_ = 0;
    for (std::size_t i = 0; i < reserved; ++i) {
      take(collected[i], SlotRole::Reserved, false);
    }

    // 2. Held picks not promoted to reserved; the lowest go first if E shrank.
    std::erase_if(held, [&](const Candidate& c) { return has(c.handle, kTaken | kExcluded); });
    keep_best(held, e_slots, better);
    for (const Candidate& c : held) {
      take(c, SlotRole::Explore, false);
    }

    // 3. Exploitation with hysteresis: the rest of `best` and every incumbent not taken.
    exploit(reserved, best, x_slots);

    // 4. Exploration: every slot still free.
    sc_.fresh_from = n_chosen_;
    if (n_chosen_ < s) {
      explore(s - n_chosen_);
    }
    sc_.chosen.resize(n_chosen_);
    sc_.chosen_incumbent.resize(n_chosen_);
  }

  /// Lists the incumbents not chosen and clears every mark `steps` set: on the incumbents
  /// (kIncumbent, kListed, and kTaken on the extras), the chosen (kTaken), the excluded and the
  /// tiered.
  void finish() noexcept {
    for (std::size_t i = 0; i < sc_.inc_handle.size(); ++i) {
      const std::uint32_t h = sc_.inc_handle[i];
      if (!has(h, kTaken)) {
        sc_.dropped.push_back(static_cast<std::uint32_t>(i));  // reserved: no allocation
      }
      marks_[h] = kUnmarked;
    }
    for (const Incumbent& c : sc_.chosen) {
      if (c.handle != kNoHandle) {
        marks_[c.handle] = kUnmarked;
      }
    }
    for (const std::uint32_t h : sc_.excluded) {
      marks_[h] = kUnmarked;
    }
    for (const std::uint32_t h : sc_.tiered) {
      marks_[h] = kUnmarked;
    }
  }

  [[nodiscard]] bool has(std::uint32_t h, unsigned bits) const noexcept { return (marks_[h] & bits) != 0; }
  void mark(std::uint32_t h, Mark m) noexcept { marks_[h] = static_cast<Mark>(marks_[h] | m); }

  [[nodiscard]] double priority(std::uint32_t h) const noexcept { return h < limit_ ? view_.priority(h) : 0.0; }
  [[nodiscard]] const Symbol& symbol(std::uint32_t h) const noexcept {
    return h < limit_ ? view_.symbol(h) : st_.incumbents[sc_.extras[h - limit_]].symbol;
  }
  [[nodiscard]] std::uint64_t hash(std::uint32_t h) const noexcept {
    return h < limit_ ? view_.hash(h) : symbol_hash(symbol(h).view());
  }
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
    const auto& extras = sc_.extras;
    const auto it = std::lower_bound(extras.begin(), extras.end(), s, [&](std::uint32_t i, const Symbol& key) {
      return st_.incumbents[i].symbol < key;
    });
    if (it != extras.end() && st_.incumbents[*it].symbol == s) {
      return limit_ + static_cast<std::uint32_t>(it - extras.begin());
    }
    return kNoHandle;
  }

  /// `find_any(s)`, trying first `hint`, the handle `s` had in an earlier view.
  [[nodiscard]] std::uint32_t find_hinted(const Symbol& s, std::uint32_t hint) const noexcept {
    if (hint < limit_ && same_symbol(view_.symbol(hint), s)) {
      return hint;
    }
    return find_any(s);
  }

  /// Incumbents (and the held exploration picks among them) and exclusions, as handles and marks.
  void resolve() {
    const std::size_t n = st_.incumbents.size();
    const Incumbent* incs = st_.incumbents.data();
    sc_.excluded.clear();
    sc_.tiered.clear();
    sc_.extras.clear();
    sc_.held.clear();
    sc_.inc_handle.resize(n);
    std::uint32_t* inc_handle = sc_.inc_handle.data();
    if (sc_.marks.size() < limit_) {
      sc_.marks.resize(limit_, kUnmarked);
    }
    marks_ = sc_.marks.data();
    sc_.inc_of.reset(n);
    bool missing = false;
    for (std::size_t i = 0; i < n; ++i) {
      std::uint32_t h = incs[i].handle;  // the hint, if it still names this contract
      if (h >= limit_ || !same_symbol(view_.symbol(h), incs[i].symbol)) [[unlikely]] {
        h = view_.find(incs[i].symbol);
        if (h == kNoHandle) {
          missing = true;  // an extra: its handle once they are all known
          inc_handle[i] = kNoHandle;
          continue;
        }
      }
      inc_handle[i] = h;
      sc_.inc_of.insert(h, static_cast<std::uint32_t>(i));
      mark(h, kIncumbent);
    }
    if (missing) [[unlikely]] {
      auto& extras = sc_.extras;
      for (std::size_t i = 0; i < n; ++i) {
        if (inc_handle[i] == kNoHandle) {
          extras.push_back(static_cast<std::uint32_t>(i));
        }
      }
      std::sort(extras.begin(), extras.end(),
                [&](std::uint32_t a, std::uint32_t b) { return incs[a].symbol < incs[b].symbol; });
      if (const std::size_t handles = std::size_t{limit_} + extras.size(); sc_.marks.size() < handles) {
        sc_.marks.resize(handles, kUnmarked);
        marks_ = sc_.marks.data();
      }
      for (std::size_t j = 0; j < extras.size(); ++j) {
        const auto h = limit_ + static_cast<std::uint32_t>(j);
        inc_handle[extras[j]] = h;
        sc_.inc_of.insert(h, extras[j]);
        mark(h, kIncumbent);
      }
    }
    for (const auto& [sym, until] : st_.excluded) {
      if (until > prm_.now_ns) {
        if (const std::uint32_t h = find_any(sym); h != kNoHandle) {
          sc_.excluded.push_back(h);
          mark(h, kExcluded);
        }
      }
    }
    // Held exploration picks, in incumbent order.
    for (std::size_t i = 0; i < n; ++i) {
      if (incs[i].role == SlotRole::Explore && sat_sub(prm_.now_ns, incs[i].since_ns) < prm_.hold_ns) {
        sc_.held.push_back({inc_handle[i], priority(inc_handle[i])});
      }
    }
  }

  void append_extras(std::vector<Candidate>& v) const {
    for (std::size_t j = 0; j < sc_.extras.size(); ++j) {
      const auto h = limit_ + static_cast<std::uint32_t>(j);
      if (!has(h, kExcluded)) {
        v.push_back({h, 0.0});
      }
    }
  }

  /// Gives `c` a slot with `role` (`fresh`: a new exploration pick).
  [[gnu::always_inline]] void take(const Candidate& c, SlotRole role, bool fresh) {
    const std::uint32_t h = c.handle;
    // (Field by field: no temporary to copy. `steps` made room for every slot: a handle is taken
    // at most once; the check keeps memory safe should that ever break.)
    if (n_chosen_ >= sc_.chosen.size() || n_chosen_ >= sc_.chosen_incumbent.size()) [[unlikely]] {
      sc_.chosen.resize(n_chosen_ + 1);
      sc_.chosen_incumbent.resize(n_chosen_ + 1);
    }
    Incumbent& out = sc_.chosen[n_chosen_];
    out.priority = c.priority;
    out.role = role;
    if (has(h, kIncumbent)) {
      const std::uint32_t i = *sc_.inc_of.find(h);
      const Incumbent& old = st_.incumbents[i];
      // A role kept from the last epoch keeps its start.
      out.since_ns = !fresh && old.role == role ? old.since_ns : prm_.now_ns;
      out.symbol = old.symbol;
      out.handle = h < limit_ ? h : kNoHandle;
      sc_.chosen_incumbent[n_chosen_] = static_cast<std::int32_t>(i);
    } else {
      out.since_ns = prm_.now_ns;
      out.symbol = view_.symbol(h);
      out.handle = h;  // (extras are incumbents)
      sc_.chosen_incumbent[n_chosen_] = -1;
    }
    ++n_chosen_;
    mark(h, kTaken);
  }

  /// Candidates `collected[from, to)` (the rest of step 1) and every incumbent not taken compete
  /// for `x_slots` by score.
  void exploit(std::size_t from, std::size_t to, std::size_t x_slots) {
    const double boost = 1.0 + prm_.hysteresis;
    std::vector<Contender>& contenders = sc_.contenders;
    contenders.clear();
    contenders.reserve(to - from + st_.incumbents.size());
    for (std::size_t i = from; i < to; ++i) {
      const Candidate& c = sc_.collected[i];
      if (has(c.handle, kTaken)) {
        continue;
      }
      const bool incumbent = has(c.handle, kIncumbent);
      if (incumbent) {
        mark(c.handle, kListed);
      }
      contenders.push_back({incumbent ? c.priority * boost : c.priority, incumbent, c});
    }
    for (const std::uint32_t h : sc_.inc_handle) {
      if (!has(h, kListed | kTaken)) {
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
      take(k.c, SlotRole::Exploit, false);
    }
  }

  void explore(std::size_t free) {
    const std::uint64_t seed = epoch_seed(prm_.seed, prm_.epoch);
    HandleMap<std::uint64_t>& tier = sc_.tier;
    tier.reset(st_.explored.size());
    for (const Explored& x : st_.explored) {
      if (prm_.epoch - std::min(x.epoch, prm_.epoch) <= prm_.memory_epochs) {
        if (const std::uint32_t h = find_hinted(x.symbol, x.handle); h != kNoHandle) {
          if (auto [e, added] = tier.try_emplace(h, x.epoch); !added) {
            *e = std::max(*e, x.epoch);  // picked again: the latest pick counts
          } else {
            sc_.tiered.push_back(h);
          }
          mark(h, kTiered);
        }
      }
    }
    const bool posterior = prm_.weighting == ExplorationWeighting::Posterior;
    SmallestKeys pool(free, sc_.pool);
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
        const PosteriorDraw x = posterior_draw(d, p, prm_.window_s);
        if (settled() && posterior_bound(x) < posterior_sample(pool.bar().draw)) {
          return;  // even its largest sample for this u1 is below a never-explored bar
        }
        key = posterior_key(x, d);
      }
      const Symbol& sym = symbol(h);
      if (settled() && (key > pool.bar().draw || (key == pool.bar().draw && sym.view() > pool.bar().symbol))) {
        return;  // cannot beat a never-explored bar
      }
      const std::uint64_t* t = has(h, kTiered) ? tier.find(h) : nullptr;
      pool.push({t == nullptr ? 0 : *t, key, sym.view(), h, p});
    };

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
      // The same test on the integer the draw's u1 is made of: u1 > u1_cut exactly when
      // (d >> 32) >= u1_limit (see `posterior_u1_limit`).
      const std::uint64_t u1_limit = posterior_u1_limit(u1_cut);
      // With a cut, the bar is above n_max (as a float too, by the margin): so a draw whose angle
      // has cos <= 0 (its u2 in [0.26, 0.74], with room for rounding) samples at most n <= n_max,
      // below the bar; rejected on its hash too.
      const auto consider = [&](std::uint32_t h, std::uint64_t d) {
        const double p = priority(h);
        if (!out_of_reach(p)) {
          offer(h, p, d);
        }
      };
      // Either order of the two tests (open, and the draw's u1) gives the same result. With a
      // cut (below the top), the draw first: most candidates there are rejected on it, without
      // reading their mark. Without (the top, mostly taken), the mark first: no draw for the
      // taken.
      if (u1_limit <= 0xffffffffULL) {
        for (const std::uint32_t h : block) {
          const std::uint64_t d = draw(seed, hashes[h]);
          if ((d >> 32U) < u1_limit && !posterior_angle_nonpositive(d) && !has(h, kTaken | kExcluded)) [[unlikely]] {
            consider(h, d);
          }
        }
      } else {
        for (const std::uint32_t h : block) {
          if (!has(h, kTaken | kExcluded)) {
            consider(h, draw(seed, hashes[h]));
          }
        }
      }
    }
    for (std::size_t j = 0; j < sc_.extras.size(); ++j) {
      const auto h = limit_ + static_cast<std::uint32_t>(j);
      if (!has(h, kTaken | kExcluded) && !out_of_reach(0.0)) {
        offer(h, 0.0, draw(seed, hash(h)));
      }
    }
    for (const ExploreKey& k : pool.sorted()) {
      take({k.handle, k.priority}, SlotRole::Explore, true);
    }
  }

  const PlanParams& prm_;
  const PolicyState& st_;
  const View& view_;
  const std::uint32_t limit_;
  PlanScratch& sc_;
  Mark* marks_{nullptr};     // sc_.marks.data(), once `resolve` sized it
  std::size_t n_chosen_{0};  // slots taken so far (the first of sc_.chosen)
};

/// Runs the algorithm on `view` (see the file comment) with `scratch` as its working memory; the
/// result is in `scratch` (`chosen`, `chosen_incumbent`, `fresh_from`, `dropped`).
template <class View>
void plan(const PlanParams& prm, const PolicyState& st, const View& view, PlanScratch& scratch) {
  Planner<View>(prm, st, view, scratch).run();
}

}  // namespace ws_source::detail::sched
