#!/usr/bin/env bash
# Regenerates src/data/proto/upstream_fields.inc: the (message, field, number,
# type) and (enum, value, number) facts of TF Metadata's statistics, schema,
# anomalies and path protos, read by protoc itself (not by regex) from a git
# checkout of github.com/tensorflow/metadata. proto_fields_test.cc checks our
# own .proto files against this table, so the check runs anywhere without the
# upstream repository.
#
#   tools/extract_proto_fields.sh /work/.mirror/tensorflow+metadata/repo [REV] \
#       > src/data/proto/upstream_fields.inc
#
# The argument is a git directory (bare or not); REV defaults to HEAD.
set -euo pipefail
repo=${1:?usage: extract_proto_fields.sh GIT_DIR [REV]}
rev=${2:-HEAD}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
files="path statistics schema anomalies derived_feature"
mkdir -p "$tmp/tensorflow_metadata/proto/v0"
for f in $files; do
  git -C "$repo" show "$rev:tensorflow_metadata/proto/v0/$f.proto" \
    > "$tmp/tensorflow_metadata/proto/v0/$f.proto"
done
commit=$(git -C "$repo" rev-parse "$rev")
inc=/usr/include
protoc -I "$tmp" -I "$inc" --descriptor_set_out="$tmp/set.pb" \
  $(for f in $files; do echo "tensorflow_metadata/proto/v0/$f.proto"; done)
protoc -I "$inc" --decode=google.protobuf.FileDescriptorSet google/protobuf/descriptor.proto \
  < "$tmp/set.pb" > "$tmp/set.txt"
python3 "$here/proto_fields_table.py" "$commit" < "$tmp/set.txt"
