#!/usr/bin/env bash
# Copyright (c) James Kassemi, SC, US. All rights reserved.
#
# The test command: installs what the build and the tests need (Debian packages, only those
# missing), then
#   1. checks formatting (clang-format),
#   2. configures and builds a fresh Release tree with -Werror (preset `ci`, build/ci), and runs
#      clang-tidy over the library's and the examples' sources,
#   3. runs every ctest test there (unit, golden, property, allocation, kernel agreement,
#      packaging),
#   4. builds again under AddressSanitizer + UndefinedBehaviorSanitizer (preset `asan`,
#      build/asan) and runs the unit, golden, property and kernel tests there.
# Usage: scripts/test.sh [--no-sanitizers]
set -euo pipefail
cd "$(dirname "$0")/.."

sanitizers=1
for arg in "$@"; do
  case "$arg" in
    --no-sanitizers) sanitizers=0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

packages=(cmake ninja-build g++ clang-format clang-tidy libsimdjson-dev libgtest-dev googletest librapidcheck-dev libbenchmark-dev)
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "== installing missing Debian packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

jobs=$(nproc)
start=$(date +%s)
step() { echo; echo "== $* ($(( $(date +%s) - start )) s)"; }

step "clang-format"
files=$(git ls-files '*.cpp' '*.hpp' 2>/dev/null || find include src tests bench examples -name '*.[ch]pp')
clang-format --dry-run --Werror $files
echo "clang-format: $(echo "$files" | wc -w) files clean"

step "configure + build (Release, warnings as errors)"
rm -rf build/ci
cmake --preset ci
cmake --build --preset ci -j "$jobs"

step "clang-tidy (bugprone, performance, selected modernize checks; see .clang-tidy)"
tidy=$(command -v clang-tidy-14 || command -v clang-tidy)
tidy_out=$("$tidy" -p build/ci --quiet $(git ls-files 'src/*.cpp' 'examples/*.cpp') 2>/dev/null)
if echo "$tidy_out" | grep -qE "(warning|error):"; then
  echo "$tidy_out"
  echo "clang-tidy found problems" >&2
  exit 1
fi
echo "clang-tidy: clean"

step "ctest (Release)"
ctest --test-dir build/ci -j "$jobs" --output-on-failure

if [ "$sanitizers" = 1 ]; then
  step "configure + build (AddressSanitizer + UndefinedBehaviorSanitizer)"
  rm -rf build/asan
  cmake --preset asan -DWS_SOURCE_BUILD_BENCHMARKS=OFF -DWS_SOURCE_BUILD_EXAMPLES=OFF
  cmake --build --preset asan -j "$jobs"
  step "ctest (ASan + UBSan)"
  # Not the allocation tests: they replace operator new themselves, which ASan also does (its
  # runtime's operator new[] serves libsimdjson, the test's operator delete[] frees: a mismatch
  # by construction), and counting allocations under a sanitizer measures nothing.
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build/asan -j "$jobs" --output-on-failure -L 'unit|golden|property|kernel'
fi

step "all tests passed"
