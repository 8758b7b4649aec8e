#!/usr/bin/env bash
# Measures the resident memory of `ws-source run` ingesting all four feeds from a separate
# massive-sim process on loopback (T.* on ~223,000 option contracts, Q.*/T.* on 600 stocks,
# 1,000 scheduled option quotes). Prints VmRSS every 9 s over a 30 s run.
#
#   scripts/measure-rss.sh [TOTAL_RATE]      (default 300000 events/s offered)
set -euo pipefail
cd "$(dirname "$0")/.."
rate="${1:-300000}"
port=18765
cargo build --release -q -p massive-sim -p ws-source-cli
config="$(mktemp --suffix .toml)"
cat > "$config" <<TOML
base_url = "ws://127.0.0.1:$port"
[feeds.options_quotes]
scheduled = true
[feeds.options_trades]
symbols = ["*"]
[feeds.equity_quotes]
symbols = ["*"]
[feeds.equity_trades]
symbols = ["*"]
[scheduler]
rebalance_interval_s = 2
TOML
./target/release/massive-sim --port "$port" --total-rate "$rate" --option-trades 30000 >/dev/null 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null; rm -f "$config"' EXIT
sleep 2
MASSIVE_API_KEY=massive-sim-demo-key ./target/release/ws-source run --config "$config" \
    --duration 30 --metrics-addr off 2>/tmp/ws-source-rss.log &
ws=$!
for _ in 1 2 3; do
    sleep 9
    grep VmRSS "/proc/$ws/status"
done
wait "$ws"
grep "total rows" /tmp/ws-source-rss.log
