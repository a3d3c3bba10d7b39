#!/usr/bin/env bash
# This script runs bench/latency_truth: the latency model against the published measurements
# (bench/calibration/published_measurements.csv), per runtime profile and core family:
# shipped coefficients, leave-one-network-out without calibration, and calibrated on the
# board's other networks. It builds the tool first unless LATENCY_TRUTH names a binary.
#
#   bench/latency_truth.sh            # summary per core
#   bench/latency_truth.sh --rows     # every row's error too
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [[ -z ${LATENCY_TRUTH:-} ]]; then
  bash "$root/scripts/install-deps.sh" build
  cmake -S "$root" -B "$root/build/release" -DCMAKE_BUILD_TYPE=Release -DHWNAS_BUILD_TESTS=OFF >/dev/null
  cmake --build "$root/build/release" -j"$(nproc)" --target latency-truth >/dev/null
fi
exec "${LATENCY_TRUTH:-$root/build/release/latency-truth}" "$@"
