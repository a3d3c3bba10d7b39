#!/usr/bin/env bash
# This file implements the README's second command: install what the tests need, build
# everything with warnings as errors, run the whole suite with CTest, then the sanitizer
# stage (scripts/sanitizers.sh: AddressSanitizer + UBSan with the fuzz targets, and
# ThreadSanitizer on the threaded tests).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh test
jobs=$(nproc)
cmake -S . -B build/ci -DCMAKE_BUILD_TYPE=Release -DHWNAS_WERROR=ON >/dev/null
cmake --build build/ci -j"$jobs"
ctest --test-dir build/ci -j"$jobs" --output-on-failure --timeout 900
# HWNAS_SANITIZERS picks the stage: all (the default: asan, then tsan), asan, tsan or off.
bash scripts/sanitizers.sh "${HWNAS_SANITIZERS:-all}"
