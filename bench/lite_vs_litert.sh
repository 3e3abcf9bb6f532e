#!/bin/bash
# bench/lite_vs_litert.sh: latency of `edgepipe lite bench` against LiteRT.js
# (@litertjs/core 2.5.3, WASM + XNNPACK in Node) on the same .tflite files and
# the same thread count (1), in one run:
#   MNIST MLP (trained here), the Fashion-MNIST CNN and MobileNet-style model
#   of src/examples/fashion_mnist (random weights), each float32 and int8
#   (float I/O);
# models from bench/make_bench_models.cc. Prints one table: model, mode, ours
# (median us), LiteRT.js (median us), ratio (LiteRT.js / ours: > 1 = we are
# faster; the goal is >= 1.5), and the achieved rate (float: GFLOP/s = 2 x
# MACs / median; int8: GMAC/s) against the one-core peak that `lite bench`
# measures in the same run (src/core/cpu_features.h), with the load average.
#
# Environment: BUILD_DIR (default build/), RUNS timed runs per measurement
# (default 200), ROUNDS (default 3): ours and LiteRT.js alternate ROUNDS times
# per model and the best median of each is kept, so a burst of load from
# other processes on a shared machine does not decide a ratio.
# LiteRT.js runs with --experimental-wasm-relaxed-simd, which makes it pick
# its relaxed-SIMD build, the one browsers with relaxed SIMD load (Node 20
# otherwise falls back to the plain-SIMD "compat" build); the glue used is
# printed. Exit code 1 if any ratio is below the 1.5 goal.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
runs=${RUNS:-200}
rounds=${ROUNDS:-3}
threads=1
cd "$root"

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" --target edgepipe make_bench_models -j"${JOBS:-2}" >&2
if [ ! -f data/mnist/images-idx3-ubyte.gz ]; then scripts/prepare_data.sh >&2; fi

edgepipe="$build/src/cli/edgepipe"
models="$build/bench/lite_bench_models"
"$build/bench/make_bench_models" "$models" data/mnist >&2

export NODE_PATH="$root/node_modules"
# json FIELD: reads one JSON object on stdin, prints FIELD.
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

printf '%-12s %-5s %12s %14s %7s   %s\n' model mode "ours (us)" "LiteRT.js (us)" ratio notes
fail=0
glue=""
for model in mnist_mlp fashion_cnn mobilenet; do
  for mode in float int8; do
    file="$models/${model}_${mode}.tflite"
    ours=() theirs=() jsons=()
    for ((r = 0; r < rounds; ++r)); do
      ours_json=$("$edgepipe" lite bench "$file" --runs "$runs" --threads "$threads" --batch 1 --json)
      ours+=("$(echo "$ours_json" | json median_us)")
      jsons+=("$ours_json")
      out=$(node --experimental-wasm-relaxed-simd tests/js/litert_bench.js "$file" \
        --runs "$runs" --threads "$threads" 2>/dev/null)
      theirs+=("$(echo "$out" | json median_us)")
      glue=$(echo "$out" | json glue)
    done
    o=$(min "${ours[@]}") t=$(min "${theirs[@]}")
    ratio=$(node -e "console.log((${t} / ${o}).toFixed(2))")
    notes=$(note "$(best "${jsons[@]}")" "$o")
    if node -e "process.exit(${t} / ${o} >= 1.5 ? 0 : 1)"; then :; else notes="below 1.5x; $notes"; fail=1; fi
    printf '%-12s %-5s %12.1f %14.1f %6.2fx   %s\n' "$model" "$mode" "$o" "$t" "$ratio" "$notes"
  done
done
echo "batch 1, $threads thread, median of $runs runs (best of $rounds rounds); LiteRT.js: $glue;" \
  "ours: $(basename "$edgepipe") lite bench; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $fail
