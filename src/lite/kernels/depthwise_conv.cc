// DEPTHWISE_CONV_2D (NHWC): inputs 0 input [N, H, W, IC], 1 filter
// [1, KH, KW, OC] with OC = IC · depth_multiplier, 2 bias [OC] (optional).
// Output [N, OH, OW, OC]. Modes as CONV_2D: float32, int8 (per-channel
// requantization), hybrid (per-image asymmetric input quantization, as
// TFLite's EvalHybridPerChannel). depth_multiplier 1 (the MobileNet case)
// runs the channel-vectorised loops in optimized/depthwise.cc; float needs
// a constant filter and bias there (Prepare packs them), else the reference.
#include <limits>
#include <string>
#include <vector>

#include "src/lite/kernels/conv_common.h"
#include "src/lite/kernels/kernel.h"
#include "src/lite/kernels/op_resolver.h"
#include "src/lite/kernels/optimized/depthwise.h"
#include "src/lite/kernels/parallel_bands.h"
#include "src/lite/kernels/reference/conv.h"
#include "src/lite/quantization_util.h"
#include "src/lite/schema_util.h"

namespace edgepipe::lite {
namespace {

using Mode = WeightedMode;

struct DepthwiseData {
  reference::ConvGeometry g;
  Mode mode;
  float act_min, act_max;
  int32_t q_act_min, q_act_max;
  int32_t input_offset, output_offset;
  bool fast;
  const optimized::DepthwiseKernels* kernels;  // fast: this CPU's loops
};

Status Prepare(KernelContext& ctx, Node& node) {
  const KernelTensor& input = ctx.input(node, 0);
  const KernelTensor& filter = ctx.input(node, 1);
  const KernelTensor& output = ctx.output(node, 0);
  const KernelTensor* bias = ctx.has_input(node, 2) ? &ctx.input(node, 2) : nullptr;
  auto& d = node.op_data<DepthwiseData>();
  d = {};
  ASSIGN_OR_RETURN(d.mode, SelectWeightedMode(input, filter, "filter"));
  RETURN_IF_ERROR(ExpectType(output, input.type, "output"));
  RETURN_IF_ERROR(ExpectRank(filter, 4, "filter"));
  RETURN_IF_ERROR(ExpectRank(input, 4, "input"));
  const int in_c = input.dims[3];
  const int out_c = filter.dims[3];
  if (filter.dims[0] != 1 || in_c <= 0 || out_c % in_c != 0) {
    return Status::InvalidArgument(
        "filter '" + filter.name + "' has shape " + DimsToString(filter.dims) +
        ", expected [1, KH, KW, a multiple of the " + std::to_string(in_c) + " input channels]");
  }
  const auto* opts = node.op->builtin_options_as_DepthwiseConv2DOptions();
  if (opts == nullptr) return Status::InvalidArgument("missing DepthwiseConv2DOptions");
  RETURN_IF_ERROR(FillConvGeometry(input, filter.dims[1], filter.dims[2], opts->stride_h(),
                                   opts->stride_w(), opts->dilation_h_factor(),
                                   opts->dilation_w_factor(), opts->padding(), &d.g));
  d.g.out_c = out_c;
  d.g.depth_multiplier = out_c / in_c;
  RETURN_IF_ERROR(ActivationRange(opts->fused_activation_function(), &d.act_min, &d.act_max));
  if (bias != nullptr && d.mode != Mode::kInt8) {
    RETURN_IF_ERROR(ExpectType(*bias, schema::TensorType_FLOAT32, "bias"));
    if (bias->num_elements() != out_c) {
      return Status::InvalidArgument("bias '" + bias->name + "' has shape " +
                                     DimsToString(bias->dims) + ", expected [" +
                                     std::to_string(out_c) + "]");
    }
  }
  d.fast = d.g.depth_multiplier == 1 && ctx.options().dnnl_min_batch > 0;
  d.kernels = optimized::SelectDepthwise();
  // The kernels index window taps with int; only a non-constant (arena)
  // filter can be this large, and Prepare runs before the arena limit.
  const int64_t taps64 = int64_t{d.g.filter_h} * d.g.filter_w;
  if (taps64 > std::numeric_limits<int>::max()) {
    return Status::InvalidArgument("filter '" + filter.name + "' has shape " +
                                   DimsToString(filter.dims) + ": " + std::to_string(taps64) +
                                   " taps per window exceed int32");
  }
  const int taps = static_cast<int>(taps64);
  if (d.mode == Mode::kFloat && d.fast) {
    // Packed once here (optimized/depthwise.h); a filter or bias computed at
    // run time takes the reference loops.
    d.fast = filter.is_constant && (bias == nullptr || bias->is_constant);
    if (d.fast) {
      optimized::PackDepthwiseFloatFilter(filter.data_as<const float>(),
                                          bias != nullptr ? bias->data_as<const float>() : nullptr,
                                          taps, out_c, d.kernels->float_lanes, &node.params_f32);
    }
  }
  if (d.fast && d.mode == Mode::kInt8) {
    // Scratch 0: where each tap of the current output pixel reads.
    RETURN_IF_ERROR(ctx.RequestScratch(node, static_cast<size_t>(taps) * sizeof(int64_t)));
  }
  if (d.mode == Mode::kInt8) {
    RETURN_IF_ERROR(ComputeChannelMultipliers(input, filter, bias, output, out_c, node));
    d.input_offset = -input.zero_point();
    d.output_offset = output.zero_point();
    RETURN_IF_ERROR(QuantizedActivationRange(opts->fused_activation_function(), output.type,
                                             output.scale(), output.zero_point(), &d.q_act_min,
                                             &d.q_act_max));
    if (d.fast) {
      optimized::PackDepthwiseInt8Filter(filter.data_as<const int8_t>(), taps, out_c,
                                         &node.params_i16);
    }
  } else if (d.mode == Mode::kHybrid) {
    bool per_channel = false;
    RETURN_IF_ERROR(HybridWeightScales(filter, "filter", out_c, &node.params_f32, &per_channel));
    RETURN_IF_ERROR(RequestHybridInputScratch(
        ctx, node, d.g.batch, static_cast<int64_t>(d.g.in_h) * d.g.in_w * d.g.in_c));
  }
  return ctx.SetOutputDims(node, 0, {d.g.batch, d.g.out_h, d.g.out_w, d.g.out_c});
}

Status Eval(KernelContext& ctx, const Node& node) {
  const auto& d = node.op_data<DepthwiseData>();
  const reference::ConvGeometry& g = d.g;
  const KernelTensor& input = ctx.input(node, 0);
  const KernelTensor& filter = ctx.input(node, 1);
  const bool has_bias = ctx.has_input(node, 2);
  KernelTensor& output = ctx.output(node, 0);
  switch (d.mode) {
    case Mode::kFloat: {
      const float* bias = has_bias ? ctx.input(node, 2).data_as<const float>() : nullptr;
      if (d.fast) {
        // Bands of output rows over the pool (parallel_bands.h).
        const int taps = g.filter_h * g.filter_w;
        const int64_t in_image = int64_t{g.in_h} * g.in_w * g.in_c;
        const int64_t out_image = int64_t{g.out_h} * g.out_w * g.out_c;
        // Memory-bound: a multiply-add here costs ~4 of a GEMM's (ChunksFor's unit).
        ForEachBand(ctx, g, 4 * int64_t{g.out_w} * g.out_c * taps, [&](int b, int oy0, int oy1) {
          d.kernels->float_m1(
              output.data_as<float>() + b * out_image + int64_t{oy0} * g.out_w * g.out_c,
              input.data_as<const float>() + b * in_image, node.params_f32.data(),
              BandGeometry(g, oy0, oy1), d.act_min, d.act_max);
        });
      } else {
        reference::DepthwiseConvFloat(output.data_as<float>(), input.data_as<const float>(),
                                      filter.data_as<const float>(), bias, g, d.act_min, d.act_max);
      }
      return Status::OK();
    }
    case Mode::kInt8: {
      const int32_t* bias = has_bias ? ctx.input(node, 2).data_as<const int32_t>() : nullptr;
      const reference::Int8ConvParams p{
          d.input_offset, d.output_offset, node.params_i32.data(), node.params_i32.data() + g.out_c,
          d.q_act_min,    d.q_act_max};
      if (d.fast) {
        d.kernels->int8_m1(output.data_as<int8_t>(), input.data_as<const int8_t>(),
                           filter.data_as<const int8_t>(), node.params_i16.data(), bias, g, p,
                           static_cast<int64_t*>(ctx.scratch(node.scratch[0])));
      } else {
        reference::DepthwiseConvInt8(output.data_as<int8_t>(), input.data_as<const int8_t>(),
                                     filter.data_as<const int8_t>(), bias, g, p);
      }
      return Status::OK();
    }
    case Mode::kHybrid: {
      // TFLite's depthwise hybrid kernel quantizes asymmetrically always.
      const HybridInput h =
          QuantizeHybridInput(ctx, node, 0, input.data_as<const float>(), g.batch,
                              static_cast<int64_t>(g.in_h) * g.in_w * g.in_c, /*asymmetric=*/true);
      const float* bias = has_bias ? ctx.input(node, 2).data_as<const float>() : nullptr;
      const reference::HybridConvParams p{h.scales, h.offsets, node.params_f32.data(), d.act_min,
                                          d.act_max};
      reference::DepthwiseConvHybrid(output.data_as<float>(), h.q, filter.data_as<const int8_t>(),
                                     bias, g, p);
      return Status::OK();
    }
  }
  return Status::OK();
}

}  // namespace

const OpRegistration* RegisterDepthwiseConv2D() {
  static const OpRegistration reg{schema::BuiltinOperator_DEPTHWISE_CONV_2D,
                                  "DEPTHWISE_CONV_2D",
                                  /*min_inputs=*/2,
                                  /*max_inputs=*/3,
                                  /*num_outputs=*/1,
                                  Prepare,
                                  Eval};
  return &reg;
}

}  // namespace edgepipe::lite
