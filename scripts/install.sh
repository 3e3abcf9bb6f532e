#!/usr/bin/env bash
# Builds edgepipe's libraries and CLI into build/ and installs them with
# `cmake --install` into PREFIX (default: ~/.local, no root needed).
# Usage: scripts/install.sh [PREFIX]
#
# PREFIX gets bin/edgepipe, lib/libedgepipe_*.a, include/edgepipe/ and
# lib/cmake/edgepipe/ (cmake/EdgepipeInstall.cmake lists it all). A CMake
# project then uses it with find_package(edgepipe) and edgepipe::edgepipe;
# CMake finds PREFIX by itself when PREFIX/bin is on PATH (~/.local/bin is on
# Debian's default PATH once it exists), otherwise pass
# -DCMAKE_PREFIX_PATH=PREFIX. The build is the one scripts/build.sh makes
# (-march=x86-64: the libraries run on any x86-64 and pick their kernels at
# run time from the CPU's features).
# The build needs the Debian packages scripts/install_deps.sh installs: run
# that first on a fresh machine (this script leaves npm and node_modules alone).
set -euo pipefail
prefix=${1:-$HOME/.local}
cd "$(dirname "$0")/.."
scripts/build.sh --target edgepipe_installables >&2
# A prefix this user cannot write (e.g. /usr/local) is installed through sudo.
sudo=""
if [ "$(id -u)" != 0 ] && ! { mkdir -p "$prefix" 2>/dev/null && [ -w "$prefix" ]; }; then
  sudo=sudo
fi
$sudo cmake --install build --prefix "$prefix" >&2
echo "installed edgepipe into $prefix" >&2
