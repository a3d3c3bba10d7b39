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
#           scripts on a one-node cluster; clang 16 with its sanitizer and libFuzzer runtimes
#           (clang-16, libclang-rt-16-dev) and llvm-symbolizer (llvm-16) for the sanitizer
#           stage (scripts/sanitizers.sh; clang 16 is Debian 12's first clang that compiles
#           our C++20: lambdas capturing structured bindings), and the Debian source package
#           of the installed oneTBB, unpacked (dpkg-dev) into build/tbb-tsan/src: the TSan
#           stage builds it with -fsanitize=thread. --no-install-recommends below keeps the Arm set
#           near 800 MB (with recommends apt adds 3 GB). The .tflite exports are checked
#           in two independent runtimes: Debian's Arm NN 20.08 (TfLite parser + CpuRef
#           backend) and TF Lite 2.2's C library, taken from the npm tarball node-tflite@0.0.2
#           into tests/tflite/package/ (npm pack + integrity check, no Node addon build);
#           Debian's chromium renders the run report (report.html) headless in the report
#           tests (without recommends it still brings the fonts and libraries it needs to
#           draw a page; the tests run it as root with --no-sandbox)
#   torch : Debian's python3-torch, for the benchmarks against PyTorch (call it with
#           /usr/bin/python3: a pyenv python3 on the PATH never sees Debian's packages)
#   python: Debian's python3, for the benchmark scripts that need nothing else
set -euo pipefail

build_pkgs=(g++ cmake make pkg-config zlib1g-dev libeigen3-dev libtbb-dev nlohmann-json3-dev
            libspdlog-dev doctest-dev libcli11-dev libprotobuf-dev libonnx-dev libopenmpi-dev openmpi-bin
            libflatbuffers-dev)
dataset_pkgs=(dataset-fashion-mnist)
test_pkgs=(python3-onnx gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm slurmctld slurmd slurm-client munge
           libarmnn-dev libarmnntfliteparser-dev libarmnn-cpuref-backend22 chromium clang-16 libclang-rt-16-dev llvm-16
           dpkg-dev)
# Node.js and npm from Debian, unless a node and npm are already on the PATH.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then test_pkgs+=(nodejs npm); fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

wanted=()
want_test=0
[ $# -eq 0 ] && set -- build
for profile in "$@"; do
  case "$profile" in
    build) wanted+=("${build_pkgs[@]}") ;;
    run) wanted+=("${build_pkgs[@]}" "${dataset_pkgs[@]}") ;;
    test) wanted+=("${build_pkgs[@]}" "${dataset_pkgs[@]}" "${test_pkgs[@]}"); want_test=1 ;;
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
  [ "$want_test" = 1 ] || return 0
  [ -d "$root/tests/onnx/node_modules/onnxruntime-node" ] && return 0
  echo "install-deps: installing onnxruntime-node into tests/onnx (npm)"
  (cd "$root/tests/onnx" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error)
}

# TF Lite 2.2's C library for tests/tflite/tflite_c_runner: Debian ships no TF Lite, and the
# npm tarball node-tflite@0.0.2 bundles libtensorflowlite_c.so (linux x86_64) with its C API
# headers. Only the tarball is used: `npm pack` fetches it without running any install script,
# and its sha512 must equal the integrity npm published for it.
tflite_pkg="node-tflite@0.0.2"
tflite_tgz="node-tflite-0.0.2.tgz"
tflite_integrity="sha512-YdPBblO2Ey1WS4ubvSsNt2Xf3AjSs9hqPmYkCbZWv0+ZWDsx2mfsL5XjdQdwM9v2+zF7qo8E3gKhqwBY/1fCtQ=="
install_tflite() {
  [ "$want_test" = 1 ] || return 0
  local dir="$root/tests/tflite"
  [ -f "$dir/package/tflite/linux_x86_64/libtensorflowlite_c.so" ] && return 0
  echo "install-deps: fetching $tflite_pkg into tests/tflite (npm pack)"
  mkdir -p "$dir"
  (cd "$dir" && npm pack "$tflite_pkg" --no-audit --no-fund --loglevel=error >/dev/null)
  # The integrity is base64; coreutils' sha512sum prints hex, so compare in hex.
  local want got
  want=$(printf '%s' "${tflite_integrity#sha512-}" | base64 -d | od -An -v -tx1 | tr -d ' \n')
  got=$(sha512sum "$dir/$tflite_tgz" | cut -d' ' -f1)
  if [ "$got" != "$want" ]; then
    rm -f "$dir/$tflite_tgz"
    echo "install-deps: $tflite_tgz does not match the integrity npm published for $tflite_pkg; deleted it" >&2
    echo "  expected sha512 $want" >&2
    echo "  got      sha512 $got" >&2
    exit 1
  fi
  # Extract beside, then rename: an interrupted tar never leaves a package/ that looks complete.
  rm -rf "$dir/package" "$dir/package.partial"
  mkdir "$dir/package.partial"
  tar -xzf "$dir/$tflite_tgz" -C "$dir/package.partial"
  mv "$dir/package.partial/package" "$dir/package"
  rmdir "$dir/package.partial"
}

# The source of the installed oneTBB, for the ThreadSanitizer stage: Debian's libtbb is not
# built with -fsanitize=thread, and TSan cannot see the ordering its scheduler gives
# (scripts/sanitizers.sh builds this source into build/tbb-tsan). It comes from the
# machine's own Debian mirrors, through apt-get source so that the Sources index signed by
# the Debian archive key vouches for every file. apt reads a sources list of our own,
# deb-src lines for the mirrors and suites the machine's Debian packages come from, with
# its own index and cache folders beside it: nothing under /etc/apt or /var changes, and a
# deb-src line in sources.list.d could clash with the Signed-By of the machine's entries.
install_tbb_source() {
  [ "$want_test" = 1 ] || return 0
  local dir="$root/build/tbb-tsan" version
  version=$(dpkg-query -W -f='${source:Version}' libtbb-dev)
  [ -f "$dir/src/CMakeLists.txt" ] && [ "$(cat "$dir/src-version" 2>/dev/null)" = "$version" ] && return 0
  echo "install-deps: fetching Debian's onetbb $version source into build/tbb-tsan/src (apt-get source)"
  local apt="$dir/apt"
  rm -rf "$apt" "$dir/src" "$dir/src-version"
  mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/download"
  # The machine's own entries (read from its apt configuration, downloaded or not) for this
  # Debian release's suites: other repositories (Node.js, vendors) have no onetbb source.
  local codename
  codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
  apt-get indextargets --no-release-info --format '$(REPO_URI) $(RELEASE)' 'Target-Of: deb' \
      'Identifier: Packages' 'Component: main' | sort -u |
    awk -v c="$codename" '$2 == c || $2 == c "-updates" || $2 == c "-security" { print "deb-src", $1, $2, "main" }' \
      >"$apt/sources.list"
  if [ ! -s "$apt/sources.list" ]; then
    echo "install-deps: apt knows no Debian mirror to take the onetbb source from (apt-get indextargets)" >&2
    exit 1
  fi
  local opts=(-q -o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/nonexistent
              -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o Debug::NoLocking=1)
  apt-get "${opts[@]}" update >/dev/null
  # The version the installed headers and library come from; apt-get source checks the
  # files' hashes against the signed index and unpacks them with Debian's patches.
  local out
  if ! out=$(cd "$apt/download" && apt-get "${opts[@]}" source "onetbb=$version" 2>&1); then
    echo "$out" >&2
    echo "install-deps: apt-get source onetbb=$version failed (mirrors: $apt/sources.list)" >&2
    exit 1
  fi
  mv "$apt/download"/onetbb-*/ "$dir/src"
  echo "$version" >"$dir/src-version"
  rm -rf "$apt"
}

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  install_onnxruntime
  install_tflite
  install_tbb_source
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
install_tflite
install_tbb_source
