#!/bin/sh
# run_fuzzer.sh FUZZER CORPUS_TOOL WORK_DIR SECONDS
#   Writes the seed corpus into WORK_DIR/corpus (tflite_fuzz_corpus), replays
#   every fuzz/regressions/*.tflite once, then fuzzes for SECONDS with leak
#   detection. New interesting inputs are added to WORK_DIR/corpus (kept
#   between runs); a crash, leak, OOM or timeout is saved under
#   WORK_DIR/artifacts/ and makes the exit code non-zero.
# FUZZ_FLAGS (environment) adds libFuzzer flags, e.g. to keep fuzzing past
# known findings: FUZZ_FLAGS="-fork=1 -ignore_crashes=1 -ignore_ooms=1".
# Used by scripts/fuzz.sh and by the tflite_loader_fuzz ctest entry.
set -eu
if [ $# -ne 4 ]; then
  echo "usage: $0 FUZZER CORPUS_TOOL WORK_DIR SECONDS" >&2
  exit 2
fi
fuzzer=$1 corpus_tool=$2 work=$3 seconds=$4
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work/corpus" "$work/artifacts"
"$corpus_tool" "$work/corpus" >/dev/null
# Leaks are findings; UBSan reports get a stack and stop the run. An
# allocation no allocator can satisfy (100 GB) returns null, as glibc's does,
# so the interpreter's own "cannot allocate" error is what gets checked;
# anything that succeeds past -rss_limit_mb (2 GB) is still an OOM finding.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
# Known reproducers first, but a still-open one must not stop a keep-going run.
if [ -z "${FUZZ_FLAGS:-}" ]; then
  "$here/run_regressions.sh" "$fuzzer"
fi
exec "$fuzzer" -max_total_time="$seconds" -detect_leaks=1 -timeout=25 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$work/artifacts/" ${FUZZ_FLAGS:-} "$work/corpus"
