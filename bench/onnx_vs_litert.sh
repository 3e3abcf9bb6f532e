#!/bin/bash
# bench/onnx_vs_litert.sh: batch-1 latency of edgepipe's own models in three
# runtimes, 1 and 2 threads, in one run:
#   ours         `edgepipe lite bench` on the .tflite (C++ Invoke);
#   LiteRT.js    tests/js/litert_bench.js on the same .tflite (@litertjs/core
#                2.5.3, WASM + XNNPACK in Node; 1 thread only: its threaded
#                build needs Web Workers, which Node lacks);
#   onnxruntime  tests/js/onnxruntime_bench.js on the model exported to ONNX
#                by src/onnx (onnxruntime-node 1.22.0, native CPU EP,
#                intra-op threads = N, all graph optimizations).
# Models (bench/make_bench_models.cc, float32): the TFX MNIST MLP (trained),
# the Fashion-MNIST CNN and MobileNet-style model (random weights) and the
# penguin model (four inputs; random weights). The penguin model computes
# almost nothing, so its figures are each runtime's per-call floor (for the
# two Node runtimes mostly the JS/N-API or JS/WASM call itself). It runs
# first, and "ort-floor" is onnxruntime's median minus its penguin median at
# the same thread count: an estimate of onnxruntime's native compute time,
# the figure to set against ours (which has no language boundary).
#
# Prints one table: model, threads, median latency (us) of each runtime (best
# median of ROUNDS rounds, runtimes alternating, so a burst of load from other
# processes does not decide a ratio), and onnxruntime / ours and LiteRT.js /
# ours (> 1 = edgepipe is faster); then the load average before and after,
# the CPU and core count.
#
# Environment: BUILD_DIR (default build/), RUNS timed runs per measurement
# (default 300), ROUNDS (default 3), MNIST_DIR (default data/mnist; prepared
# with scripts/prepare_data.sh when missing).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
runs=${RUNS:-300}
rounds=${ROUNDS:-3}
mnist=${MNIST_DIR:-$root/data/mnist}
cd "$root"

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" --target edgepipe make_bench_models -j"${JOBS:-2}" >&2
if [ ! -f "$mnist/images-idx3-ubyte.gz" ]; then scripts/prepare_data.sh >&2; fi

edgepipe="$build/src/cli/edgepipe"
models=$(mktemp -d)
trap 'rm -rf "$models"' EXIT
"$build/bench/make_bench_models" "$models" "$mnist" >&2

export NODE_PATH="$root/node_modules"
json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s)[process.argv[1]];console.log(v===undefined?"":v)})' "$1"; }
# best JSON...: of several `lite bench --json` outputs, the one with the lowest
# median, so the rate and the peak it is read against come from the same run.
best() { node -e 'const js = process.argv.slice(1).map(s => JSON.parse(s));
  console.log(JSON.stringify(js.reduce((a, b) => (b.median_us < a.median_us ? b : a))))' "$@"; }
min() { node -e 'console.log(Math.min(...process.argv.slice(1).map(Number)))' "$@"; }
ratio() { node -e "console.log(($1 / $2).toFixed(2) + 'x')"; }
# pct JSON MEDIAN_US: our GFLOP/s at MEDIAN_US as a percentage of the one-core
# fp32 peak `lite bench` measured in the same run (src/core/cpu_features.h).
pct() { node -e 'const j = JSON.parse(process.argv[1]), g = 2 * j.macs / Number(process.argv[2]) / 1e3;
  console.log(`${g.toFixed(1)}/${j.peak.toFixed(0)}=${(100 * g / j.peak).toFixed(0)}%`)' "$1" "$2"; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
printf '%-12s %7s %10s %14s %16s %10s %10s %10s %14s  %s\n' model threads "ours (us)" \
  "LiteRT.js (us)" "onnxruntime (us)" "ort/ours" "litert/ours" "ort-floor" "(ort-floor)/ours" \
  "GFLOP/s/peak"
declare -A floor
for model in penguin mnist_mlp fashion_cnn mobilenet; do
  tflite="$models/${model}_float.tflite"
  onnx="$models/${model}_float.onnx"
  for threads in 1 2; do
    ours=() lrt=() ort=() jsons=()
    for ((r = 0; r < rounds; ++r)); do
      ours_json=$("$edgepipe" lite bench "$tflite" --runs "$runs" --threads "$threads" --batch 1 \
        --json)
      ours+=("$(echo "$ours_json" | json median_us)")
      jsons+=("$ours_json")
      if [ "$threads" = 1 ]; then
        lrt+=("$(node --experimental-wasm-relaxed-simd tests/js/litert_bench.js "$tflite" \
          --runs "$runs" --threads 1 2>/dev/null | json median_us)")
      fi
      ort+=("$(node tests/js/onnxruntime_bench.js "$onnx" --runs "$runs" --threads "$threads" |
        json median_us)")
    done
    o=$(min "${ours[@]}") x=$(min "${ort[@]}")
    [ "$model" = penguin ] && floor[$threads]=$x
    net=$(node -e "console.log(Math.max($x - ${floor[$threads]}, 0).toFixed(1))")
    if [ "$model" = penguin ]; then netr="-"; else netr=$(ratio "$net" "$o"); fi
    if [ "$threads" = 1 ]; then
      l=$(node -e "console.log(Number($(min "${lrt[@]}")).toFixed(1))") lr=$(ratio "$l" "$o")
    else
      l="n/a" lr="-"
    fi
    printf '%-12s %7s %10.1f %14s %16.1f %10s %10s %10s %14s  %s\n' "$model" "$threads" "$o" "$l" \
      "$x" "$(ratio "$x" "$o")" "$lr" "$net" "$netr" "$(pct "$(best "${jsons[@]}")" "$o")"
  done
done
echo "batch 1, float32, median of $runs runs (best of $rounds rounds)"
echo "load average before: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
