#!/usr/bin/env bash
# This file implements the README's second command: install what the tests need, build
# everything with warnings as errors, and run the whole suite with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh test
jobs=$(nproc)
cmake -S . -B build/ci -DCMAKE_BUILD_TYPE=Release -DHWNAS_WERROR=ON >/dev/null
cmake --build build/ci -j"$jobs"
ctest --test-dir build/ci -j"$jobs" --output-on-failure --timeout 900
