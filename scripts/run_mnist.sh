#!/usr/bin/env bash
# The main job: install, build, and run the TFX-for-mobile MNIST pipeline
# (ImportExampleGen -> Trainer.mnist + Trainer.mnist_lite -> two Evaluators ->
# two Pushers) on the embedded defaults: LocalDagRunner, SQLite metadata.
# Extra arguments go to `edgepipe run mnist` (see `edgepipe run mnist --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh --target edgepipe >&2
scripts/prepare_data.sh
exec build/src/cli/edgepipe run mnist --data data/mnist --pipeline-root out/pipelines \
  --metadata out/metadata.sqlite --serving-dir out/serving "$@"
