#!/usr/bin/env bash
# Fetches Google's MediaPipe .tflite models (10 files, 0.2-28 MB) from the npm
# packages that ship them, for tests/interop/mediapipe_models_test.cc and
# benchmarks. Never commit the models.
#
#   tests/mediapipe/fetch_models.sh [DIR]     # DIR defaults to $EDGEPIPE_MEDIAPIPE_DIR
#
# `npm pack` downloads each package tarball (no install, no scripts run) into
# a temporary folder; only the .tflite files are unpacked into DIR. Exits
# non-zero when npm or the registry fails; DIR then holds what was fetched.
set -euo pipefail
dir="${1:-${EDGEPIPE_MEDIAPIPE_DIR:-}}"
if [ -z "$dir" ]; then
  echo "usage: $0 DIR (or set EDGEPIPE_MEDIAPIPE_DIR)" >&2
  exit 2
fi
mkdir -p "$dir"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
packages=(@mediapipe/face_detection @mediapipe/hands @mediapipe/pose @mediapipe/selfie_segmentation)
(cd "$tmp" && npm pack --silent "${packages[@]}" >/dev/null)
for tarball in "$tmp"/*.tgz; do
  # Package tarballs hold package/<file>; keep only the models.
  tar -xzf "$tarball" -C "$tmp" --wildcards 'package/*.tflite'
done
count=0
for model in "$tmp"/package/*.tflite; do
  install -m 0644 "$model" "$dir/"
  count=$((count + 1))
done
echo "fetched $count MediaPipe models into $dir" >&2
