#!/usr/bin/env bash
# Copyright (c) James Kassemi, SC, US. All rights reserved.
#
# Hunts a rare hang under ThreadSanitizer: runs one integration test again and again (with the
# other connection tests looping beside it for load) and, when a run outlives --limit seconds,
# saves every thread's stack (gdb) and the run's log before killing it. The README's figures for
# Connections.DisconnectStatusesReconnectAndAreCounted (4 hangs in 1,112 runs) came from this.
#
# Usage: scripts/hunt-hang.sh [--seconds S] [--limit S] [--filter GTEST_FILTER] [--out DIR]
# Builds build/tsan's integration tests if needed (as scripts/test.sh does). Needs gdb.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=1800
limit=90
filter=Connections.DisconnectStatusesReconnectAndAreCounted
out=/tmp/ws-source-hunt
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --limit) limit=$2; shift 2 ;;
    --filter) filter=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

bin=build/tsan/tests/integration/ws_source_integration_tests
if [ ! -x "$bin" ]; then
  cmake --preset tsan -DWS_SOURCE_BUILD_BENCHMARKS=OFF -DWS_SOURCE_BUILD_EXAMPLES=OFF -DWS_SOURCE_WITH_NATS=OFF
  cmake --build --preset tsan -j 2 --target ws_source_integration_tests
fi
command -v gdb > /dev/null || { echo "gdb is needed (apt-get install gdb)" >&2; exit 2; }
mkdir -p "$out"
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1

# The load: the other connection tests, looping until the hunt ends.
timeout "$seconds" "$bin" --gtest_filter="Connections.*:-$filter" --gtest_repeat=-1 > "$out/load.log" 2>&1 &
load=$!
trap 'kill $load 2> /dev/null || true' EXIT

end=$(( $(date +%s) + seconds ))
runs=0
hangs=0
failures=0
while [ "$(date +%s)" -lt "$end" ]; do
  runs=$((runs + 1))
  "$bin" --gtest_filter="$filter" > "$out/run.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 "$limit"); do
    sleep 1
    kill -0 "$pid" 2> /dev/null || break
  done
  if kill -0 "$pid" 2> /dev/null; then
    hangs=$((hangs + 1))
    gdb -p "$pid" -batch -ex "thread apply all bt" > "$out/stacks-$runs.txt" 2>&1 || true
    cp "$out/run.log" "$out/run-$runs.log"
    kill -9 "$pid"
    wait "$pid" 2> /dev/null || true
    echo "run $runs: hung (stacks in $out/stacks-$runs.txt)"
  elif ! wait "$pid"; then
    failures=$((failures + 1))
    cp "$out/run.log" "$out/run-$runs.log"
    echo "run $runs: failed (log in $out/run-$runs.log)"
  fi
done
echo "$runs runs of $filter: $hangs hung (over ${limit} s), $failures failed"
