#!/usr/bin/env bash
# This file implements the sanitizer stage of the test suite (scripts/test.sh runs it after
# the main suite):
#   asan: one clang build tree, build/asan, with AddressSanitizer + UBSan and libFuzzer's
#         coverage instrumentation, so the same objects serve the unit tests and the fuzz
#         targets of fuzz/. It runs the unit tests that need no external runtime (the lists
#         below), the tiny end-to-end searches of search_e2e_test.cpp, and every fuzz target
#         for HWNAS_FUZZ_SECONDS (30 s), all side by side under ctest -j.
#   tsan: build/tsan, ThreadSanitizer, with only the threaded tests compiled (training,
#         QAT and int8 scoring at 2 threads; searches at 2 threads through nas-run, with
#         two candidates in flight, killed and resumed). It links a oneTBB built with
#         -fsanitize=thread into build/tbb-tsan (once, about 30 s) from the Debian source
#         package that scripts/install-deps.sh test fetches: with Debian's uninstrumented
#         libtbb, TSan never sees the atomics TBB's scheduler orders tasks with and reports
#         races that cannot happen (results written by a worker, read after the join).
#         scripts/tsan.supp suppresses nothing.
#   build-asan: only configure and build build/asan (bench/fuzz uses it).
#   build-tsan: only build oneTBB and build/tsan.
#   off: nothing (scripts/test.sh passes HWNAS_SANITIZERS, default all).
# -O1 keeps the instrumented code fast enough; asserts stay on (no NDEBUG).
#
# usage: scripts/sanitizers.sh [all|asan|tsan|build-asan|build-tsan|off]   (default all)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
mode=${1:-all}
# Reports name functions and lines only through llvm-symbolizer (package llvm-16).
symbolizer=/usr/lib/llvm-16/bin/llvm-symbolizer

common=(-DCMAKE_CXX_COMPILER=clang++-16 -DCMAKE_BUILD_TYPE=RelWithDebInfo
        "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only" -DHWNAS_MPI=OFF)

# The ASan build compiles every test file except these: their tests run programs of their
# own that we do not instrument (TF Lite, Arm NN, ONNX Runtime, QEMU, Slurm, MPI), or are
# end-to-end runs of nas-run that take minutes under ASan; the main suite runs them all.
asan_skip_files=(tflite_export_test.cpp tflite_runtime_runner_test.cpp onnx_export_test.cpp firmware_test.cpp
                 slurm_test.cpp mpi_search_test.cpp search_resume_test.cpp train_command_test.cpp space_command_test.cpp)
# Test cases of the compiled files left out by name: Chromium, sweeps over every shipped
# space or architecture (minutes under ASan), 20 nas-run searches killed and resumed (past
# ctest's 600 s under ASan), and a wall-time bound meant for an optimised build (60 s
# against its 30 under ASan on 2 busy cores); the main suite runs them all.
asan_skip='Chromium|bounded time|SIGKILL at 20|rendered in seconds|10,000 random samples|every decoded network|every mutation of|neighbours of shipped|every shipped architecture|tflm-cmsis-nn flatbuffer estimate'
# The threaded test cases (by name) and the test files that hold them: the trainers'
# parallel_for kernels, QAT and the int8 batch runner at 1 and 2 threads; nas-run searches
# at 2 threads with 2 candidates in flight (ThreadPoolEvaluator, the history and report
# writes of both workers), straight, killed, stopped and resumed; and an evaluator whose
# evaluation fails while another one runs (the cancel path).
tsan_tests='1 and 2 threads|one and two threads|two threads|kill -9|SIGINT|stops the evaluator'
tsan_files="trainer_test.cpp;qat_test.cpp;int8_batch_runner_test.cpp;search_e2e_test.cpp;search_resume_test.cpp;environment_failure_test.cpp"

# Each part says how long it took: CI's time limit covers the whole of scripts/test.sh.
timed() {
  local start=$SECONDS
  "$@"
  echo "sanitizers.sh: $1 took $((SECONDS - start)) s"
}

asan_files() {
  local files=() f
  for f in tests/*_test.cpp; do
    f=$(basename "$f")
    case " ${asan_skip_files[*]} " in *" $f "*) ;; *) files+=("$f") ;; esac
  done
  (IFS=';'; echo "${files[*]}")
}

build_asan() {
  cmake -S . -B build/asan "${common[@]}" -DHWNAS_ASAN=ON -DHWNAS_FUZZ=ON "-DHWNAS_TEST_FILES=$(asan_files)" >/dev/null
  cmake --build build/asan -j"$jobs" --target nas-run hwnas_tests fuzz_targets
}

test_asan() {
  # halt_on_error: the first report fails the test; leaks are reports too.
  ASAN_SYMBOLIZER_PATH=$symbolizer ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build/asan -j"$jobs" --output-on-failure --timeout 900 -E "$asan_skip"
}

# oneTBB with -fsanitize=thread (its own TBB_SANITIZE option), from the Debian source that
# scripts/install-deps.sh test unpacks into build/tbb-tsan/src, installed once into
# build/tbb-tsan/install. Without tbbmalloc: libtbb then takes memory from malloc, which
# TSan intercepts (libtbb looks for libtbbmalloc only beside itself). Its tests are not built.
build_tbb_tsan() {
  local dir=build/tbb-tsan
  if [ ! -f "$dir/src/CMakeLists.txt" ]; then
    echo "sanitizers.sh: no oneTBB source in $dir/src (run: bash scripts/install-deps.sh test)" >&2
    exit 1
  fi
  local options=(-DCMAKE_CXX_COMPILER=clang++-16 -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTBB_SANITIZE=thread
                 -DTBB_TEST=OFF -DTBB_STRICT=OFF -DTBBMALLOC_BUILD=OFF -DTBB_DISABLE_HWLOC_AUTOMATIC_SEARCH=ON)
  # Built again only when the source version or these options change.
  local stamp
  stamp="$(cat "$dir/src-version") ${options[*]}"
  [ "$(cat "$dir/installed" 2>/dev/null)" = "$stamp" ] && return 0
  rm -rf "$dir/build" "$dir/install" "$dir/installed"
  cmake -S "$dir/src" -B "$dir/build" "${options[@]}" "-DCMAKE_INSTALL_PREFIX=$PWD/$dir/install" >/dev/null
  cmake --build "$dir/build" -j"$jobs"
  cmake --install "$dir/build" >/dev/null
  echo "$stamp" >"$dir/installed"
}

build_tsan() {
  timed build_tbb_tsan
  # TBB_DIR: the instrumented oneTBB instead of Debian's; CMake's build rpath points
  # hwnas_tests and nas-run at its library folder, so both load it.
  cmake -S . -B build/tsan "${common[@]}" -DHWNAS_TSAN=ON "-DHWNAS_TEST_FILES=$tsan_files" \
        "-DTBB_DIR=$PWD/build/tbb-tsan/install/lib/cmake/TBB" >/dev/null
  cmake --build build/tsan -j"$jobs" --target nas-run hwnas_tests
}

test_tsan() {
  TSAN_OPTIONS="suppressions=$PWD/scripts/tsan.supp:halt_on_error=1:second_deadlock_stack=1:external_symbolizer_path=$symbolizer" \
    ctest --test-dir build/tsan -j"$jobs" --output-on-failure --timeout 900 -R "$tsan_tests"
}

run_asan() { timed build_asan; timed test_asan; }
run_tsan() { timed build_tsan; timed test_tsan; }

case "$mode" in
  off) ;;
  all) timed run_asan; timed run_tsan ;;
  asan) run_asan ;;
  tsan) run_tsan ;;
  build-asan) timed build_asan ;;
  build-tsan) timed build_tsan ;;
  *) echo "sanitizers.sh: unknown mode '$mode' (expected all, asan, tsan, build-asan, build-tsan or off)" >&2; exit 2 ;;
esac
