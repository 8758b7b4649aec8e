#!/usr/bin/env bash
# Copyright (c) James Kassemi, SC, US. All rights reserved.
#
# Installs the Debian 12 packages ws-source builds and tests with, only those missing (idempotent;
# apt-get as root, or through sudo). Sourced or run by scripts/test.sh and scripts/demo.sh.
set -euo pipefail
packages=(cmake ninja-build g++ clang-format clang-tidy openssl libsimdjson-dev libgtest-dev googletest
          librapidcheck-dev libbenchmark-dev libboost1.81-dev libssl-dev libspdlog-dev libcli11-dev
          libtomlplusplus-dev libnats-dev nats-server clang-14 libclang-rt-14-dev)
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
