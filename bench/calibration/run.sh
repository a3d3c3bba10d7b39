#!/usr/bin/env bash
# This script runs `nas-run calibrate` on published_measurements.csv for each core family
# that has rows, under the tflm-cmsis-nn profile, and prints the in-sample and
# leave-one-out errors (the full tables and calibration files go to $OUT_DIR).
#
#   bench/calibration/run.sh                 # builds and uses build/release/nas-run
#   NAS_RUN=build-cal/nas-run PRIOR_WEIGHT=0.1 bench/calibration/run.sh
#
# The ESP32-S3 rows say runtime tflm-esp-nn: TF Lite Micro with Espressif's optimized
# kernels, which the tflm-cmsis-nn profile covers with its xtensa-lx7 coefficients ("TFLM
# with the vendor's optimized kernels"). For that core the script fits a temporary copy of
# the CSV in which those rows are relabelled tflm-cmsis-nn; the data file is not changed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if [[ -z ${NAS_RUN:-} ]]; then
  bash "$root/scripts/install-deps.sh" build
  cmake -S "$root" -B "$root/build/release" -DCMAKE_BUILD_TYPE=Release -DHWNAS_BUILD_TESTS=OFF >/dev/null
  cmake --build "$root/build/release" -j"$(nproc)" --target nas-run >/dev/null
fi
nas_run=${NAS_RUN:-$root/build/release/nas-run}
prior_weight=${PRIOR_WEIGHT:-0.1}
# The first-principles coefficients are the prior: configs/runtimes/tflm-cmsis-nn.json ships
# the result of this very fit, and a prior fitted on a held-out row would make leave-one-out
# errors look better than they are.
profile=$here/tflm-cmsis-nn-first-principles.json
out_dir=${OUT_DIR:-$(mktemp -d -t hwnas-calibration-XXXXXX)}
csv=$here/published_measurements.csv
[[ -x $nas_run ]] || { echo "run.sh: no nas-run at $nas_run (build first, or set NAS_RUN)" >&2; exit 2; }
mkdir -p "$out_dir"

# core family -> a board of the MCU database with that core. The board only selects the
# core (rows whose own board is in the database use its clock and flash wait states).
cores=(cortex-m33 cortex-m0plus xtensa-lx7 cortex-m7)
boards=(STM32U585 RP2040 ESP32-S3 STM32H743)

echo "latency calibration, profile tflm-cmsis-nn, prior weight $prior_weight (tables and JSON in $out_dir)"
for i in "${!cores[@]}"; do
  core=${cores[$i]} board=${boards[$i]} input=$csv
  if ! grep -q "\"name\": \"$board\"" "$root/configs/mcus.json"; then
    echo "$core: skipped, board $board is not in configs/mcus.json"
    continue
  fi
  if [[ $core == xtensa-lx7 ]]; then
    input=$out_dir/published_measurements_esp_nn.csv
    sed -e "s#,\.\./\.\./configs/#,$root/configs/#" -e 's/,tflm-esp-nn,/,tflm-cmsis-nn,/' "$csv" >"$input"
  fi
  table=$out_dir/$core.txt
  if ! "$nas_run" --log-level warn calibrate "$input" --mcu "$board" --profile "$profile" \
       --prior-weight "$prior_weight" --out "$out_dir/calibration-tflm-cmsis-nn-$core.json" >"$table"; then
    echo "$core: nas-run calibrate failed"
    continue
  fi
  rows=$(head -1 "$table" | sed -e 's/.*: \([0-9]* rows used\).*/\1/')
  echo "$core via $board ($rows):"
  grep -E '^(uncalibrated|in sample|leave-one-out):' "$table" | sed 's/^/  /'
done
