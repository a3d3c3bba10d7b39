#!/usr/bin/env bash
# This file implements the one command of the fashion-mnist-64k comparison: builds
# nas-run, trains the hand-designed DS-CNN baseline with the run's recipe and splits, and
# reports whether the run's Pareto set dominates it (bench/fashion_mnist_64k_baseline.py).
#
# usage: bench/fashion_mnist_64k_baseline.sh RUN_DIR [--config C] [--bar 0.92] [--reuse-baseline DIR]
#   where RUN_DIR is a finished `nas-run configs/fashion-mnist-64k.json` run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/install-deps.sh run python
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DHWNAS_NATIVE=ON >/dev/null
cmake --build build/release -j"$(nproc)" --target nas-run
exec /usr/bin/python3 bench/fashion_mnist_64k_baseline.py --nas-run build/release/nas-run "$@"
