#!/usr/bin/env bash
# This script runs bench/scaling: how a search scales with MPI ranks (docs/hpc.md).
#  (a) real evaluations per hour on this machine: the same search (Fashion-MNIST, every
#      candidate trained and quantised) as one process and with N ranks, for each N of
#      RANKS (default "2 3"; add 5, 9, 17 where the machine has the cores), every run
#      checked to give the one-process run's history and Pareto sets;
#  (b) the controller's overhead: a real search whose workers sleep SECONDS (default 1)
#      instead of training, for N ranks up to 64 (oversubscribed): the share of their
#      time the workers spend evaluating rather than waiting for rank 0.
#
#   bench/scaling.sh                      # both parts
#   RANKS="2 5 9 17" bench/scaling.sh a   # part (a) on a 16-core machine
#   bench/scaling.sh b
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
parts=${1:-ab}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
bash "$root/scripts/install-deps.sh" run python >/dev/null
cmake -S "$root" -B "$root/build/release" -DCMAKE_BUILD_TYPE=Release -DHWNAS_BUILD_TESTS=OFF >/dev/null
cmake --build "$root/build/release" -j"$(nproc)" --target nas-run mpi-scaling >/dev/null
work=$(mktemp -d /tmp/hwnas-scaling.XXXXXX)
trap 'rm -rf "$work"' EXIT
cores=$(nproc)

# A config: the quickstart's space, EVALUATIONS candidates at one fidelity, no later
# stages, PARALLEL in flight, the run in OUTPUT_DIR.
config() {  # config FILE EVALUATIONS PARALLEL DATASET_JSON OUTPUT_DIR
  cat > "$1" <<JSON
{"dataset": $4,
 "space": {"name": "quickstart_cnn", "stages": [
   {"block": "conv", "filters": {"choice": [16, 24, 32]}, "kernel": {"choice": [3, 5]}},
   {"block": "pool", "pool_type": "max", "pool_size": 2},
   {"block": {"choice": ["conv", "separable"]}, "depth": {"min": 1, "max": 3}, "filters": {"choice": [16, 32, 48]},
    "kernel": {"choice": [3, 5]}, "stride": {"choice": [1, 2]}},
   {"block": "global_pool"},
   {"block": "dense", "depth": {"min": 0, "max": 1}, "units": {"choice": [32, 64]}},
   {"block": "classifier"}]},
 "targets": [{"mcu": "STM32F746", "max_ram_kb": 64, "max_flash_kb": 256}],
 "search": {"strategy": "aging_evolution", "evaluations": $2, "population_size": 8, "sample_size": 3, "seed": 1,
            "parallel": $3, "fidelity": {"epochs": 1, "train_samples": 4000}, "retrain_final": false},
 "training": {"epochs": 1, "batch_size": 64, "learning_rate": 0.05, "momentum": 0.9},
 "output": {"dir": "$5"}}
JSON
}

if [[ $parts == *a* ]]; then
  fashion='{"format": "idx", "train_images": "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz",
            "train_labels": "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz",
            "test_images": "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz",
            "test_labels": "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz",
            "train_limit": 20000, "test_limit": 2000}'
  evaluations=${EVALUATIONS:-24}
  config "$work/a.json" "$evaluations" 16 "$fashion" "$work/a-run"
  echo "(a) real evaluations per hour: $evaluations candidates, 1 epoch on 4000 Fashion-MNIST images each, $cores cores"
  echo "    (1 rank: one process, its thread pool trains search.parallel = 16 candidates at once on all cores;"
  echo "     N ranks: rank 0 hands out work, each of the N - 1 workers trains one candidate at a time)"
  printf '%-8s %-9s %-16s %-12s %-14s %s\n' ranks workers "threads each" seconds "evals/hour" "same results"
  run() {  # run NAME COMMAND...
    local start end
    start=$(date +%s.%N)
    "${@:2}" >"$work/$1.log" 2>&1 || { cat "$work/$1.log"; exit 1; }
    end=$(date +%s.%N)
    echo "$start $end"
  }
  read -r s e < <(run one "$root/build/release/nas-run" --log-level warn search "$work/a.json" --out "$work/one")
  base=$(awk "BEGIN {print $e - $s}")
  printf '%-8s %-9s %-16s %-12.1f %-14.0f %s\n' 1 "-" "$cores" "$base" "$(awk "BEGIN {print $evaluations * 3600 / $base}")" "(reference)"
  for n in ${RANKS:-2 3}; do
    read -r s e < <(run "np$n" mpirun -np "$n" "$root/build/release/nas-run" --log-level warn search "$work/a.json" --out "$work/np$n")
    t=$(awk "BEGIN {print $e - $s}")
    same=$(/usr/bin/python3 "$root/bench/same_results.py" "$work/one" "$work/np$n" >/dev/null && echo yes || echo NO)
    printf '%-8s %-9s %-16s %-12.1f %-14.0f %s\n' "$n" $((n - 1)) $((cores / (n - 1) > 0 ? cores / (n - 1) : 1)) "$t" \
      "$(awk "BEGIN {print $evaluations * 3600 / $t}")" "$same"
  done
fi

if [[ $parts == *b* ]]; then
  seconds=${SECONDS_PER_EVALUATION:-1}
  synthetic='{"format": "synthetic", "shape": [28, 28, 1], "classes": 10, "train_size": 5000, "test_size": 100}'
  echo "(b) controller overhead: workers sleep ${seconds}s per evaluation, 8 evaluations per worker"
  printf '%-8s %-9s %-12s %-12s %s\n' ranks workers evaluations "busy mean" "busy min"
  for n in ${B_RANKS:-2 4 8 16 32 64}; do
    config "$work/b$n.json" $((8 * (n - 1))) $((n - 1)) "$synthetic" "$work/b$n-run"
    line=$(cd "$work" && mpirun -np "$n" "$root/build/release/mpi-scaling" "$work/b$n.json" "$seconds" 2>"$work/b$n.err" |
           tail -1) || { cat "$work/b$n.err"; exit 1; }
    /usr/bin/python3 -c "import json,sys; d=json.loads(sys.argv[1]); print('%-8d %-9d %-12d %-12.3f %.3f' % (d['ranks'], d['workers'], d['evaluations'], d['busy_mean'], d['busy_min']))" "$line"
  done
fi
