// TRANSPOSE_CONV (float32 and int8): inputs 0 the constant int32 output
// shape [N, H, W, O], 1 the weights OHWI, 2 the input NHWC, 3 the optional
// bias [O]; options padding, strides and (version 4+) a fused activation.
// int8 is TFLite's: symmetric weights per output channel (quantized
// dimension 0) or per tensor, int32 bias of scale input·weight, per-channel
// requantization (reference::TransposeConvInt8; GEMM + scatter when the
// weights are constant, bit-identical). The
// padding is the one a forward convolution from the output size to the
// input size would use (TFLite's ComputePaddingHeightWidth on the output
// dims); the bias is added after the scatter, as TFLite's reference does.
#include "src/lite/kernels/reference/transpose_conv.h"

#include <string>

#include "src/lite/kernels/kernel.h"
#include "src/lite/kernels/op_resolver.h"
#include "src/lite/kernels/optimized/transpose_conv.h"
#include "src/lite/quantization_util.h"
#include "src/lite/schema_util.h"

namespace edgepipe::lite {
namespace {

struct TransposeConvData {
  reference::TransposeConvShape shape;
  float act_min, act_max;
  bool gemm;  // constant weights: GEMM + scatter (optimized/transpose_conv.h)
  bool is_int8;
  int32_t input_offset, output_offset, q_act_min, q_act_max;
  const optimized::Int8GemmKernel* int8_gemm;
};

Status Prepare(KernelContext& ctx, Node& node) {
  const KernelTensor& shape_t = ctx.input(node, 0);
  const KernelTensor& weights = ctx.input(node, 1);
  const KernelTensor& input = ctx.input(node, 2);
  const KernelTensor& output = ctx.output(node, 0);
  if (input.type != schema::TensorType_FLOAT32 && input.type != schema::TensorType_INT8) {
    return Status::Unimplemented("input '" + input.name + "' is " + TensorTypeName(input.type) +
                                 "; only float32 and int8 are supported");
  }
  RETURN_IF_ERROR(ExpectType(weights, input.type, "weights"));
  RETURN_IF_ERROR(ExpectType(output, input.type, "output"));
  RETURN_IF_ERROR(ExpectRank(input, 4, "input"));
  RETURN_IF_ERROR(ExpectRank(weights, 4, "weights"));
  RETURN_IF_ERROR(ExpectType(shape_t, schema::TensorType_INT32, "output shape"));
  if (!shape_t.is_constant || shape_t.num_elements() != 4) {
    return Status::Unimplemented("output shape '" + shape_t.name +
                                 "' must be a constant of 4 int32");
  }
  const int32_t* os = shape_t.data_as<const int32_t>();
  if (os[0] != input.dims[0] || os[3] != weights.dims[0] || weights.dims[3] != input.dims[3] ||
      os[1] < 1 || os[2] < 1) {
    return Status::InvalidArgument(
        "output shape [" + std::to_string(os[0]) + "," + std::to_string(os[1]) + "," +
        std::to_string(os[2]) + "," + std::to_string(os[3]) + "], weights " +
        DimsToString(weights.dims) + " and input " + DimsToString(input.dims) + " do not agree");
  }
  const bool is_int8 = input.type == schema::TensorType_INT8;
  if (ctx.has_input(node, 3) && !is_int8) {  // int8: ComputeChannelMultipliers checks it
    const KernelTensor& bias = ctx.input(node, 3);
    RETURN_IF_ERROR(ExpectType(bias, schema::TensorType_FLOAT32, "bias"));
    if (bias.num_elements() != weights.dims[0]) {
      return Status::InvalidArgument("bias '" + bias.name + "' has shape " +
                                     DimsToString(bias.dims) + ", expected [" +
                                     std::to_string(weights.dims[0]) + "]");
    }
  }
  const auto* o = node.op->builtin_options_as_TransposeConvOptions();
  if (o == nullptr) return Status::InvalidArgument("missing TransposeConvOptions");
  auto& d = node.op_data<TransposeConvData>();
  d = {};
  RETURN_IF_ERROR(ActivationRange(o->fused_activation_function(), &d.act_min, &d.act_max));
  SpatialPadding ph, pw;
  RETURN_IF_ERROR(
      ComputeSpatialPadding(o->padding(), os[1], weights.dims[1], o->stride_h(), 1, "height", &ph));
  RETURN_IF_ERROR(
      ComputeSpatialPadding(o->padding(), os[2], weights.dims[2], o->stride_w(), 1, "width", &pw));
  if (ph.out_size != input.dims[1] || pw.out_size != input.dims[2]) {
    return Status::InvalidArgument("input " + DimsToString(input.dims) +
                                   " is not the size a convolution of the output shape gives (" +
                                   std::to_string(ph.out_size) + "x" + std::to_string(pw.out_size) +
                                   ")");
  }
  d.shape = {input.dims[0],   input.dims[1],   input.dims[2], input.dims[3], weights.dims[1],
             weights.dims[2], weights.dims[0], os[1],         os[2],         o->stride_h(),
             o->stride_w(),   ph.pad_before,   pw.pad_before};
  d.gemm = weights.is_constant && ctx.options().dnnl_min_batch > 0;
  d.is_int8 = is_int8;
  if (is_int8) {
    if (weights.quantized_dimension != 0 && weights.scales.size() > 1) {
      return Status::InvalidArgument(
          "weights '" + weights.name + "' are quantized along dimension " +
          std::to_string(weights.quantized_dimension) + ", expected 0 (output channels)");
    }
    RETURN_IF_ERROR(ComputeChannelMultipliers(
        input, weights, ctx.has_input(node, 3) ? &ctx.input(node, 3) : nullptr, output,
        weights.dims[0], node));
    d.input_offset = -input.zero_point();
    d.output_offset = output.zero_point();
    RETURN_IF_ERROR(QuantizedActivationRange(o->fused_activation_function(), output.type,
                                             output.scale(), output.zero_point(), &d.q_act_min,
                                             &d.q_act_max));
    d.gemm = d.gemm && d.shape.in_c <= optimized::kTransposeConvInt8MaxGemmDepth;
    if (d.gemm) {
      d.int8_gemm = optimized::SelectInt8Gemm();
      RETURN_IF_ERROR(optimized::PackTransposeConvFilterInt8(weights.data_as<const int8_t>(),
                                                             d.shape, &node.params_i16));
      RETURN_IF_ERROR(ctx.RequestScratch(node, optimized::TransposeConvInt8ScratchBytes(d.shape)));
    } else {
      RETURN_IF_ERROR(ctx.RequestScratch(
          node, static_cast<size_t>(int64_t{os[1]} * os[2] * os[3]) * sizeof(int32_t)));
    }
  } else if (d.gemm) {
    optimized::PackTransposeConvFilter(weights.data_as<const float>(), d.shape, &node.params_f32);
    RETURN_IF_ERROR(ctx.RequestScratch(
        node, static_cast<size_t>(optimized::TransposeConvColsElements(d.shape)) * sizeof(float)));
  }
  return ctx.SetOutputDims(node, 0, {os[0], os[1], os[2], os[3]});
}

Status Eval(KernelContext& ctx, const Node& node) {
  const auto& d = node.op_data<TransposeConvData>();
  if (d.is_int8) {
    const int32_t* bias =
        ctx.has_input(node, 3) ? ctx.input(node, 3).data_as<const int32_t>() : nullptr;
    const int32_t* mult = node.params_i32.data();
    const reference::Int8ConvParams p{d.input_offset,       d.output_offset, mult,
                                      mult + d.shape.out_c, d.q_act_min,     d.q_act_max};
    if (d.gemm) {
      optimized::TransposeConvInt8Gemm(
          ctx.output(node, 0).data_as<int8_t>(), ctx.input(node, 2).data_as<const int8_t>(),
          node.params_i16.data(), bias, d.shape, p, *d.int8_gemm, ctx.scratch(node.scratch[0]));
    } else {
      reference::TransposeConvInt8(ctx.output(node, 0).data_as<int8_t>(),
                                   ctx.input(node, 2).data_as<const int8_t>(),
                                   ctx.input(node, 1).data_as<const int8_t>(), bias, d.shape, p,
                                   static_cast<int32_t*>(ctx.scratch(node.scratch[0])));
    }
    return Status::OK();
  }
  const float* bias = ctx.has_input(node, 3) ? ctx.input(node, 3).data_as<const float>() : nullptr;
  if (d.gemm) {
    optimized::TransposeConvFloatGemm(
        ctx.output(node, 0).data_as<float>(), ctx.input(node, 2).data_as<const float>(),
        node.params_f32.data(), bias, d.shape, /*bias_first=*/false, d.act_min, d.act_max,
        static_cast<float*>(ctx.scratch(node.scratch[0])));
    return Status::OK();
  }
  reference::TransposeConvFloat(ctx.output(node, 0).data_as<float>(),
                                ctx.input(node, 2).data_as<const float>(),
                                ctx.input(node, 1).data_as<const float>(), bias, d.shape,
                                /*bias_first=*/false, d.act_min, d.act_max);
  return Status::OK();
}

}  // namespace

const OpRegistration* RegisterTransposeConv() {
  static const OpRegistration reg{
      schema::BuiltinOperator_TRANSPOSE_CONV, "TRANSPOSE_CONV", 3, 4, 1, Prepare, Eval};
  return &reg;
}

}  // namespace edgepipe::lite
