#!/usr/bin/env bash
# This file implements the dependency installer used by both README commands.
# It installs only the Debian packages that are missing (idempotent) and runs
# `apt-get update` only when something has to be installed.
#
# usage: scripts/install-deps.sh [build|run|test|torch|python]...
#   build : compiler, CMake and the libraries the engine links against (OpenMPI included)
#   run   : build + the default dataset (Debian's dataset-fashion-mnist)
#   test  : build + what the test suite needs: the dataset (tests use real images),
#           Debian's python3-onnx (the ONNX checker), the Arm cross compiler, newlib and
#           qemu-system-arm (the generated C runs on emulated Cortex-M boards), Node.js
#           and, from npm, onnxruntime-node into tests/onnx/ (ONNX Runtime runs the
#           exported models), and Slurm (slurmctld, slurmd, munge) for the test of the batch
#           scripts on a one-node cluster. --no-install-recommends below keeps the Arm set
#           near 800 MB (with recommends apt adds 3 GB)
#   torch : Debian's python3-torch, for the benchmarks against PyTorch (call it with
#           /usr/bin/python3: a pyenv python3 on the PATH never sees Debian's packages)
#   python: Debian's python3, for the benchmark scripts that need nothing else
set -euo pipefail

build_pkgs=(g++ cmake make pkg-config zlib1g-dev libeigen3-dev libtbb-dev nlohmann-json3-dev
            libspdlog-dev doctest-dev libcli11-dev libprotobuf-dev libonnx-dev libopenmpi-dev openmpi-bin)
dataset_pkgs=(dataset-fashion-mnist)
test_pkgs=(python3-onnx gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm slurmctld slurmd slurm-client munge)
# Node.js and npm from Debian, unless a node and npm are already on the PATH.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then test_pkgs+=(nodejs npm); fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

wanted=()
want_ort=0
[ $# -eq 0 ] && set -- build
for profile in "$@"; do
  case "$profile" in
    build) wanted+=("${build_pkgs[@]}") ;;
    run) wanted+=("${build_pkgs[@]}" "${dataset_pkgs[@]}") ;;
    test) wanted+=("${build_pkgs[@]}" "${dataset_pkgs[@]}" "${test_pkgs[@]}"); want_ort=1 ;;
    torch) wanted+=(python3-torch) ;;
    python) wanted+=(python3) ;;
    *) echo "install-deps.sh: unknown profile '$profile' (expected build, run, test, torch or python)" >&2; exit 2 ;;
  esac
done

missing=()
for pkg in "${wanted[@]}"; do
  # dpkg-query reports "install ok installed" only for fully installed packages.
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  if [ "$status" != "install ok installed" ]; then
    case " ${missing[*]-} " in *" $pkg "*) ;; *) missing+=("$pkg") ;; esac
  fi
done

# ONNX Runtime for the exporter tests, from npm (tests/onnx/package.json pins it). The skip
# keeps its install script from fetching CUDA binaries outside npm; the CPU build is bundled.
install_onnxruntime() {
  [ "$want_ort" = 1 ] || return 0
  [ -d "$root/tests/onnx/node_modules/onnxruntime-node" ] && return 0
  echo "install-deps: installing onnxruntime-node into tests/onnx (npm)"
  (cd "$root/tests/onnx" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error)
}

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  install_onnxruntime
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
install_onnxruntime
