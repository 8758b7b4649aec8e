#!/usr/bin/env bash
# Copyright (c) James Kassemi, SC, US. All rights reserved.
#
# `ws-ingest demo --metrics-addr`: after a short demo run against the embedded simulator, an
# HTTP GET of /metrics answers 200 with the named series of both clusters (Prometheus text), and
# no line of the demo's output or of the metrics holds the API key.
# Usage: ws_ingest_metrics_test.sh PATH/TO/ws-ingest
set -euo pipefail
bin=$1
out=$(mktemp)
body=$(mktemp)
trap 'rm -f "$out" "$body"; [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true' EXIT

# Port 0: the system picks a free one; the demo prints it.
"$bin" demo --duration 8 --rate 20000 --metrics-addr 127.0.0.1:0 >"$out" 2>&1 &
pid=$!
port=""
for _ in $(seq 1 100); do
  port=$(sed -n 's|^ws-ingest: metrics on http://127.0.0.1:\([0-9]*\)/metrics$|\1|p' "$out")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "no metrics address printed:"; cat "$out"; exit 1; }
sleep 4  # connected, subscribed, a rebalance done, batches consumed

exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
cat <&3 >"$body"
exec 3<&-

head -1 "$body" | grep -q '^HTTP/1.1 200' || { echo "not 200:"; head -5 "$body"; exit 1; }
grep -qi '^content-type: text/plain; version=0.0.4' "$body" || { echo "no Prometheus content type"; exit 1; }
missing=0
for series in \
  'ws_source_subs_active{cluster="options",shard="0"}' \
  'ws_source_subs_active{cluster="stocks",shard="0"}' \
  'ws_source_connected{cluster="options",shard="0"} 1' \
  'ws_source_events_received_total{cluster="options",shard="0"}' \
  'ws_source_events_delivered_total{cluster="stocks",shard="0"}' \
  'ws_source_events_consumed_total{cluster="stocks",shard="0"}' \
  'ws_source_events_dropped_total{cluster="options",shard="0",reason="queue_full"}' \
  'ws_source_events_dropped_total{cluster="options",shard="0",reason="conflated"}' \
  'ws_source_reconnects_total' 'ws_source_disconnects_total' 'ws_source_max_connections_total' \
  'ws_source_parse_errors_total' 'ws_source_late_events_total' 'ws_source_gaps_total' \
  'ws_source_evictions_total{cluster="options",shard="0"}' 'ws_source_rebalances_total' \
  'ws_source_scheduled_subs_active' 'ws_source_scheduled_capacity' 'ws_source_shed_capacity' \
  'ws_source_queue_depth' 'ws_source_queue_capacity' 'ws_source_conflating' 'ws_source_sheds_total' \
  'ws_source_staleness_seconds_bucket{cluster="options",shard="0",kind="batch",le="+Inf"}' \
  'ws_source_staleness_seconds_count{cluster="stocks",shard="0",kind="event"}'; do
  if ! grep -qF "$series" "$body"; then
    echo "missing: $series"
    missing=1
  fi
done
[ "$missing" = 0 ] || { sed -n '1,40p' "$body"; exit 1; }
# Rows flowed: the options connection received events.
grep -E '^ws_source_events_received_total\{cluster="options",shard="0"\} [1-9]' "$body" >/dev/null ||
  { echo "no options events received"; grep events_received "$body"; exit 1; }

wait "$pid"
pid=""
if grep -q 'massive-sim-demo-key' "$out" "$body"; then
  echo "the API key appears in the output or the metrics"
  exit 1
fi
echo "metrics endpoint: $(grep -c '^ws_source_' "$body") samples, $(grep -c '^# TYPE' "$body") families"
