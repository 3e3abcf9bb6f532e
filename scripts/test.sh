#!/usr/bin/env bash
# Installs everything, builds everything and runs the whole test suite (ctest).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
scripts/prepare_data.sh
cd build
ctest --output-on-failure -j"$(nproc)" "$@"
