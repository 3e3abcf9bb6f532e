#!/usr/bin/env bash
# The MNIST pipeline's components on 1 and 2 MPI ranks over Fashion-MNIST
# (70,000 images): `mpirun -np N edgepipe run mnist --runner mpi --no-cache`
# with TRAIN_STEPS training steps (default 1: the data components are what is
# measured), ranks alternated 1, 2, 1, 2, ...; prints the best seconds of
# ImportExampleGen (sharded), StatisticsGen (sharded), Transform (rank 0),
# Trainer.mnist (data-parallel: global batch 40, 20 rows per rank on 2 ranks;
# every rank reads the whole splits) and Evaluator.mnist (sharded) per rank
# count, the speed-up, and the load average.
#
#   bench/mpi_pipeline_bench.sh [BUILD_DIR] [FASHION_MNIST_DIR] [REPEAT] [TRAIN_STEPS]
set -euo pipefail
build=${1:-build}
data=${2:-/usr/share/datasets/fashion-mnist}
repeat=${3:-3}
train_steps=${4:-1}
cli="$build/src/cli/edgepipe"
[ -x "$cli" ] || { echo "error: $cli not built" >&2; exit 1; }
mpirun=${MPIEXEC:-mpirun}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
nodes="ImportExampleGen StatisticsGen Transform Trainer.mnist Evaluator.mnist"

# best[<ranks>:<node>] = the smallest seconds seen
declare -A best
for ((i = 0; i < repeat; i++)); do
  for ranks in 1 2; do
    out=$("$mpirun" --allow-run-as-root --oversubscribe --bind-to none --mca btl self,vader \
      --mca btl_vader_single_copy_mechanism none -np "$ranks" \
      "$cli" run mnist --runner mpi --no-cache --data "$data" --pipeline-root "$work/root$ranks" \
      --metadata "$work/m$ranks.sqlite" --serving-dir "$work/serving$ranks" \
      --train-steps "$train_steps" --eval-steps 1 --accuracy-threshold 0 --json 2>"$work/stderr") ||
      { cat "$work/stderr" >&2; exit 1; }
    for node in $nodes; do
      s=$(node -e 'const r=JSON.parse(process.argv[1]);console.log(r.nodes.find(n=>n.id===process.argv[2]).seconds)' \
        "$out" "$node")
      key="$ranks:$node"
      if [ -z "${best[$key]:-}" ] || node -e "process.exit(${s} < ${best[$key]} ? 0 : 1)"; then
        best[$key]=$s
      fi
    done
  done
done
printf '%-18s %10s %10s %8s\n' node "1 rank s" "2 ranks s" speed-up
for node in $nodes; do
  one=${best["1:$node"]}
  two=${best["2:$node"]}
  printf '%-18s %10.3f %10.3f %7.2fx\n' "$node" "$one" "$two" \
    "$(node -e "console.log(${one} / ${two})")"
done
echo "train steps: $train_steps; load average: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
