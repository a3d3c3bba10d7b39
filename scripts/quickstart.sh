#!/usr/bin/env bash
# This file implements the README's first command: install what is missing, build
# nas-run, and run the quickstart search on Fashion-MNIST (a few minutes on 2 cores).
# Extra arguments go to nas-run, e.g. `scripts/quickstart.sh --threads 4`.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh run
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DHWNAS_BUILD_TESTS=OFF >/dev/null
cmake --build build/release -j"$(nproc)" --target nas-run
exec build/release/nas-run configs/quickstart.json "$@"
