#!/usr/bin/env bash
# Copyright (c) James Kassemi, SC, US. All rights reserved.
#
# The fuzzers: configures build/fuzz with clang (libFuzzer + ASan + UBSan; only the fuzz targets
# and the library sources they need are compiled, never the Beast units), builds them, replays
# the saved reproducers of testdata/fuzz/regressions/<target>/, then runs each fuzzer for SECONDS
# on a work copy of its seed corpus (build/fuzz/corpus/<target>/, seeded from
# testdata/fuzz/<target>/; the repository's corpus is never written) with fuzz/<target>.dict.
# Prints per target the executions, exec/s and coverage (cov: edges, ft: features) and exits
# non-zero when any fuzzer crashed, timed out, ran out of memory or leaked, naming the file it
# saved (build/fuzz/artifacts/<target>/).
#
# Usage: scripts/fuzz.sh [SECONDS]          (default 60 per fuzzer)
# Environment: WS_SOURCE_FUZZ_CXX (clang++-14), WS_SOURCE_FUZZ_JOBS (2 compile jobs),
#              WS_SOURCE_FUZZ_PARALLEL (2 fuzzers at a time), WS_SOURCE_FUZZ_TARGETS (all four).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
case "$seconds" in
  '' | *[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS]" >&2; exit 2 ;;
esac
cxx=${WS_SOURCE_FUZZ_CXX:-clang++-14}
jobs=${WS_SOURCE_FUZZ_JOBS:-2}
parallel=${WS_SOURCE_FUZZ_PARALLEL:-2}
read -r -a targets <<< "${WS_SOURCE_FUZZ_TARGETS:-fuzz_parser fuzz_occ fuzz_config fuzz_sim_console}"
build=build/fuzz

if ! command -v "$cxx" > /dev/null; then
  echo "fuzz.sh: $cxx not found (Debian: apt-get install clang-14 libclang-rt-14-dev)" >&2
  exit 2
fi

start=$(date +%s)
mkdir -p "$build"
echo "== configure + build ${targets[*]} ($build, $cxx, -j$jobs)"
nice -n 5 cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DWS_SOURCE_BUILD_FUZZERS=ON -DWS_SOURCE_BUILD_TESTS=OFF -DWS_SOURCE_BUILD_EXAMPLES=OFF \
  -DWS_SOURCE_BUILD_BENCHMARKS=OFF -DWS_SOURCE_BUILD_SIM=OFF -DWS_SOURCE_WITH_NATS=OFF -DWS_SOURCE_INSTALL=OFF \
  > "$build/configure.log" 2>&1 || { cat "$build/configure.log"; exit 1; }
nice -n 5 cmake --build "$build" -j "$jobs" --target "${targets[@]}"
built=$(date +%s)
echo "configure + build: $((built - start)) s"

failed=()

# 1. The saved reproducers of fixed bugs: each must now run clean.
for t in "${targets[@]}"; do
  dir=testdata/fuzz/regressions/$t
  [ -d "$dir" ] || continue
  files=("$dir"/*)
  [ -e "${files[0]}" ] || continue
  if ! "$build/fuzz/$t" "${files[@]}" > "$build/$t.regressions.log" 2>&1; then
    echo "REGRESSION: $t fails on a saved reproducer in $dir (log: $build/$t.regressions.log)"
    tail -n 30 "$build/$t.regressions.log"
    failed+=("$t (regression)")
  else
    echo "$t: ${#files[@]} saved reproducer(s) pass"
  fi
done

# 2. Fuzz, `parallel` targets at a time.
run_one() {
  local t=$1
  local corpus=$build/corpus/$t artifacts=$build/artifacts/$t/
  mkdir -p "$corpus" "$artifacts"
  if [ -d "testdata/fuzz/$t" ]; then
    cp -n "testdata/fuzz/$t"/* "$corpus"/ 2> /dev/null || true
  fi
  local dict=()
  [ -f "fuzz/$t.dict" ] && dict=(-dict="fuzz/$t.dict")
  nice -n 5 "$build/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts" "${dict[@]}" "$corpus" > "$build/$t.log" 2>&1
}

declare -A status
pids=()
names=()
for t in "${targets[@]}"; do
  run_one "$t" &
  pids+=($!)
  names+=("$t")
  if [ "${#pids[@]}" -ge "$parallel" ]; then
    for i in "${!pids[@]}"; do
      if wait "${pids[$i]}"; then status[${names[$i]}]=0; else status[${names[$i]}]=$?; fi
    done
    pids=()
    names=()
  fi
done
for i in "${!pids[@]}"; do
  if wait "${pids[$i]}"; then status[${names[$i]}]=0; else status[${names[$i]}]=$?; fi
done

echo
printf '%-18s %12s %9s %8s %8s %7s  %s\n' target execs exec/s cov ft corpus result
for t in "${targets[@]}"; do
  log=$build/$t.log
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<< "$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<< "$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<< "$last")
  result=ok
  if [ "${status[$t]}" != 0 ]; then
    crash=$(ls "$build/artifacts/$t/" 2> /dev/null | head -n 1 || true)
    result="FAILED (exit ${status[$t]}; $build/artifacts/$t/${crash:-?}; log $log)"
    failed+=("$t")
  fi
  printf '%-18s %12s %9s %8s %8s %7s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result"
done
echo "fuzzing: $(($(date +%s) - built)) s ($seconds s per fuzzer, $parallel at a time); total $(($(date +%s) - start)) s"

if [ "${#failed[@]}" -gt 0 ]; then
  for t in "${failed[@]}"; do
    t=${t%% *}
    echo
    echo "== $t: $(grep -m1 -E 'ERROR: |invariant violated|runtime error|Test unit written' "$build/$t.log" 2> /dev/null || true)"
    grep -E 'invariant violated|runtime error|SUMMARY|Test unit written to' "$build/$t.log" 2> /dev/null | head -n 10 || true
  done
  echo
  echo "fuzz.sh: failed: ${failed[*]} (reproduce: $build/fuzz/<target> <crash file>)"
  exit 1
fi
echo "fuzz.sh: no crash"
