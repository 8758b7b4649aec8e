#!/usr/bin/env bash
# Copyright (c) James Kassemi, SC, US. All rights reserved.
#
# Resident memory of an ingesting process: ws-ingest `run` (the library, its io thread, a
# consumer that keeps up) against massive-sim in another process, with all four feeds:
#   options quotes  Q.<contract> for the 1,000 contracts the market quotes most,
#   options trades  T.*,
#   equity quotes   Q.*,   equity trades  T.*,
# on a market of --underlyings underlyings (default 4,000: about 10 k instruments with rows once
# the run is over; the count is printed). Samples VmRSS once a second and prints the peak
# (VmHWM), the last sample and ws-ingest's totals. Target (issue 12): < 32 MiB.
#
# Usage: scripts/rss.sh [--duration S] [--rate EVENTS_PER_S] [--underlyings N]
# Builds build/release (ws-ingest, massive-sim) if needed, like scripts/demo.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=30
rate=100000
underlyings=4000
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --underlyings) underlyings=$2; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

bash scripts/install-deps.sh
if [ ! -f build/release/build.ninja ]; then
  cmake --preset release -DWS_SOURCE_BUILD_TESTS=OFF -DWS_SOURCE_BUILD_BENCHMARKS=OFF
fi
cmake --build --preset release -j "$(nproc)" --target ws-ingest massive-sim
sim_bin=build/release/sim/massive-sim
ingest_bin=build/release/examples/ws-ingest

work=$(mktemp -d)
sim_pid=
cleanup() {
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

market=(--underlyings "$underlyings" --rate "$rate")
"$sim_bin" "${market[@]}" --list-contracts 1000 >"$work/contracts"
"$sim_bin" "${market[@]}" --port 0 --no-console >"$work/sim.out" 2>"$work/sim.err" &
sim_pid=$!
for _ in $(seq 100); do
  grep -q "listening on" "$work/sim.out" 2>/dev/null && break
  sleep 0.1
done
url=$(sed -n 's/^massive-sim listening on \(ws:[^ ]*\).*/\1/p' "$work/sim.out")
[ -n "$url" ] || { echo "massive-sim did not start:" >&2; cat "$work/sim.err" >&2; exit 1; }

{
  echo "base_url = \"$url\""
  echo "[feeds.options_quotes]"
  printf 'symbols = ['
  sed 's/.*/"&"/' "$work/contracts" | paste -sd, -
  echo ']'
  echo '[feeds.options_trades]'
  echo 'symbols = ["*"]'
  echo '[feeds.equity_quotes]'
  echo 'symbols = ["*"]'
  echo '[feeds.equity_trades]'
  echo 'symbols = ["*"]'
} >"$work/ws-source.toml"

MASSIVE_API_KEY=massive-sim-demo-key "$ingest_bin" run --config "$work/ws-source.toml" --duration "$duration" \
  >"$work/ingest.out" 2>&1 &
ingest_pid=$!
peak=0
last=0
while kill -0 "$ingest_pid" 2>/dev/null; do
  if rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$ingest_pid/status" 2>/dev/null) && [ -n "$rss" ]; then
    last=$rss
    hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$ingest_pid/status" 2>/dev/null || echo 0)
    [ -n "$hwm" ] && [ "$hwm" -gt "$peak" ] && peak=$hwm
  fi
  sleep 1
done
wait "$ingest_pid" || { echo "ws-ingest failed:" >&2; cat "$work/ingest.out" >&2; exit 1; }

tail -n 3 "$work/ingest.out"
echo "rss: peak (VmHWM) $((peak / 1024)) MiB ($peak kB), last sample $((last / 1024)) MiB; \
${duration} s, all four feeds, $(wc -l <"$work/contracts") option contracts quoted, ${underlyings} underlyings, ${rate} events/s offered"
if [ "$peak" -ge $((32 * 1024)) ]; then
  echo "rss: above the 32 MiB target" >&2
  exit 1
fi
