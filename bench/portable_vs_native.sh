#!/bin/bash
# bench/portable_vs_native.sh: a portable build (EDGEPIPE_MARCH=x86-64)
# against a -march=native build of the same tree, on the same machine in the
# same run:
#  - `edgepipe lite bench` latency (measured by bench/lite_latency, which links
#    the TFLite runtime only) for the MediaPipe models and the
#    make_bench_models files;
#  - training: CPU seconds per epoch of nn_epoch_bench (the Fashion-MNIST CNN
#    and the MLP of bench/run_training_bench.sh, one thread, the 10,000
#    digits of MNIST_DIR (default data/mnist: images-idx3-ubyte.gz,
#    labels-idx1-ubyte.gz), 1,000 held out), when they are there; TRAIN=0
#    skips it, LITE=0 the latencies. CPU time, not wall time: other processes
#    on the machine stretch the wall clock, not the work.
# Both builds pick their kernels at run time (src/core/isa_dispatch.h), so
# the portable one should be as fast.
#
#   bench/portable_vs_native.sh [FILE.tflite ...]
#
# Environment: PORTABLE_BUILD (default build-portable/), NATIVE_BUILD
# (default build-native/): configured if missing and built here (target
# lite_latency); RUNS timed runs (default 50), ROUNDS (default 3): the two builds
# alternate per model and the best median of each is kept, so a burst of
# load from other processes does not decide a ratio. Default files:
# $EDGEPIPE_MEDIAPIPE_DIR/*.tflite (default build/mediapipe_models) and
# build/bench_models/*.tflite. Prints model, portable and native median (ms),
# portable / native, the instruction set the kernels ran, and the load
# average. Informational: exits 0 whatever the ratios.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
portable=${PORTABLE_BUILD:-$root/build-portable}
native=${NATIVE_BUILD:-$root/build-native}
runs=${RUNS:-50}
rounds=${ROUNDS:-3}
cd "$root"
for pair in "$portable:x86-64" "$native:native"; do
  dir=${pair%:*} march=${pair##*:}
  if [ ! -f "$dir/CMakeCache.txt" ]; then
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEDGEPIPE_MARCH="$march" >&2
  fi
  cmake --build "$dir" --target lite_latency nn_epoch_bench -j"${JOBS:-2}" >&2
done
files=("$@")
if [ "${LITE:-1}" = 0 ]; then
  files=()
elif [ ${#files[@]} -eq 0 ]; then
  shopt -s nullglob
  files=("${EDGEPIPE_MEDIAPIPE_DIR:-$root/build/mediapipe_models}"/*.tflite
         "$root"/build/bench_models/*.tflite)
fi
min() { printf '%s\n' "$@" | sort -g | head -1; }

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
[ ${#files[@]} -gt 0 ] && printf '%-34s %14s %12s %9s   %s\n' model "portable (ms)" "native (ms)" "p / n" isa
for file in "${files[@]}"; do
  p=() n=() isa=
  for ((r = 0; r < rounds; ++r)); do
    read -r _ us isa < <("$portable/bench/lite_latency" --runs "$runs" "$file")
    p+=("$us")
    read -r _ us _ < <("$native/bench/lite_latency" --runs "$runs" "$file")
    n+=("$us")
  done
  pm=$(min "${p[@]}") nm=$(min "${n[@]}")
  awk -v m="$(basename "$file" .tflite)" -v p="$pm" -v n="$nm" -v isa="$isa" \
    'BEGIN { printf "%-34s %14.3f %12.3f %9.3f   %s\n", m, p / 1000, n / 1000, p / n, isa }' 
done
[ ${#files[@]} -gt 0 ] && echo "batch 1, 1 thread, median of $runs runs (best of $rounds rounds," \
  "the builds alternating); load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

mnist=${MNIST_DIR:-$root/data/mnist}
if [ "${TRAIN:-1}" != 0 ] && [ -f "$mnist/images-idx3-ubyte.gz" ]; then
  # CPU s/epoch of epoch 2 (epoch 1 includes oneDNN's one-time JIT).
  epoch_cpu() {
    "$1/bench/nn_epoch_bench" --model "$2" --train-images "$mnist/images-idx3-ubyte.gz" \
      --train-labels "$mnist/labels-idx1-ubyte.gz" --holdout 1000 --epochs 2 --threads 1 \
      2>/dev/null | awk '/^EPOCH/ && / epoch=2 / { for (i = 1; i <= NF; ++i)
                           if ($i ~ /^cpu_s=/) { sub("cpu_s=", "", $i); print $i } }'
  }
  echo
  printf '%-34s %14s %12s %9s\n' "training (CPU s / epoch)" portable native "p / n"
  for model in cnn mlp; do
    p=() n=()
    for ((r = 0; r < rounds; ++r)); do
      p+=("$(epoch_cpu "$portable" "$model")")
      n+=("$(epoch_cpu "$native" "$model")")
    done
    pm=$(min "${p[@]}") nm=$(min "${n[@]}")
    awk -v m="nn_epoch_bench $model" -v p="$pm" -v n="$nm" \
      'BEGIN { printf "%-34s %14.3f %12.3f %9.3f\n", m, p, n, p / n }'
  done
  echo "9,000 examples, 1 thread, CPU time of epoch 2 (best of $rounds rounds, the builds" \
    "alternating); load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
fi
