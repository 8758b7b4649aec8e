#!/usr/bin/env bash
# Copyright (c) James Kassemi, SC, US. All rights reserved.
#
# The demo command: installs what is missing (Debian packages), configures and builds the
# Release tree (build/release, only what the demo needs), then runs
#   ws-ingest demo [ARGS]
# which starts massive-sim on loopback and ingests all four feeds from it (no API key), printing
# one summary line per second. Default: 10 seconds; pass e.g. `--duration 0` (until Ctrl-C),
# `--rate 200000`, `--scenario bursty`, `--jsonl rows.jsonl`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
if [ ! -f build/release/build.ninja ]; then
  cmake --preset release -DWS_SOURCE_BUILD_TESTS=OFF -DWS_SOURCE_BUILD_BENCHMARKS=OFF
fi
cmake --build --preset release -j "$(nproc)" --target ws-ingest
args=("$@")
[ "${#args[@]}" -eq 0 ] && args=(--duration 10)
exec build/release/examples/ws-ingest demo "${args[@]}"
