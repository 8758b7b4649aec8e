#!/usr/bin/env bash
# Copyright (c) James Kassemi, SC, US. All rights reserved.
#
# The massive-sim binary: --help documents the options, a bad scenario exits 2, a server on
# --port 0 prints its URL as the first line of stdout, answers on it, takes console commands on
# stdin, and stops cleanly (exit 0) on SIGTERM and on `quit`.
# Usage: binary_test.sh /path/to/massive-sim
set -euo pipefail
sim="$1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true' EXIT

"$sim" --help > "$tmp/help"
for opt in --bind --port --key --seed --scenario --rate --fault --no-console --replay --auto-fragment; do
  grep -q -- "$opt" "$tmp/help" || { echo "--help does not document $opt"; exit 1; }
done

set +e
"$sim" --scenario nope --no-console > /dev/null 2> "$tmp/err"
code=$?
set -e
[ "$code" = 2 ] || { echo "unknown scenario: exit $code, expected 2"; exit 1; }
grep -q "unknown scenario: nope" "$tmp/err" || { echo "no message for the unknown scenario"; exit 1; }

# A server on a free port, stopped by SIGTERM.
"$sim" --port 0 --no-console --seed 7 --scenario stationary > "$tmp/out" 2> "$tmp/log" &
pid=$!
for _ in $(seq 100); do [ -s "$tmp/out" ] && break; sleep 0.1; done
line=$(head -n1 "$tmp/out")
[[ "$line" =~ ^massive-sim\ listening\ on\ ws://127\.0\.0\.1:([0-9]+)\ \(paths\ /stocks,\ /options\)$ ]] || {
  echo "unexpected first line: $line"; exit 1; }
port="${BASH_REMATCH[1]}"
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /crypto HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n' >&3
read -r -t 5 status <&3 || true
exec 3>&-
[[ "$status" == "HTTP/1.1 404"* ]] || { echo "expected a 404 for /crypto, got: $status"; exit 1; }
kill -TERM "$pid"
wait "$pid"
code=$?
pid=""
[ "$code" = 0 ] || { echo "SIGTERM: exit $code"; exit 1; }
grep -q "stopped (SIGTERM)" "$tmp/log" || { echo "no clean-stop message"; cat "$tmp/log"; exit 1; }

# The console: stats answers JSON, quit stops the server.
printf 'stats\nconns\nbogus\nquit\n' | "$sim" --port 0 > "$tmp/console" 2>&1
grep -q '"connections_accepted":0' "$tmp/console" || { echo "stats did not answer"; cat "$tmp/console"; exit 1; }
grep -q "no open connection" "$tmp/console" || { echo "conns did not answer"; exit 1; }
grep -q "unknown action: bogus" "$tmp/console" || { echo "no error for a bad console line"; exit 1; }
echo "massive-sim binary: ok"
