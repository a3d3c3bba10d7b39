#!/usr/bin/env bash
# This file implements the one command of the reference DS-CNN check: the issue's
# 15K-parameter DS-CNN (bench/networks/ds_cnn_small.json) trained 8 epochs on full
# Fashion-MNIST by `nas-run train` (float and int8 test accuracy) and by PyTorch with the
# same recipe on the very same splits, for several seeds, reported side by side
# (bench/ds_cnn_reference.py). About 15 minutes on 2 idle cores for the default 3 seeds.
#
# usage: bench/ds_cnn_reference.sh [--seeds 1,2,3] [--threads 2] [--results-dir DIR]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bench/prepare_torch_bench.sh nas-run
exec /usr/bin/python3 bench/ds_cnn_reference.py --nas-run build/release/nas-run "$@"
