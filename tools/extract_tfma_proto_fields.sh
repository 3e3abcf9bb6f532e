#!/usr/bin/env bash
# Regenerates src/eval/proto/upstream_fields.inc: every (message, field,
# number, type, label, referenced type, oneof) and (enum, value, number) fact
# of TFMA's config, metrics_for_slice and validation_result protos, read by
# protoc itself from a git checkout of github.com/tensorflow/model-analysis
# (tools/extract_proto_fields.sh does the work).
# src/eval/proto/proto_fields_test.cc checks our own eval .proto files against
# this table, so the check runs anywhere without the upstream repository.
#
#   tools/extract_tfma_proto_fields.sh /work/.mirror/tensorflow+model-analysis/repo [REV] \
#       > src/eval/proto/upstream_fields.inc
#
# The argument is a git directory (bare or not); REV defaults to HEAD.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
EXTRACT_PROTO_FIELDS_SCRIPT=$(basename "$0") exec "$here/extract_proto_fields.sh" \
  --dir tensorflow_model_analysis/proto --files "config metrics_for_slice validation_result" \
  --url github.com/tensorflow/model-analysis --full "$@"
