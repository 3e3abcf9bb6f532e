#!/usr/bin/env bash
# Issue-3 training benchmark: seconds per epoch of edgepipe's nn vs libtorch on
#   (a) MLP 784-128(relu)-10, Adam, batch 32
#   (b) CNN conv3x3x32 relu, pool2, conv3x3x64 relu, pool2, flatten, dense10, Adam, batch 64
# over 60,000 28x28x1 examples (Fashion-MNIST's training set, Debian
# dataset-fashion-mnist), plus test accuracies: (b) on Fashion-MNIST's test
# set, (a) on the MNIST digits of data/mnist (10,000 digits: the first 8,000
# train, the last 2,000 test).
#
# Usage: bench/run_training_bench.sh [--with-libtorch] [--epochs N] [--build-dir DIR]
#                                    [--models "mlp cnn"] [--train-limit N]
#   --with-libtorch  install Debian's libtorch-dev + libopenblas0-pthread (apt, via
#                    sudo when not root) so the libtorch columns are filled; without
#                    it they are filled only if libtorch-dev is already installed.
#   --epochs N       epochs per run (default 5); s/epoch is the median over them.
#   --digits-epochs N  epochs of the MLP accuracy run on the 8,000 MNIST digits
#                    (default 30: with only 8,000 digits the MLP needs ~30 short
#                    epochs of the shared recipe to pass 0.97; ~3 s in all).
#   --build-dir DIR  default build/ (built with scripts/build.sh).
#   --train-limit N  train on the first N examples only (a quick smoke run).
#
# libtorch runs with flush-to-zero in all its threads (checked and printed by
# torch_train_bench) and, unless OMP_WAIT_POLICY is already set, with
# OMP_WAIT_POLICY=passive: on a machine shared with other processes libgomp's
# default spin-waiting made libtorch 10-30x slower here (its OpenMP threads spin
# while OpenBLAS's need the core), and the comparison should be against libtorch
# at its best. Both programs print wall and process CPU time; on a loaded
# machine compare CPU time too. The raw EPOCH/RESULT lines go to
# $build_dir/training_bench.log.
set -euo pipefail
cd "$(dirname "$0")/.."

with_libtorch=0
epochs=5
digits_epochs=30
build_dir=build
models="mlp cnn"
train_limit=0
while [ $# -gt 0 ]; do
  case "$1" in
    --with-libtorch) with_libtorch=1 ;;
    --epochs) epochs="$2"; shift ;;
    --digits-epochs) digits_epochs="$2"; shift ;;
    --build-dir) build_dir="$2"; shift ;;
    --models) models="$2"; shift ;;
    --train-limit) train_limit="$2"; shift ;;
    -h|--help) sed -n '2,29p' "$0"; exit 0 ;;
    *) echo "run_training_bench.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}
installed() { dpkg -s "$1" >/dev/null 2>&1; }

apt_install() {
  echo "run_training_bench.sh: installing $*" >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" >&2
}

if [ "$with_libtorch" = 1 ] && ! { installed libtorch-dev && installed libopenblas0-pthread; }; then
  if ! apt-cache policy libtorch-dev | grep -q 'Candidate: [0-9]'; then
    echo "run_training_bench.sh: no libtorch-dev in the apt sources (it is in Debian 12);" \
         "running without libtorch" >&2
  else
    apt_install libtorch-dev libopenblas0-pthread
  fi
fi
if installed libtorch-dev && ! installed libopenblas0-pthread; then
  echo "run_training_bench.sh: warning: libopenblas0-pthread is not installed, so libtorch" \
       "uses Debian's slow reference BLAS (install it, or pass --with-libtorch)" >&2
fi
if ! installed dataset-fashion-mnist; then apt_install dataset-fashion-mnist; fi
fashion_file() {
  dpkg -L dataset-fashion-mnist | grep "/$1" | head -n1
}
f_train_x=$(fashion_file train-images-idx3-ubyte)
f_train_y=$(fashion_file train-labels-idx1-ubyte)
f_test_x=$(fashion_file t10k-images-idx3-ubyte)
f_test_y=$(fashion_file t10k-labels-idx1-ubyte)
for f in "$f_train_x" "$f_train_y" "$f_test_x" "$f_test_y"; do
  [ -f "$f" ] || { echo "run_training_bench.sh: Fashion-MNIST IDX file missing ($f)" >&2; exit 1; }
done
scripts/prepare_data.sh >&2

targets=(--target nn_epoch_bench)
have_torch=0
if installed libtorch-dev; then
  targets+=(--target torch_train_bench)
  have_torch=1
fi
if [ "$build_dir" = build ]; then
  scripts/build.sh "${targets[@]}" >&2
else
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build_dir" -j"$(nproc)" "${targets[@]}" >&2
fi
if [ "$have_torch" = 1 ] && [ ! -x "$build_dir/bench/torch_train_bench" ]; then
  echo "run_training_bench.sh: libtorch-dev is installed but CMake did not build" \
       "torch_train_bench (find_package(Torch) failed?)" >&2
  have_torch=0
fi

log="$build_dir/training_bench.log"
: >"$log"
fashion=(--train-images "$f_train_x" --train-labels "$f_train_y"
         --test-images "$f_test_x" --test-labels "$f_test_y")
digits=(--train-images data/mnist/images-idx3-ubyte.gz --train-labels data/mnist/labels-idx1-ubyte.gz
        --holdout 2000)
common=(--epochs "$epochs" --train-limit "$train_limit")

# run <impl> <label> <args...>: runs one bench, appends its lines to the log and
# prints its RESULT line (or "RESULT unavailable=1" if it failed).
run() {
  local impl="$1" label="$2"; shift 2
  local bin="$build_dir/bench/nn_epoch_bench"
  local -a env_prefix=()
  if [ "$impl" = libtorch ]; then
    bin="$build_dir/bench/torch_train_bench"
    env_prefix=(env "OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}")
  fi
  echo "run_training_bench.sh: $impl $label (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  local out
  if out=$("${env_prefix[@]}" "$bin" "$@" 2> >(tee -a "$log" >&2)); then :; fi
  printf '%s\n' "$out" | sed "s/^/[$label] /" >>"$log"
  printf '%s\n' "$out" | grep '^RESULT' | tail -n1 || echo "RESULT unavailable=1"
}

# field <RESULT line> <key>: the value of key=value, or "-".
field() {
  local v
  v=$(printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n1)
  echo "${v:--}"
}
ratio() {  # ratio a b = a / b to 2 decimals, "-" if either is missing
  if [ "$1" = - ] || [ "$2" = - ]; then echo -; else awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a / b}'; fi
}

rows=()
for model in $models; do
  case "$model" in
    mlp) timing_label="(a) MLP Fashion"; acc_label="(a) MLP MNIST digits" ;;
    cnn) timing_label="(b) CNN Fashion"; acc_label="" ;;
    *) echo "run_training_bench.sh: unknown model $model" >&2; exit 2 ;;
  esac
  ours=$(run ours "$timing_label" --model "$model" "${fashion[@]}" "${common[@]}")
  torch="RESULT unavailable=1"
  if [ "$have_torch" = 1 ]; then
    torch=$(run libtorch "$timing_label" --model "$model" "${fashion[@]}" "${common[@]}")
  fi
  rows+=("$timing_label|$ours|$torch")
  if [ -n "$acc_label" ]; then
    digits_common=(--epochs "$digits_epochs" --train-limit "$train_limit")
    ours=$(run ours "$acc_label" --model "$model" "${digits[@]}" "${digits_common[@]}")
    torch="RESULT unavailable=1"
    if [ "$have_torch" = 1 ]; then
      torch=$(run libtorch "$acc_label" --model "$model" "${digits[@]}" "${digits_common[@]}")
    fi
    rows+=("$acc_label|$ours|$torch")
  fi
done

echo
echo "Training benchmark: $epochs epoch(s) of n training examples ($digits_epochs for the" \
     "digits accuracy row); *_s = wall s/epoch, *_cpu = process CPU s/epoch (medians);" \
     "ratio = libtorch / ours (> 1: ours faster); cores = ours_cpu / ours_s (2 = both cores" \
     "busy); acc = final test accuracy; load = mean 1-min load average over the epochs"
printf '%-20s %6s %9s %9s %6s %9s %9s %7s %7s %8s %8s %6s %6s\n' model n "ours_s" "ours_cpu" \
  cores "torch_s" "torch_cpu" ratio cpu_rat ours_acc torch_acc o_load t_load
for row in "${rows[@]}"; do
  IFS='|' read -r label ours torch <<<"$row"
  o_wall=$(field "$ours" wall_s_per_epoch); o_cpu=$(field "$ours" cpu_s_per_epoch)
  t_wall=$(field "$torch" wall_s_per_epoch); t_cpu=$(field "$torch" cpu_s_per_epoch)
  printf '%-20s %6s %9s %9s %6s %9s %9s %7s %7s %8s %8s %6s %6s\n' "$label" \
    "$(field "$ours" examples)" "$o_wall" "$o_cpu" "$(ratio "$o_cpu" "$o_wall")" \
    "$t_wall" "$t_cpu" "$(ratio "$t_wall" "$o_wall")" "$(ratio "$t_cpu" "$o_cpu")" \
    "$(field "$ours" test_acc)" "$(field "$torch" test_acc)" "$(field "$ours" load)" \
    "$(field "$torch" load)"
done
echo "(per-epoch lines: $log)"
# nn_epoch_bench's arithmetic rate against the fp32 peak it measured after its
# epochs (gflops from wall time; gflops_per_cpu_s from CPU time, which a loaded
# machine inflates less).
grep 'FLOPS' "$log" | sed 's/^/  /' || true
