// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// `ws-ingest eval-scheduler`: the subscription scheduler against an oracle and baselines on
// simulated markets, in virtual time (issue 13; DESIGN.md section 6). Registration on a CLI11
// app, and the run itself, which tests call without a command line.

#include <CLI/CLI.hpp>
#include <iosfwd>

#include "options.hpp"

namespace ws_ingest {

/// Runs the evaluation of `options`: per seed, one table per scenario on `out` (flushed as each
/// seed ends), then the summary across seeds (more than one) and the verdict on the targets;
/// the chart of the first seed if `options.plot` is set. Progress and the wall time go to `err`.
/// Returns the exit code: 0 (whether or not the targets are met), 2 for invalid options (the
/// message names the option), 1 if the run or the chart fails. Never throws but std::bad_alloc.
int run_eval_scheduler(const eval::EvalOptions& options, std::ostream& out, std::ostream& err);

/// The `eval-scheduler` subcommand: constructing it adds the subcommand and its options to `app`
/// (bound to this object, which must outlive `app.parse`). Not copyable or movable.
class EvalSchedulerCommand {
 public:
  explicit EvalSchedulerCommand(CLI::App& app);
  EvalSchedulerCommand(const EvalSchedulerCommand&) = delete;
  EvalSchedulerCommand& operator=(const EvalSchedulerCommand&) = delete;

  /// Whether the parsed command line chose this subcommand.
  [[nodiscard]] bool selected() const;
  /// `run_eval_scheduler` on stdout and stderr with the parsed options.
  [[nodiscard]] int run() const;

 private:
  CLI::App* sub_;
  eval::EvalOptions options_;
};

}  // namespace ws_ingest
