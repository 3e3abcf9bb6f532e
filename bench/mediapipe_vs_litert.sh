#!/bin/bash
# bench/mediapipe_vs_litert.sh: latency of `edgepipe lite bench` against
# LiteRT.js (WASM + XNNPACK in Node, relaxed-SIMD build) on Google's MediaPipe
# models, batch 1, one thread each, and ours on two threads as well (LiteRT.js's
# threaded build needs Web Workers, which Node lacks). The models are fetched once with
# tests/mediapipe/fetch_models.sh into $EDGEPIPE_MEDIAPIPE_DIR (default
# build/mediapipe_models); they are never committed.
#
# Environment: BUILD_DIR (default build/), RUNS timed runs (default 50),
# ROUNDS (default 2): ours and LiteRT.js alternate and the best median of each
# is kept, so a burst of load from other processes does not decide a ratio.
# Prints: model, ours (median ms), LiteRT.js (median ms), ratio (LiteRT.js /
# ours: > 1 = we are faster), ours on 2 threads (median ms) and its speed-up
# over ours on 1, and our one-thread rate against the one-core peak `lite
# bench` measures in the same run. Informational: exits 0 whatever the ratios.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
runs=${RUNS:-50}
rounds=${ROUNDS:-2}
dir=${EDGEPIPE_MEDIAPIPE_DIR:-$build/mediapipe_models}
cd "$root"
if ! ls "$dir"/*.tflite >/dev/null 2>&1; then
  tests/mediapipe/fetch_models.sh "$dir"
fi
cmake --build "$build" --target edgepipe -j"${JOBS:-2}" >&2
edgepipe="$build/src/cli/edgepipe"
export NODE_PATH="$root/node_modules"
json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s)[process.argv[1]];console.log(v===undefined?"":v)})' "$1"; }
# best JSON...: of several `lite bench --json` outputs, the one with the lowest
# median, so the rate and the peak it is read against come from the same run.
best() { node -e 'const js = process.argv.slice(1).map(s => JSON.parse(s));
  console.log(JSON.stringify(js.reduce((a, b) => (b.median_us < a.median_us ? b : a))))' "$@"; }
min() { node -e 'console.log(Math.min(...process.argv.slice(1).map(Number)))' "$@"; }
# note JSON MEDIAN_US: "<M> M MACs: <rate> GFLOP/s (or int8 GMAC/s) = <p>% of this core's
# measured peak <peak>", from one `lite bench --json` output (its MAC count and
# the peak it measured in the same run) at the best median MEDIAN_US.
note() { node -e 'const j = JSON.parse(process.argv[1]), o = Number(process.argv[2]);
  const int8 = j.rate_unit === "GMAC/s", r = (int8 ? 1 : 2) * j.macs / o / 1e3;
  console.log(`${(j.macs / 1e6).toFixed(2)} M MACs: ${r.toFixed(1)} ${int8 ? "int8 GMAC/s" : "GFLOP/s"} = ` +
              `${(100 * r / j.peak).toFixed(0)}% of peak ${j.peak.toFixed(0)} (${j.isa})`)' "$1" "$2"; }

printf '%-34s %10s %15s %7s %14s %8s   %s\n' model "ours (ms)" "LiteRT.js (ms)" ratio \
  "ours 2 thr (ms)" "2 thr" notes
for file in "$dir"/*.tflite; do
  ours=() ours2=() theirs=() jsons=()
  for ((r = 0; r < rounds; ++r)); do
    ours_json=$("$edgepipe" lite bench "$file" --runs "$runs" --threads 1 --json)
    ours+=("$(echo "$ours_json" | json median_us)")
    jsons+=("$ours_json")
    ours2+=("$("$edgepipe" lite bench "$file" --runs "$runs" --threads 2 --json | json median_us)")
    theirs+=("$(node --experimental-wasm-relaxed-simd tests/js/litert_bench.js "$file" \
      --runs "$runs" --threads 1 2>/dev/null | json median_us)")
  done
  o=$(min "${ours[@]}") o2=$(min "${ours2[@]}") t=$(min "${theirs[@]}")
  printf '%-34s %10.2f %15.2f %6.2fx %14.2f %7.2fx   %s\n' "$(basename "$file" .tflite)" \
    "$(node -e "console.log($o / 1000)")" "$(node -e "console.log($t / 1000)")" \
    "$(node -e "console.log(($t / $o).toFixed(2))")" "$(node -e "console.log($o2 / 1000)")" \
    "$(node -e "console.log(($o / $o2).toFixed(2))")" "$(note "$(best "${jsons[@]}")" "$o")"
done
echo "batch 1, 1 thread (ours also 2), median of $runs runs (best of $rounds rounds);" \
  "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
