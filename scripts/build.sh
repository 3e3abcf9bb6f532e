#!/usr/bin/env bash
# Configures and builds edgepipe into build/ (RelWithDebInfo, -march=x86-64 with kernels
# picked at run time: CMakeLists.txt, EDGEPIPE_MARCH).
# Usage: scripts/build.sh [cmake --build args, e.g. --target edgepipe]
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" "$@"
