#!/bin/bash
# scripts/fuzz.sh [SECONDS]: fuzzes the TFLite model loader for SECONDS
# (default 60) with libFuzzer + ASan + UBSan + leak detection.
#
#   1. installs clang and libclang-rt-14-dev (libFuzzer/sanitizer runtimes)
#      via apt if missing;
#   2. configures build-fuzz/ with clang and EDGEPIPE_FUZZ=ON (every library
#      instrumented), builds the fuzzer and the seed corpus generator;
#   3. writes the seed corpus (our own models) to fuzz/corpus/, replays
#      fuzz/regressions/*.tflite, fuzzes.
# Exit code non-zero on any crash, sanitizer report, leak, OOM or timeout;
# the reproducer is in fuzz/artifacts/.
set -euo pipefail
seconds=${1:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-fuzz"

if ! clang++ --version >/dev/null 2>&1 || ! dpkg -s libclang-rt-14-dev >/dev/null 2>&1; then
  echo "fuzz.sh: installing clang and libclang-rt-14-dev"
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
  $sudo apt-get update
  $sudo apt-get install -y --no-install-recommends clang libclang-rt-14-dev
fi

# Tests stay ON only because src/cli/CMakeLists.txt does not yet guard its
# cli_test lines for EDGEPIPE_BUILD_TESTS=OFF; no test target is built here.
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DEDGEPIPE_FUZZ=ON \
  -DEDGEPIPE_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" --target tflite_loader_fuzzer tflite_fuzz_corpus -j"${JOBS:-2}"

# The seeds and what libFuzzer adds go to fuzz/corpus/ (git-ignored, kept
# between runs); crashes to fuzz/artifacts/.
exec "$root/fuzz/run_fuzzer.sh" "$build/fuzz/tflite_loader_fuzzer" \
  "$build/fuzz/tflite_fuzz_corpus" "$root/fuzz" "$seconds"
