#!/usr/bin/env bash
# This file implements the one command of the reference DS-CNN check: the issue's
# 15K-parameter DS-CNN (bench/networks/ds_cnn_small.json) trained 8 epochs on full
# Fashion-MNIST by `nas-run train` (float and int8 test accuracy) and by PyTorch with the
# same recipe on the very same splits, reported side by side (bench/ds_cnn_reference.py).
# About 5 minutes on 2 idle cores. Arguments go to the Python driver (--threads, --seed).
#
# usage: bench/ds_cnn_reference.sh [--threads 2] [--seed 1] [--results-dir DIR]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

scripts/install-deps.sh run
bench/install_torch.sh

cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DHWNAS_NATIVE=ON >/dev/null
cmake --build build/release -j"$(nproc)" --target nas-run

exec /usr/bin/python3 bench/ds_cnn_reference.py --nas-run build/release/nas-run "$@"
