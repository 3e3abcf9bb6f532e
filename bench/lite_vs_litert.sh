#!/bin/bash
# bench/lite_vs_litert.sh: latency of `edgepipe lite bench` against LiteRT.js
# (@litertjs/core 2.5.3, WASM + XNNPACK in Node) on the same .tflite files and
# the same thread count (1), in one run:
#   MNIST MLP (trained here), the Fashion-MNIST CNN and MobileNet-style model
#   of src/examples/fashion_mnist (random weights), each float32 and int8
#   (float I/O);
# models from bench/make_bench_models.cc. Prints one table: model, mode, ours
# (median us), LiteRT.js (median us), ratio (LiteRT.js / ours: > 1 = we are
# faster; the goal is >= 1.5), and for the CNN float run the achieved GFLOP/s
# (2 x MACs / median) against this CPU's measured one-thread sgemm peak.
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
peak=$("$build/bench/make_bench_models" --gemm-peak | awk '{print $2}')

export NODE_PATH="$root/node_modules"
# json FIELD: reads one JSON object on stdin, prints FIELD.
json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s)[process.argv[1]];console.log(v===undefined?"":v)})' "$1"; }
min() { node -e 'console.log(Math.min(...process.argv.slice(1).map(Number)))' "$@"; }

# MACs per example: `lite inspect`'s count (FULLY_CONNECTED, CONV_2D,
# DEPTHWISE_CONV_2D).
macs() { "$edgepipe" lite inspect --json "$1" | json macs; }

printf '%-12s %-5s %12s %14s %7s   %s\n' model mode "ours (us)" "LiteRT.js (us)" ratio notes
fail=0
glue=""
for model in mnist_mlp fashion_cnn mobilenet; do
  for mode in float int8; do
    file="$models/${model}_${mode}.tflite"
    ours=() theirs=()
    for ((r = 0; r < rounds; ++r)); do
      ours+=("$("$edgepipe" lite bench "$file" --runs "$runs" --threads "$threads" --batch 1 \
        --json | json median_us)")
      out=$(node --experimental-wasm-relaxed-simd tests/js/litert_bench.js "$file" \
        --runs "$runs" --threads "$threads" 2>/dev/null)
      theirs+=("$(echo "$out" | json median_us)")
      glue=$(echo "$out" | json glue)
    done
    o=$(min "${ours[@]}") t=$(min "${theirs[@]}")
    ratio=$(node -e "console.log((${t} / ${o}).toFixed(2))")
    notes=""
    m=$(macs "$file")
    if [ "$model" = fashion_cnn ] && [ "$mode" = float ]; then
      notes=$(node -e "const g = 2 * $m / $o / 1e3;
        console.log(\`\${($m / 1e6).toFixed(2)} M MACs: \${g.toFixed(1)} GFLOP/s = \` +
                    \`\${(100 * g / $peak).toFixed(0)}% of sgemm peak $peak GFLOP/s\`)")
    else
      notes=$(node -e "console.log(\`\${($m / 1e6).toFixed(2)} M MACs: \${($m / $o / 1e3).toFixed(1)} GMAC/s\`)")
    fi
    if node -e "process.exit(${t} / ${o} >= 1.5 ? 0 : 1)"; then :; else notes="below 1.5x; $notes"; fail=1; fi
    printf '%-12s %-5s %12.1f %14.1f %6.2fx   %s\n' "$model" "$mode" "$o" "$t" "$ratio" "$notes"
  done
done
echo "batch 1, $threads thread, median of $runs runs (best of $rounds rounds); LiteRT.js: $glue;" \
  "ours: $(basename "$edgepipe") lite bench"
exit $fail
