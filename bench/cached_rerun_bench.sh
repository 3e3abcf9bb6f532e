#!/usr/bin/env bash
# The wall time of a whole `edgepipe run` process when every node is cached
# (an unchanged rerun): what a user waits for, start to exit.
#
#   bench/cached_rerun_bench.sh [--runs N] [penguin|mnist]...   (default: penguin mnist)
#
# penguin: installs the build into build/bench-prefix, builds examples/penguin
#          against it (build/bench-penguin) and runs
#          `edgepipe run libpenguin_pipeline.so --data data/penguin`;
# mnist:   `edgepipe run mnist --data data/mnist` (the built-in pipeline).
# Each pipeline runs once to fill a fresh root and store, then N times (default
# 20) unchanged; every rerun must report all nodes cached. Prints, per
# pipeline, the best and median wall seconds and the median CPU seconds (user
# + sys) of the reruns, with the load average around them: under load the
# wall time is what the scheduler leaves of the CPU time, so both are given.
# Needs scripts/build.sh (or ctest's build) and scripts/prepare_data.sh first.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=20
pipelines=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    penguin|mnist) pipelines+=("$1"); shift ;;
    *) echo "usage: $0 [--runs N] [penguin|mnist]..." >&2; exit 2 ;;
  esac
done
[ ${#pipelines[@]} -gt 0 ] || pipelines=(penguin mnist)
build=build
edgepipe=$build/src/cli/edgepipe
[ -x "$edgepipe" ] || { echo "error: $edgepipe: build first (scripts/build.sh)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/cached_rerun_bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# bench NAME CMD...: first run, then $runs timed reruns of CMD.
bench() {
  local name=$1
  shift
  "$@" >"$work/$name.first" 2>"$work/$name.first.log" || { cat "$work/$name.first.log" >&2; exit 1; }
  local load_before walls=() cpus=()
  load_before=$(cut -d' ' -f1 /proc/loadavg)
  local TIMEFORMAT='%3R %3U %3S'  # bash's `time`: wall, user, sys of the one process
  for _ in $(seq "$runs"); do
    { time "$@" >"$work/$name.out" 2>/dev/null; } 2>"$work/time"
    grep -q ' 0 nodes executed' "$work/$name.out" ||
      { echo "error: $name: a rerun executed nodes" >&2; cat "$work/$name.out" >&2; exit 1; }
    local wall user sys
    read -r wall user sys <"$work/time"
    walls+=("$wall")
    cpus+=("$(echo "$user + $sys" | bc)")
  done
  local load_after
  load_after=$(cut -d' ' -f1 /proc/loadavg)
  printf '%s\n' "${walls[@]}" | sort -n >"$work/walls"
  printf '%s\n' "${cpus[@]}" | sort -n >"$work/cpus"
  local best median cpu
  best=$(head -1 "$work/walls")
  median=$(sed -n "$(((runs + 1) / 2))p" "$work/walls")
  cpu=$(sed -n "$(((runs + 1) / 2))p" "$work/cpus")
  printf '%-8s cached rerun, whole process: best %.3f s, median %.3f s wall; median CPU %.3f s (user+sys); %d runs, load %s -> %s, %d cores\n' \
    "$name" "$best" "$median" "$cpu" "$runs" "$load_before" "$load_after" "$(nproc)"
}

for p in "${pipelines[@]}"; do
  case "$p" in
    penguin)
      [ -f data/penguin/penguins.csv ] || { echo "error: data/penguin/penguins.csv: run scripts/prepare_data.sh" >&2; exit 1; }
      cmake --install "$build" --prefix "$build/bench-prefix" >/dev/null
      cmake -S examples/penguin -B "$build/bench-penguin" -DCMAKE_PREFIX_PATH="$PWD/$build/bench-prefix" >/dev/null
      cmake --build "$build/bench-penguin" -j2 >/dev/null
      bench penguin "$build/bench-prefix/bin/edgepipe" run "$build/bench-penguin/libpenguin_pipeline.so" \
        --data data/penguin --pipeline-root "$work/penguin/pipelines" \
        --metadata "$work/penguin/metadata.sqlite" --serving-dir "$work/penguin/serving"
      ;;
    mnist)
      [ -f data/mnist/images-idx3-ubyte.gz ] || { echo "error: data/mnist: run scripts/prepare_data.sh" >&2; exit 1; }
      bench mnist "$edgepipe" run mnist --data data/mnist --pipeline-root "$work/mnist/pipelines" \
        --metadata "$work/mnist/metadata.sqlite" --serving-dir "$work/mnist/serving"
      ;;
  esac
done
