// Custom operator "Convolution2DTransposeBias" (MediaPipe's: the selfie
// segmentation and pose models end with it). A transposed convolution with
// a bias, float32 only:
//   inputs: 0 input NHWC, 1 weights OHWI, 2 bias [O]; output NHWC.
//   custom_options: the raw bytes of TFLite's TfLiteTransposeConvParams,
//   little-endian int32 padding (1 = SAME, 2 = VALID), stride_width,
//   stride_height (later fields, if present, are ignored as MediaPipe does).
// Output size (MediaPipe's Prepare): stride·(in - 1) + filter - pad_total,
// pad_total = max(0, filter - (in - 1) % stride - 1) with SAME, else 0;
// pad_total / 2 rows/cols are cropped before the first.
// Registered by name in BuiltinOpResolver() through the same AddCustom a
// user's own custom operator uses.
#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#include "src/lite/kernels/kernel.h"
#include "src/lite/kernels/op_resolver.h"
#include "src/lite/kernels/optimized/transpose_conv.h"
#include "src/lite/kernels/reference/transpose_conv.h"
#include "src/lite/schema_util.h"

namespace edgepipe::lite {
namespace {

struct TransposeConvBiasData {
  reference::TransposeConvShape shape;
  bool gemm;  // constant weights: GEMM + scatter (optimized/transpose_conv.h)
};

// TfLitePadding values in the custom options.
constexpr int32_t kPaddingSame = 1;
constexpr int32_t kPaddingValid = 2;

Status Prepare(KernelContext& ctx, Node& node) {
  const KernelTensor& input = ctx.input(node, 0);
  const KernelTensor& weights = ctx.input(node, 1);
  const KernelTensor& bias = ctx.input(node, 2);
  const KernelTensor& output = ctx.output(node, 0);
  RETURN_IF_ERROR(ExpectType(input, schema::TensorType_FLOAT32, "input"));
  RETURN_IF_ERROR(ExpectType(weights, schema::TensorType_FLOAT32, "weights"));
  RETURN_IF_ERROR(ExpectType(bias, schema::TensorType_FLOAT32, "bias"));
  RETURN_IF_ERROR(ExpectType(output, schema::TensorType_FLOAT32, "output"));
  RETURN_IF_ERROR(ExpectRank(input, 4, "input"));
  RETURN_IF_ERROR(ExpectRank(weights, 4, "weights"));
  RETURN_IF_ERROR(ExpectRank(bias, 1, "bias"));
  if (weights.dims[3] != input.dims[3] || bias.dims[0] != weights.dims[0]) {
    return Status::InvalidArgument("input " + DimsToString(input.dims) + ", weights " +
                                   DimsToString(weights.dims) + " (OHWI) and bias " +
                                   DimsToString(bias.dims) + " do not agree on channels");
  }
  const auto* opts = node.op->custom_options();
  if (opts == nullptr || opts->size() < 12) {
    return Status::InvalidArgument(
        "custom_options hold " + std::to_string(opts ? opts->size() : 0) +
        " bytes, expected at least 12 (padding, stride_width, stride_height as int32)");
  }
  int32_t params[3];
  std::memcpy(params, opts->data(), sizeof(params));
  const int32_t padding = params[0], stride_w = params[1], stride_h = params[2];
  if (padding != kPaddingSame && padding != kPaddingValid) {
    return Status::InvalidArgument("padding " + std::to_string(padding) +
                                   " is not SAME (1) or VALID (2)");
  }
  if (stride_w < 1 || stride_h < 1 || stride_w > (1 << 16) || stride_h > (1 << 16)) {
    return Status::InvalidArgument("strides " + std::to_string(stride_w) + "x" +
                                   std::to_string(stride_h) + " out of range [1, 65536]");
  }
  reference::TransposeConvShape s{};
  s.batches = input.dims[0];
  s.in_h = input.dims[1];
  s.in_w = input.dims[2];
  s.in_c = input.dims[3];
  s.out_c = weights.dims[0];
  s.filter_h = weights.dims[1];
  s.filter_w = weights.dims[2];
  s.stride_h = stride_h;
  s.stride_w = stride_w;
  if (s.in_h < 1 || s.in_w < 1 || s.filter_h < 1 || s.filter_w < 1) {
    return Status::InvalidArgument("input " + DimsToString(input.dims) + " and weights " +
                                   DimsToString(weights.dims) + " need non-empty spatial dims");
  }
  int64_t pad_h = 0, pad_w = 0;
  if (padding == kPaddingSame) {
    pad_h = std::max<int64_t>(0, s.filter_h - (s.in_h - 1) % s.stride_h - 1);
    pad_w = std::max<int64_t>(0, s.filter_w - (s.in_w - 1) % s.stride_w - 1);
  }
  const int64_t out_h = int64_t{s.stride_h} * (s.in_h - 1) + s.filter_h - pad_h;
  const int64_t out_w = int64_t{s.stride_w} * (s.in_w - 1) + s.filter_w - pad_w;
  if (out_h > std::numeric_limits<int32_t>::max() / 2 ||
      out_w > std::numeric_limits<int32_t>::max() / 2) {
    return Status::InvalidArgument("output size " + std::to_string(out_h) + "x" +
                                   std::to_string(out_w) + " is too large");
  }
  s.out_h = static_cast<int32_t>(out_h);
  s.out_w = static_cast<int32_t>(out_w);
  s.pad_h = static_cast<int32_t>(pad_h / 2);
  s.pad_w = static_cast<int32_t>(pad_w / 2);
  auto& d = node.op_data<TransposeConvBiasData>();
  d.shape = s;
  d.gemm = weights.is_constant && ctx.options().dnnl_min_batch > 0;
  if (d.gemm) {
    optimized::PackTransposeConvFilter(weights.data_as<const float>(), s, &node.params_f32);
    RETURN_IF_ERROR(ctx.RequestScratch(
        node, static_cast<size_t>(optimized::TransposeConvColsElements(s)) * sizeof(float)));
  }
  return ctx.SetOutputDims(node, 0, {s.batches, s.out_h, s.out_w, s.out_c});
}

Status Eval(KernelContext& ctx, const Node& node) {
  const auto& d = node.op_data<TransposeConvBiasData>();
  constexpr float kInf = std::numeric_limits<float>::infinity();
  if (d.gemm) {
    optimized::TransposeConvFloatGemm(
        ctx.output(node, 0).data_as<float>(), ctx.input(node, 0).data_as<const float>(),
        node.params_f32.data(), ctx.input(node, 2).data_as<const float>(), d.shape,
        /*bias_first=*/true, -kInf, kInf, static_cast<float*>(ctx.scratch(node.scratch[0])));
    return Status::OK();
  }
  reference::TransposeConvFloat(
      ctx.output(node, 0).data_as<float>(), ctx.input(node, 0).data_as<const float>(),
      ctx.input(node, 1).data_as<const float>(), ctx.input(node, 2).data_as<const float>(), d.shape,
      /*bias_first=*/true, -kInf, kInf);
  return Status::OK();
}

}  // namespace

const OpRegistration* RegisterConvolution2DTransposeBias() {
  static const OpRegistration reg{
      schema::BuiltinOperator_CUSTOM, "Convolution2DTransposeBias", 3, 3, 1, Prepare, Eval};
  return &reg;
}

}  // namespace edgepipe::lite
