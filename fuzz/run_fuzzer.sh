#!/bin/sh
# run_fuzzer.sh FUZZER CORPUS_TOOL WORK_DIR SECONDS
#   For FUZZER = .../NAME_fuzzer: writes NAME's seeds into WORK_DIR/NAME/corpus
#   (`CORPUS_TOOL NAME DIR`), replays fuzz/regressions/NAME/ once
#   (run_regressions.sh), then fuzzes for SECONDS with leak detection. New
#   interesting inputs are added to WORK_DIR/NAME/corpus (kept between runs);
#   a crash, leak, OOM or timeout is saved under WORK_DIR/NAME/artifacts/.
#   libFuzzer's output goes to WORK_DIR/NAME/fuzz.log; the last line printed
#   is the summary
#     fuzz-summary NAME execs=<n> seconds=<s> corpus=<files> new=<n> findings=<n>
#       slow_units=<n>
#   (the tail of the log is printed first when there is a finding). Exit code
#   non-zero on a failed regression or any finding.
# FUZZ_FLAGS (environment) adds libFuzzer flags, e.g. to keep fuzzing past
# known findings: FUZZ_FLAGS="-fork=1 -ignore_crashes=1 -ignore_ooms=1".
# Used by scripts/fuzz.sh and by the NAME_fuzz ctest entries.
set -eu
if [ $# -ne 4 ]; then
  echo "usage: $0 FUZZER CORPUS_TOOL WORK_DIR SECONDS" >&2
  exit 2
fi
fuzzer=$1 corpus_tool=$2 seconds=$4
here=$(cd "$(dirname "$0")" && pwd)
name=$(basename "$fuzzer" _fuzzer)
work="$3/$name"
mkdir -p "$work/corpus" "$work/artifacts"
"$corpus_tool" "$name" "$work/corpus" >/dev/null
# Leaks are findings; UBSan reports get a stack and stop the run. An
# allocation no allocator can satisfy (100 GB) returns null, as glibc's does,
# so a reader's own "cannot allocate" error is what gets checked; anything
# that succeeds past -rss_limit_mb (2 GB), or one malloc above it, is still
# an OOM finding.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
# Known reproducers first, but a still-open one must not stop a keep-going run.
status=0
if [ -z "${FUZZ_FLAGS:-}" ]; then
  "$here/run_regressions.sh" "$fuzzer" || status=1
fi
stamp="$work/.started"
: >"$stamp"
log="$work/fuzz.log"
# fuzz/dicts/NAME.dict (optional): tokens libFuzzer splices into inputs.
dict=""
if [ -f "$here/dicts/$name.dict" ]; then dict="-dict=$here/dicts/$name.dict"; fi
start=$(date +%s)
# shellcheck disable=SC2086  # $dict and FUZZ_FLAGS are lists of flags
"$fuzzer" -max_total_time="$seconds" -detect_leaks=1 -timeout=25 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$work/artifacts/" $dict ${FUZZ_FLAGS:-} "$work/corpus" \
  >"$log" 2>&1 || status=1
elapsed=$(($(date +%s) - start))
stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
execs=$(stat number_of_executed_units)
added=$(stat new_units_added)
corpus=$(find "$work/corpus" -type f | wc -l)
# Findings are what libFuzzer saves as crash-, leak-, oom- and timeout-;
# slow-unit- files (over 10 s, under -timeout) are only reported.
new_files() { find "$work/artifacts" -type f -name "$1-*" -newer "$stamp"; }
findings=$( (new_files crash; new_files leak; new_files oom; new_files timeout) | wc -l)
slow=$(new_files slow-unit | wc -l)
if [ "$status" != 0 ] || [ "$findings" != 0 ]; then
  status=1
  tail -40 "$log"
  (new_files crash; new_files leak; new_files oom; new_files timeout) | sed 's/^/finding: /'
fi
new_files slow-unit | sed 's/^/slow unit (not a finding): /'
echo "fuzz-summary $name execs=${execs:-?} seconds=$elapsed corpus=$corpus new=${added:-?}" \
  "findings=$findings slow_units=$slow"
exit "$status"
