#!/bin/bash
# scripts/fuzz.sh [SECONDS [TARGET...]]: fuzzes every reader of untrusted
# input (the targets of fuzz/CMakeLists.txt: tflite_loader, tfrecord,
# example, idx, csv, eval_config, model_json, schema, statistics), each for
# SECONDS (default 60), with libFuzzer + ASan + UBSan + leak detection.
# TARGETs restrict the run.
#
#   1. installs clang and libclang-rt-14-dev (libFuzzer/sanitizer runtimes)
#      via apt if missing;
#   2. configures build-fuzz/ with clang and EDGEPIPE_FUZZ=ON (every library
#      instrumented), builds the fuzzers and the seed corpus tool;
#   3. per target (fuzz/run_fuzzer.sh): writes its seeds (our own writers) to
#      fuzz/work/<target>/corpus/, replays fuzz/regressions/<target>/, fuzzes.
#      Each target runs at most SECONDS plus a grace period, then is killed.
# Prints one line per target (executions, corpus size, findings) and exits
# non-zero on any crash, sanitizer report, leak, OOM or timeout; reproducers
# are in fuzz/work/<target>/artifacts/, libFuzzer's output in
# fuzz/work/<target>/fuzz.log.
set -euo pipefail
seconds=${1:-60}
shift || true
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
cmake --build "$build" --target fuzzers -j"${JOBS:-2}"

if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets <"$build/fuzz/targets.txt"
fi
summaries=()
failed=()
for t in "${targets[@]}"; do
  echo "=== $t: fuzzing for ${seconds}s"
  # The grace period covers the seeds, the regressions and one -timeout.
  out=$(timeout --kill-after=10 $((seconds + 120)) "$root/fuzz/run_fuzzer.sh" \
    "$build/fuzz/${t}_fuzzer" "$build/fuzz/fuzz_corpus" "$root/fuzz/work" "$seconds" 2>&1) \
    || failed+=("$t")
  echo "$out" | grep -v '^fuzz-summary ' || true
  line=$(echo "$out" | grep '^fuzz-summary ' || echo "fuzz-summary $t (no summary: killed or broken)")
  summaries+=("$line")
done

echo "=== summary (${seconds}s per target)"
printf '%s\n' "${summaries[@]}" | sed 's/^fuzz-summary /  /'
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: findings or failed regressions in: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz.sh: no findings"
