#!/usr/bin/env bash
# This file implements the preparation the benchmarks against PyTorch share: install what
# is missing (the build dependencies and Debian's Fashion-MNIST through
# scripts/install-deps.sh; Debian's python3-torch, 1.13 on Debian 12, only if Debian's
# /usr/bin/python3 cannot import it: a pyenv python3 on the PATH never sees Debian's
# packages), then build the given targets in build/release (Release, HWNAS_NATIVE:
# -march=native, so AVX2/FMA).
#
# usage: bench/prepare_torch_bench.sh TARGET...
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

scripts/install-deps.sh run
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "prepare_torch_bench: need root or sudo to install python3-torch" >&2; exit 1; }
    SUDO="sudo"
  fi
  echo "prepare_torch_bench: installing python3-torch"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q python3-torch
fi

cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DHWNAS_NATIVE=ON >/dev/null
cmake --build build/release -j"$(nproc)" --target "$@"
