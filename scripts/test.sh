#!/usr/bin/env bash
# Copyright (c) James Kassemi, SC, US. All rights reserved.
#
# The test command: installs what the build and the tests need (Debian packages, only those
# missing), then
#   1. checks formatting (clang-format),
#   2. configures and builds a fresh Release tree with -Werror (preset `ci`, build/ci), and runs
#      clang-tidy over the library's and the examples' sources (the Beast units with --tidy-all),
#   3. runs every ctest test there (unit, golden, property, allocation, kernel agreement,
#      packaging),
#   4. builds again under AddressSanitizer + UndefinedBehaviorSanitizer (preset `asan`,
#      build/asan) and runs the unit, golden, property and kernel tests there,
#   5. builds the multi-threaded tests under ThreadSanitizer (preset `tsan`, build/tsan; only
#      those targets) and runs them: label `threaded` (the SPSC rings and BatchStream) and the
#      connection tests against massive-sim (ConnectionManager's io thread, the consumer thread,
#      the simulator's threads).
# The sanitizer builds are -O1 with line tables (-g1) and assertions on (see CMakePresets.json):
# about half the compile time of -O2 -g, and the usual level for sanitizer runs.
# Usage: scripts/test.sh [--no-sanitizers] [--tidy-all]
#   --tidy-all  clang-tidy also the translation units that include Beast (src/net, the manager,
#               ws-ingest): about a minute each, so CI leaves them to this flag.
# Under CI=true (.ci/run, whose budget is 25 minutes on 2 cores) the clang-tidy step and the
# benchmark binaries are left out: they are checks and tools, not tests, and take minutes. A local
# run does both; set WS_SOURCE_CI_TIDY=1 to have CI run clang-tidy too.
set -euo pipefail
cd "$(dirname "$0")/.."

sanitizers=1
tidy_all=0
for arg in "$@"; do
  case "$arg" in
    --no-sanitizers) sanitizers=0 ;;
    --tidy-all) tidy_all=1 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

bash scripts/install-deps.sh

jobs=$(nproc)
start=$(date +%s)
step() { echo; echo "== $* ($(( $(date +%s) - start )) s)"; }

step "clang-format"
files=$(git ls-files '*.cpp' '*.hpp' 2>/dev/null || find include src tests bench examples -name '*.[ch]pp')
clang-format --dry-run --Werror $files
echo "clang-format: $(echo "$files" | wc -w) files clean"

in_ci=0
[ "${CI:-}" = true ] && in_ci=1
run_tidy=1
[ "$in_ci" = 1 ] && [ "${WS_SOURCE_CI_TIDY:-0}" != 1 ] && run_tidy=0

step "configure + build (Release, warnings as errors)"
rm -rf build/ci
bench_flag=()
[ "$in_ci" = 1 ] && bench_flag=(-DWS_SOURCE_BUILD_BENCHMARKS=OFF)
cmake --preset ci "${bench_flag[@]}"
cmake --build --preset ci -j "$jobs"

if [ "$run_tidy" = 1 ]; then
step "clang-tidy (bugprone, performance, selected modernize checks; see .clang-tidy)"
tidy=$(command -v clang-tidy-14 || command -v clang-tidy)
# One clang-tidy per core. The Beast translation units take a minute each: only with --tidy-all.
tidy_files=$(git ls-files 'src/*.cpp' 'examples/*.cpp')
if [ "$tidy_all" = 0 ]; then
  tidy_files=$(echo "$tidy_files" | grep -v -E '^(src/net/(connect|worker)\.cpp|src/connection_manager\.cpp|examples/ws-ingest/main\.cpp)$')
fi
tidy_out=$(echo "$tidy_files" | xargs -P "$jobs" -n 4 "$tidy" -p build/ci --quiet 2>/dev/null || true)
if echo "$tidy_out" | grep -qE "(warning|error):"; then
  echo "$tidy_out"
  echo "clang-tidy found problems" >&2
  exit 1
fi
echo "clang-tidy: clean"
else
  step "clang-tidy: skipped under CI=true (WS_SOURCE_CI_TIDY=1 runs it)"
fi

step "ctest (Release)"
ctest --test-dir build/ci -j "$jobs" --output-on-failure

if [ "$sanitizers" = 1 ]; then
  step "configure + build (AddressSanitizer + UndefinedBehaviorSanitizer)"
  rm -rf build/asan
  # Not the simulator and the loopback tests (their time goes to the Release run); the library,
  # its unit, golden, property and kernel tests.
  # Not ws_source::nats either (its tests, label nats, need a server and run in the Release tree).
  cmake --preset asan -DWS_SOURCE_BUILD_BENCHMARKS=OFF -DWS_SOURCE_BUILD_EXAMPLES=OFF -DWS_SOURCE_BUILD_SIM=OFF \
    -DWS_SOURCE_WITH_NATS=OFF
  cmake --build --preset asan -j "$jobs"
  step "ctest (ASan + UBSan)"
  # Not the allocation tests: they replace operator new themselves, which ASan also does (its
  # runtime's operator new[] serves libsimdjson, the test's operator delete[] frees: a mismatch
  # by construction), and counting allocations under a sanitizer measures nothing.
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build/asan -j "$jobs" --output-on-failure -L 'unit|golden|property|kernel'

  step "configure + build (ThreadSanitizer, threaded test targets only)"
  # Only the targets with more than one thread touching shared state: TSan slows everything
  # 5-15x. The rings and BatchStream (label `threaded`), and ConnectionManager against
  # massive-sim in the same process (its io thread, the consumer, the simulator's threads).
  tsan_targets=(ws_source_stream_tests ws_source_integration_tests)
  rm -rf build/tsan
  cmake --preset tsan -DWS_SOURCE_BUILD_BENCHMARKS=OFF -DWS_SOURCE_BUILD_EXAMPLES=OFF -DWS_SOURCE_WITH_NATS=OFF
  cmake --build --preset tsan -j "$jobs" --target "${tsan_targets[@]}"
  step "ctest (TSan: label threaded, and the connection tests)"
  export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
  ctest --test-dir build/tsan -j "$jobs" --output-on-failure -L threaded
  ctest --test-dir build/tsan -j "$jobs" --output-on-failure -R '^(Connections|Rebalance|TlsFixture)\.'
  unset TSAN_OPTIONS
fi

step "all tests passed"
