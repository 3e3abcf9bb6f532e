#!/usr/bin/env bash
# Regenerates src/eval/proto/upstream_fields.inc: every (message, field,
# number, type, label, referenced type, oneof) and (enum, value, number) fact
# of TFMA's config, metrics_for_slice and validation_result protos, read by
# protoc itself (not by regex) from a git checkout of
# github.com/tensorflow/model-analysis. src/eval/proto/proto_fields_test.cc
# checks our own eval .proto files against this table, so the check runs
# anywhere without the upstream repository.
#
#   tools/extract_tfma_proto_fields.sh /work/.mirror/tensorflow+model-analysis/repo [REV] \
#       > src/eval/proto/upstream_fields.inc
#
# The argument is a git directory (bare or not); REV defaults to HEAD.
set -euo pipefail
repo=${1:?usage: extract_tfma_proto_fields.sh GIT_DIR [REV]}
rev=${2:-HEAD}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
files="config metrics_for_slice validation_result"
dir=tensorflow_model_analysis/proto
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
python3 "$here/proto_fields_table.py" "$commit" "$dir/" github.com/tensorflow/model-analysis full \
  < "$tmp/set.txt"
