#!/usr/bin/env bash
# Copyright (c) James Kassemi, SC, US. All rights reserved.
#
# `ws-ingest eval-scheduler` from the command line: bad input exits 2 with a message naming the
# option (CLI11's conversion errors and the tool's own checks alike); a tiny run prints the
# tables and the verdict and writes the chart.
# Usage: cli_test.sh WS_INGEST_BINARY
set -u
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
small=(--scenario bursty --hours 0.1 --warmup-min 1 --slots 20 --underlyings 30 --chain-scale 0.25 --trade-rate 100)

expect_bad() {  # option-name args...
  local name=$1
  shift
  "$bin" eval-scheduler "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  if [ "$rc" -ne 2 ] || ! grep -q -- "$name" "$tmp/err"; then
    echo "FAIL: eval-scheduler $* -> exit $rc (want 2), stderr: $(cat "$tmp/err")"
    fail=1
  fi
}

expect_bad --slots --slots abc
expect_bad --slots --slots -3
expect_bad --slots --slots 0
expect_bad --hours --hours 0
expect_bad --seeds --seeds 0
expect_bad --scenario --scenario sideways
expect_bad --exploration-fraction --exploration-fraction 2
expect_bad --plot --plot chart.png
expect_bad --plot --plot /nonexistent-dir/chart.svg
expect_bad --no-such-option --no-such-option 1

if ! "$bin" eval-scheduler "${small[@]}" --seed 3 --plot "$tmp/chart.svg" >"$tmp/a" 2>"$tmp/err"; then
  echo "FAIL: a tiny run failed: $(cat "$tmp/err")"
  fail=1
fi
"$bin" eval-scheduler "${small[@]}" --seed 3 >"$tmp/b" 2>/dev/null
for word in oracle ours greedy greedy+pool static random "verdict: ours reaches" "targets (issue 13)"; do
  grep -q -F -- "$word" "$tmp/a" || { echo "FAIL: '$word' missing from the report"; fail=1; }
done
cmp -s "$tmp/a" "$tmp/b" || { echo "FAIL: the same seed printed different reports"; fail=1; }
head -c 4 "$tmp/chart.svg" 2>/dev/null | grep -q '<svg' || { echo "FAIL: no SVG chart written"; fail=1; }

if [ "$fail" = 0 ]; then echo "eval-scheduler CLI: all checks passed"; fi
exit "$fail"
