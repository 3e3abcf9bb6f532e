// CONV_2D (NHWC): inputs 0 input [N, H, W, IC], 1 filter [OC, KH, KW, IC],
// 2 bias [OC] (optional). Output [N, OH, OW, OC].
// Modes: float32; int8 (per-channel or per-tensor symmetric filter, int32
// bias, TFLite's requantization); hybrid (float input/output, int8 filter:
// each image quantized at run time — asymmetric for per-channel filters,
// symmetric for per-tensor ones, as TFLite's EvalHybridPerChannel/EvalHybrid).
// float32 runs the direct kernel (optimized/conv_direct.h) where the CPU has
// one, else im2col + oneDNN sgemm; int8 runs im2col + the exact int8 GEMM.
#include "src/lite/kernels/reference/conv.h"

#include <atomic>
#include <string>

#include "src/core/parallel.h"
#include "src/lite/kernels/conv_common.h"
#include "src/lite/kernels/kernel.h"
#include "src/lite/kernels/op_resolver.h"
#include "src/lite/kernels/optimized/conv_direct.h"
#include "src/lite/kernels/optimized/fully_connected_dnnl.h"
#include "src/lite/kernels/optimized/im2col.h"
#include "src/lite/kernels/optimized/int8_gemm.h"
#include "src/lite/kernels/parallel_bands.h"
#include "src/lite/quantization_util.h"
#include "src/lite/schema_util.h"

namespace edgepipe::lite {
namespace {

using Mode = WeightedMode;

struct ConvData {
  reference::ConvGeometry g;
  Mode mode;
  float act_min, act_max;
  int32_t q_act_min, q_act_max;
  int32_t input_offset, output_offset;
  bool pointwise;
  bool per_channel;
  bool use_reference;
  // int8: the GEMM for this CPU, chosen once here (cpu_features.h).
  const optimized::Int8GemmKernel* gemm;
  // float: the direct kernel (conv_direct.h) when it is used, else null
  // (im2col + sgemm); its packed filter and bias are node.params_f32.
  const optimized::ConvDirectKernel* direct;
};

Status Prepare(KernelContext& ctx, Node& node) {
  const KernelTensor& input = ctx.input(node, 0);
  const KernelTensor& filter = ctx.input(node, 1);
  const KernelTensor& output = ctx.output(node, 0);
  const KernelTensor* bias = ctx.has_input(node, 2) ? &ctx.input(node, 2) : nullptr;
  auto& d = node.op_data<ConvData>();
  d = {};
  ASSIGN_OR_RETURN(d.mode, SelectWeightedMode(input, filter, "filter"));
  RETURN_IF_ERROR(ExpectType(output, input.type, "output"));
  RETURN_IF_ERROR(ExpectRank(filter, 4, "filter"));
  RETURN_IF_ERROR(ExpectRank(input, 4, "input"));
  if (filter.dims[3] != input.dims[3]) {
    return Status::InvalidArgument("filter '" + filter.name + "' has shape " +
                                   DimsToString(filter.dims) + ", expected in_channels " +
                                   std::to_string(input.dims[3]) + " (input " +
                                   DimsToString(input.dims) + ")");
  }
  const auto* opts = node.op->builtin_options_as_Conv2DOptions();
  if (opts == nullptr) return Status::InvalidArgument("missing Conv2DOptions");
  RETURN_IF_ERROR(FillConvGeometry(input, filter.dims[1], filter.dims[2], opts->stride_h(),
                                   opts->stride_w(), opts->dilation_h_factor(),
                                   opts->dilation_w_factor(), opts->padding(), &d.g));
  d.g.out_c = filter.dims[0];
  if (d.g.out_c <= 0) return Status::InvalidArgument("filter has no output channels");
  RETURN_IF_ERROR(ActivationRange(opts->fused_activation_function(), &d.act_min, &d.act_max));
  if (bias != nullptr && d.mode != Mode::kInt8) {
    RETURN_IF_ERROR(ExpectType(*bias, schema::TensorType_FLOAT32, "bias"));
    if (bias->num_elements() != d.g.out_c) {
      return Status::InvalidArgument("bias '" + bias->name + "' has shape " +
                                     DimsToString(bias->dims) + ", expected [" +
                                     std::to_string(d.g.out_c) + "]");
    }
  }
  d.pointwise = optimized::IsPointwise(d.g);
  d.use_reference = ctx.options().dnnl_min_batch <= 0;
  const int64_t pixels = static_cast<int64_t>(d.g.out_h) * d.g.out_w;
  const int64_t k = static_cast<int64_t>(d.g.filter_h) * d.g.filter_w * d.g.in_c;
  if (d.mode == Mode::kInt8) {
    RETURN_IF_ERROR(ComputeChannelMultipliers(input, filter, bias, output, d.g.out_c, node));
    d.per_channel = filter.scales.size() > 1;
    d.gemm = optimized::SelectInt8Gemm();
    d.input_offset = -input.zero_point();
    d.output_offset = output.zero_point();
    RETURN_IF_ERROR(QuantizedActivationRange(opts->fused_activation_function(), output.type,
                                             output.scale(), output.zero_point(), &d.q_act_min,
                                             &d.q_act_max));
    RETURN_IF_ERROR(
        optimized::PackInt8Weights(filter.data_as<const int8_t>(), d.g.out_c, k, &node.params_i16));
    // The int16 left-hand side of one image (x - zero point; see int8_gemm.h),
    // one per thread: batches split by image (see Eval).
    RETURN_IF_ERROR(ctx.RequestScratch(
        node, static_cast<size_t>(ctx.num_threads() * pixels * optimized::Int8GemmRowStride(k)) *
                  sizeof(int16_t)));
  } else if (d.mode == Mode::kFloat) {
    // Direct (conv_direct.h) unless the output is one vector of channels
    // over a large image: there its one weight vector per 12 input
    // broadcasts made it 15-25% slower than sgemm (selfie_segmentation's
    // 128x128x16 and 64x64x16 1x1 convolutions); every other layer of our
    // models and of the MediaPipe ones measured was faster direct (bench
    // --profile), the small ones 2-5x (no column matrix, no sgemm call).
    d.direct = d.use_reference ? nullptr : optimized::SelectConvDirect();
    if (d.direct != nullptr && d.g.out_c <= d.direct->lanes && pixels >= 4096) d.direct = nullptr;
    if (d.direct != nullptr) {
      optimized::PackConvDirectFilter(
          filter.data_as<const float>(), bias != nullptr ? bias->data_as<const float>() : nullptr,
          d.g.out_c, d.g.filter_h, d.g.filter_w, d.g.in_c, *d.direct, &node.params_f32);
    } else if (!d.pointwise) {
      RETURN_IF_ERROR(ctx.RequestScratch(node, static_cast<size_t>(pixels * k) * sizeof(float)));
    }
  } else {
    RETURN_IF_ERROR(
        HybridWeightScales(filter, "filter", d.g.out_c, &node.params_f32, &d.per_channel));
    RETURN_IF_ERROR(RequestHybridInputScratch(
        ctx, node, d.g.batch, static_cast<int64_t>(d.g.in_h) * d.g.in_w * d.g.in_c));
  }
  return ctx.SetOutputDims(node, 0, {d.g.batch, d.g.out_h, d.g.out_w, d.g.out_c});
}

Status Eval(KernelContext& ctx, const Node& node) {
  const auto& d = node.op_data<ConvData>();
  const reference::ConvGeometry& g = d.g;
  const KernelTensor& input = ctx.input(node, 0);
  const KernelTensor& filter = ctx.input(node, 1);
  const bool has_bias = ctx.has_input(node, 2);
  KernelTensor& output = ctx.output(node, 0);
  const int64_t pixels = static_cast<int64_t>(g.out_h) * g.out_w;
  const int64_t k = static_cast<int64_t>(g.filter_h) * g.filter_w * g.in_c;
  const int64_t in_image = static_cast<int64_t>(g.in_h) * g.in_w * g.in_c;
  switch (d.mode) {
    case Mode::kFloat: {
      const float* bias = has_bias ? ctx.input(node, 2).data_as<const float>() : nullptr;
      if (d.use_reference) {
        reference::ConvFloat(output.data_as<float>(), input.data_as<const float>(),
                             filter.data_as<const float>(), bias, g, d.act_min, d.act_max);
        return Status::OK();
      }
      // Bands of output rows over the pool (parallel_bands.h); each band's
      // columns go to its own rows of the image's im2col scratch.
      std::atomic<bool> failed{false};
      Status error;
      ForEachBand(
          ctx, g, static_cast<int64_t>(g.out_w) * k * g.out_c, [&](int b, int oy0, int oy1) {
            if (d.direct != nullptr) {
              d.direct->conv(
                  output.data_as<float>() + (b * pixels + int64_t{oy0} * g.out_w) * g.out_c,
                  input.data_as<const float>() + b * in_image, node.params_f32.data(),
                  BandGeometry(g, oy0, oy1), d.act_min, d.act_max);
              return;
            }
            const int64_t row0 = int64_t{oy0} * g.out_w, band_pixels = int64_t{oy1 - oy0} * g.out_w;
            const float* cols = input.data_as<const float>() + b * in_image + row0 * k;
            if (!d.pointwise) {
              float* scratch = static_cast<float*>(ctx.scratch(node.scratch[0])) + row0 * k;
              const float* image = input.data_as<const float>() + b * in_image;
              optimized::Im2Col(scratch, image, BandGeometry(g, oy0, oy1), 0, 0.0f);
              cols = scratch;
            }
            Status st = optimized::FullyConnectedFloatDnnl(
                output.data_as<float>() + (b * pixels + row0) * g.out_c, cols,
                filter.data_as<const float>(), bias, band_pixels, k, g.out_c, d.act_min, d.act_max);
            if (!st.ok() && !failed.exchange(true)) error = st;
          });
      return error;
    }
    case Mode::kInt8: {
      const int32_t* bias = has_bias ? ctx.input(node, 2).data_as<const int32_t>() : nullptr;
      const int32_t* mult = node.params_i32.data();
      const int32_t* shift = mult + g.out_c;
      const optimized::Int8GemmRequantParams p{d.output_offset, mult,        shift,
                                               d.per_channel,   d.q_act_min, d.q_act_max};
      auto* lhs_base = static_cast<int16_t*>(ctx.scratch(node.scratch[0]));
      const int64_t lhs_elements = pixels * optimized::Int8GemmRowStride(k);
      // Images [begin, end) on one thread, with that thread's lhs slice; the
      // GEMM splits its rows over `pool` when given.
      const auto images = [&](int64_t begin, int64_t end, int thread, ThreadPool* pool) {
        int16_t* lhs = lhs_base + thread * lhs_elements;
        for (int64_t b = begin; b < end; ++b) {
          if (d.pointwise) {
            d.gemm->widen_rows(lhs, input.data_as<const int8_t>() + b * in_image, pixels, k,
                               d.input_offset);
          } else {
            optimized::Im2ColWidened(lhs, input.data_as<const int8_t>(), g, static_cast<int>(b),
                                     d.input_offset);
          }
          d.gemm->gemm_int8(output.data_as<int8_t>() + b * pixels * g.out_c, lhs,
                            node.params_i16.data(), bias, pixels, k, g.out_c, p, pool);
        }
      };
      // Several images: one hand-off for the whole batch (a pool wake-up per
      // image's GEMM cost more than it saved: 3x slower at batch 64).
      ThreadPool* pool = ctx.thread_pool();
      if (pool != nullptr && g.batch > 1 &&
          g.batch * pixels * k * g.out_c >= optimized::kInt8GemmParallelMacs) {
        pool->ParallelFor(g.batch, [&](int64_t begin, int64_t end, int thread) {
          images(begin, end, thread, nullptr);
        });
      } else {
        images(0, g.batch, 0, pool);
      }
      return Status::OK();
    }
    case Mode::kHybrid: {
      const HybridInput h = QuantizeHybridInput(ctx, node, 0, input.data_as<const float>(), g.batch,
                                                in_image, /*asymmetric=*/d.per_channel);
      const float* bias = has_bias ? ctx.input(node, 2).data_as<const float>() : nullptr;
      const reference::HybridConvParams p{h.scales, h.offsets, node.params_f32.data(), d.act_min,
                                          d.act_max};
      reference::ConvHybrid(output.data_as<float>(), h.q, filter.data_as<const int8_t>(), bias, g,
                            p);
      return Status::OK();
    }
  }
  return Status::OK();
}

}  // namespace

const OpRegistration* RegisterConv2D() {
  static const OpRegistration reg{schema::BuiltinOperator_CONV_2D,
                                  "CONV_2D",
                                  /*min_inputs=*/2,
                                  /*max_inputs=*/3,
                                  /*num_outputs=*/1,
                                  Prepare,
                                  Eval};
  return &reg;
}

}  // namespace edgepipe::lite
