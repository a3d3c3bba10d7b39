#!/usr/bin/env bash
# This file implements the one command of the trainer benchmark against PyTorch: it
# installs what is missing (the build dependencies and Debian's Fashion-MNIST through
# scripts/install-deps.sh, Debian's python3-torch), builds our side in build/release
# (Release, HWNAS_NATIVE: -march=native, so AVX2/FMA) and runs bench/trainer_vs_pytorch.py,
# which trains each reference network in bench/networks/ with both trainers and prints the
# table. Arguments are passed to the Python script (e.g. --epochs 1, --batches 128).
#
# usage: bench/trainer_vs_pytorch.sh [--epochs N] [--train-limit N] [--batches 64,128] ...
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bench/prepare_torch_bench.sh trainer-throughput
exec /usr/bin/python3 bench/trainer_vs_pytorch.py --build-dir build/release "$@"
