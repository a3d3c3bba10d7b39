#!/usr/bin/env bash
# This script shows that a change keeps a search's results: it runs one config (default:
# the quickstart) with this tree's nas-run and with a baseline, and compares
# history.jsonl (without timing fields, in candidate order) and pareto.json
# (bench/same_results.py). The baseline is a git revision, built in a temporary worktree,
# or a nas-run binary.
#
#   bench/same_results.sh HEAD~3                 # this tree against three commits ago
#   bench/same_results.sh /tmp/nas-run-before configs/examples/kws_ds_cnn_2d.json
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
base=${1:?usage: bench/same_results.sh REVISION|NAS_RUN [CONFIG]}
config=$(realpath "${2:-$root/configs/quickstart.json}")
work=$(mktemp -d /tmp/same-results.XXXXXX)
trap 'git -C "$root" worktree remove --force "$work/base-tree" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

build() {  # build SOURCE_DIR BUILD_DIR: nas-run only
  cmake -S "$1" -B "$2" -DCMAKE_BUILD_TYPE=Release -DHWNAS_BUILD_TESTS=OFF >/dev/null
  cmake --build "$2" -j"$(nproc)" --target nas-run >/dev/null
}

bash "$root/scripts/install-deps.sh" build
build "$root" "$root/build/release"
if [[ -x $base && -f $base ]]; then
  base_binary=$(realpath "$base")
else
  git -C "$root" worktree add --detach "$work/base-tree" "$base" >/dev/null
  build "$work/base-tree" "$work/base-build"
  base_binary=$work/base-build/nas-run
fi
for side in base this; do
  binary=$([[ $side == base ]] && echo "$base_binary" || echo "$root/build/release/nas-run")
  echo "running $config with the $side nas-run ($binary)"
  "$binary" --log-level warn search "$config" --out "$work/$side" >"$work/$side.log" 2>&1 ||
    { cat "$work/$side.log"; exit 1; }
done
/usr/bin/python3 "$root/bench/same_results.py" "$work/base" "$work/this"
