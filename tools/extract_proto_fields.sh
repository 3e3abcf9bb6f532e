#!/usr/bin/env bash
# Extracts the facts of upstream .proto files into a C++ table: every
# (message, field, number, type[, label, referenced type, oneof]) and (enum,
# value, number), read by protoc itself (not by regex) from a git checkout.
# The proto_fields tests check our own .proto files against these tables, so
# the check runs anywhere without the upstream repository.
#
#   tools/extract_proto_fields.sh [--dir DIR --files "A B" --url URL --full] GIT_DIR [REV]
#
# Defaults: TF Metadata (src/data/proto/upstream_fields.inc):
#   tools/extract_proto_fields.sh /work/.mirror/tensorflow+metadata/repo \
#       > src/data/proto/upstream_fields.inc
# ONNX (src/onnx/proto/upstream_fields.inc):
#   tools/extract_proto_fields.sh --dir onnx --files onnx --url github.com/onnx/onnx --full \
#       /work/.mirror/onnx+onnx/repo > src/onnx/proto/upstream_fields.inc
# TFMA: tools/extract_tfma_proto_fields.sh.
#
# --dir is the folder of the .proto files in the repository (also their import
# root's prefix), --files their names without .proto; --full adds the label,
# referenced type and oneof columns. GIT_DIR is bare or not; REV defaults to HEAD.
set -euo pipefail
dir=tensorflow_metadata/proto/v0
files="path statistics schema anomalies derived_feature"
url=github.com/tensorflow/metadata
full=
script=${EXTRACT_PROTO_FIELDS_SCRIPT:-$(basename "$0")}
while [[ $# -gt 0 && $1 == --* ]]; do
  case $1 in
    --dir) dir=$2; shift 2 ;;
    --files) files=$2; shift 2 ;;
    --url) url=$2; shift 2 ;;
    --full) full=full; shift ;;
    *) echo "extract_proto_fields.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
repo=${1:?usage: extract_proto_fields.sh [--dir DIR --files "A B" --url URL --full] GIT_DIR [REV]}
rev=${2:-HEAD}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/$dir"
for f in $files; do
  git -C "$repo" show "$rev:$dir/$f.proto" > "$tmp/$dir/$f.proto"
done
commit=$(git -C "$repo" rev-parse "$rev")
inc=/usr/include
protoc -I "$tmp" -I "$inc" --descriptor_set_out="$tmp/set.pb" \
  $(for f in $files; do echo "$dir/$f.proto"; done)
protoc -I "$inc" --decode=google.protobuf.FileDescriptorSet google/protobuf/descriptor.proto \
  < "$tmp/set.pb" > "$tmp/set.txt"
EXTRACT_PROTO_FIELDS_SCRIPT=$script \
  python3 "$here/proto_fields_table.py" "$commit" "$dir/" "$url" $full < "$tmp/set.txt"
