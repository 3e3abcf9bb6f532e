#!/bin/sh
# run_regressions.sh FUZZER: runs FUZZER (build-fuzz/fuzz/NAME_fuzzer) once
# on every file of fuzz/regressions/NAME/ (inputs that once broke that reader;
# libFuzzer executes a file argument once and exits non-zero on a crash,
# sanitizer report, leak or OOM). Each file gets its own process so one open
# finding does not hide the others; prints one PASS/FAIL line per file and
# exits 1 if any failed. No files: exit 0.
set -eu
if [ $# -ne 1 ]; then
  echo "usage: $0 FUZZER" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
name=$(basename "$1" _fuzzer)
dir="$here/regressions/$name"
# Same sanitizer settings as run_fuzzer.sh.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
failed=0
found=0
for f in "$dir"/*; do
  [ -f "$f" ] || continue
  found=1
  if log=$("$1" -detect_leaks=1 -rss_limit_mb=2048 -timeout=25 "$f" 2>&1); then
    echo "PASS $name/$(basename "$f")"
  else
    failed=1
    echo "FAIL $name/$(basename "$f"):"
    echo "$log" | grep -E "^fuzzer: |runtime error|ERROR:|SUMMARY|^    #[0-9]+ .* in edgepipe" \
      | head -8 | sed 's/^/  /'
  fi
done
[ "$found" = 1 ] || echo "run_regressions.sh: no regression inputs in $dir"
exit "$failed"
