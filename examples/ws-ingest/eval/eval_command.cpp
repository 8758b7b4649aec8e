// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "eval_command.hpp"

#include <chrono>
#include <exception>
#include <iomanip>
#include <iostream>
#include <vector>

#include "scenario_run.hpp"
#include "svg_plot.hpp"
#include "table.hpp"

namespace ws_ingest {

namespace {

// CLI11 converts "-3" to a huge unsigned value: unsigned options refuse a minus sign first.
const CLI::Validator& non_negative() {
  static const CLI::Validator v(
      [](std::string& s) {
        return s.find('-') == std::string::npos ? std::string() : "must be a whole number >= 0, got " + s;
      },
      "", "NON_NEGATIVE");
  return v;
}

}  // namespace

int run_eval_scheduler(const eval::EvalOptions& options, std::ostream& out, std::ostream& err) {
  const auto first = eval::make_setup(options);
  if (!first) {
    err << "ws-ingest eval-scheduler: " << first.error() << "\n";
    return 2;
  }
  const auto started = std::chrono::steady_clock::now();
  std::vector<eval::SeedRun> runs;
  runs.reserve(options.seeds);
  for (std::uint64_t i = 0; i < options.seeds; ++i) {
    eval::EvalOptions one = options;
    one.seed = options.seed + i;
    const auto setup = eval::make_setup(one);  // valid: only the seed differs
    if (!setup) {
      err << "ws-ingest eval-scheduler: " << setup.error() << "\n";
      return 2;
    }
    err << "eval-scheduler: seed " << one.seed << " (" << (i + 1) << "/" << options.seeds << "), "
        << setup->scenarios.size() << " scenario(s) of " << setup->intervals << " rebalances..." << std::endl;
    auto results = eval::run_scenarios(one, *setup);
    if (!results) {
      err << "ws-ingest eval-scheduler: " << results.error() << "\n";
      return 1;
    }
    out << (i > 0 ? "\n" : "") << eval::render_seed(one, *setup, *results) << std::flush;
    runs.push_back({one.seed, std::move(*results)});
  }
  if (runs.size() > 1) out << eval::render_summary(runs);
  out << eval::render_targets(runs) << std::flush;
  const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - started;
  err << "evaluated in " << std::fixed << std::setprecision(1) << wall.count() << " s of wall time\n";
  if (!options.plot.empty()) {
    if (auto w = eval::write_svg(options.plot, runs.front().scenarios, options.plot_bucket_min); !w) {
      err << "ws-ingest eval-scheduler: " << w.error() << "\n";
      return 1;
    }
    err << "chart written to " << options.plot << "\n";
  }
  return 0;
}

EvalSchedulerCommand::EvalSchedulerCommand(CLI::App& app)
    : sub_(app.add_subcommand("eval-scheduler",
                              "evaluate the subscription scheduler against an oracle and baselines on simulated "
                              "markets, in virtual time (no sockets)")) {
  eval::EvalOptions& o = options_;
  CLI::App& s = *sub_;
  s.add_option("--seed", o.seed, "seed of the market, our exploration and the random baseline")
      ->check(non_negative())
      ->capture_default_str();
  s.add_option("--seeds", o.seeds, "number of seeds: --seed, --seed + 1, ... (a paired summary when > 1)")
      ->check(non_negative())
      ->capture_default_str();
  s.add_option("--hours", o.hours, "simulated hours per scenario, warm-up included")->capture_default_str();
  s.add_option("--slots", o.slots, "quote-subscription slots (Massive: 1,000 per connection)")
      ->check(non_negative())
      ->capture_default_str();
  s.add_option("--scenario", o.scenario, "all, stationary, drifting, bursty or new-listings")->capture_default_str();
  s.add_option("--rebalance-interval-s", o.rebalance_interval_s, "seconds between rebalances (every policy)")
      ->check(non_negative())
      ->capture_default_str();
  s.add_option("--trade-rate", o.trade_rate, "offered option trades per simulated second, market-wide")
      ->capture_default_str();
  s.add_option("--warmup-min", o.warmup_min, "simulated minutes before measuring (static picks its set then)")
      ->capture_default_str();
  s.add_option("--plot-bucket-min", o.plot_bucket_min, "simulated minutes per point of the chart")
      ->capture_default_str();
  s.add_option("--plot", o.plot, "write an SVG chart of coverage over time per policy (first seed) to this file");
  s.add_option("--underlyings", o.underlyings, "underlyings of the simulated market [simulator's default: 600]")
      ->check(non_negative());
  s.add_option("--chain-scale", o.chain_scale, "strikes-per-expiry scale (1.0: ~223,000 contracts)");
  s.add_option("--zipf", o.zipf, "Zipf exponent of the underlyings' popularity [simulator's default: 1.1]");
  s.add_option("--top-n", o.top_n, "ours: reserved slots [default: the library's 500, scaled to --slots / 1000]")
      ->check(non_negative());
  s.add_option("--exploration-fraction", o.exploration_fraction, "ours: share of the slots explored [library default]");
  s.add_option("--hysteresis", o.hysteresis, "ours: incumbent margin factor [library default]");
  s.add_option("--half-life-s", o.half_life_s, "decay half-life of the rates, s (ours and greedy) [library default]");
  s.add_option("--exploration-hold-intervals", o.exploration_hold_intervals,
               "ours: rebalances an exploration pick keeps its slot [library default]")
      ->check(non_negative());
  s.add_option("--exploration-memory-epochs", o.exploration_memory_epochs,
               "ours: epochs an exploration is remembered [library default]")
      ->check(non_negative());
  s.add_option("--exploration-weighting", o.exploration_weighting,
               "ours: posterior, uniform or priority [library default: posterior]");
  s.add_option("--volume-weight", o.volume_weight, "weight of traded volume in the priority (ours and greedy)");
  s.add_option("--put-call-pooling", o.put_call_pooling,
               "share of a trade credited to its put-call pair (ours and greedy+pool) [library default]");
}

bool EvalSchedulerCommand::selected() const { return sub_->parsed(); }

int EvalSchedulerCommand::run() const {
  try {
    return run_eval_scheduler(options_, std::cout, std::cerr);
  } catch (const std::exception& e) {  // std::bad_alloc
    std::cerr << "ws-ingest eval-scheduler: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace ws_ingest
