#!/usr/bin/env bash
# This file implements the preparation the benchmarks against PyTorch share: install what
# is missing (scripts/install-deps.sh: the build dependencies, Debian's Fashion-MNIST and
# Debian's python3-torch, 1.13 on Debian 12), then build the given targets in
# build/release (Release, HWNAS_NATIVE: -march=native, so AVX2/FMA).
#
# usage: bench/prepare_torch_bench.sh TARGET...
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/install-deps.sh run torch
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DHWNAS_NATIVE=ON >/dev/null
cmake --build build/release -j"$(nproc)" --target "$@"
