#!/usr/bin/env bash
# This file implements the one command of the search-quality benchmark: install what is
# missing (scripts/install-deps.sh run: the build dependencies and Debian's Fashion-MNIST),
# build `search-quality` in build/release (Release, HWNAS_NATIVE: -march=native) and run
# it: hypervolume of aging evolution and NSGA-II against random search at a fixed budget
# of low-fidelity evaluations, over 5 seeds (bench/README.md#search-quality). About 3,100
# CPU seconds with the defaults (41 minutes on the shared 2-core VM).
#
# usage: bench/search_quality.sh [--seeds 1,2,3,4,5] [--strategies random,aging_evolution,nsga2]
#                                [--evaluations N] [--threads 2] [--config FILE] [--out DIR]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/install-deps.sh run
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DHWNAS_NATIVE=ON >/dev/null
cmake --build build/release -j"$(nproc)" --target search-quality
exec build/release/search-quality "$@"
