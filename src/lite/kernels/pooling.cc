// MAX_POOL_2D and AVERAGE_POOL_2D (NHWC), float32 and int8. Pool2DOptions give
// the window, strides, padding and fused activation. int8 input and output
// must share scale and zero point (TFLite's rule), so values are pooled raw.
// MAX runs the AVX2 channel-vectorised loops of optimized/pooling.h, float
// AVERAGE its pixel-major loop; both split output rows over the pool.
#include "src/lite/kernels/reference/pooling.h"

#include <string>

#include "src/lite/kernels/conv_common.h"
#include "src/lite/kernels/kernel.h"
#include "src/lite/kernels/op_resolver.h"
#include "src/lite/kernels/optimized/pooling.h"
#include "src/lite/kernels/parallel_bands.h"
#include "src/lite/quantization_util.h"
#include "src/lite/schema_util.h"

namespace edgepipe::lite {
namespace {

struct PoolData {
  reference::ConvGeometry g;
  bool is_int8;
  float act_min, act_max;
  int32_t q_act_min, q_act_max;
  const optimized::PoolingKernels* kernels;  // this CPU's loops
};

Status Prepare(KernelContext& ctx, Node& node) {
  const KernelTensor& input = ctx.input(node, 0);
  const KernelTensor& output = ctx.output(node, 0);
  auto& d = node.op_data<PoolData>();
  d = {};
  if (input.type != schema::TensorType_FLOAT32 && input.type != schema::TensorType_INT8) {
    return Status::InvalidArgument("input '" + input.name + "' is " + TensorTypeName(input.type) +
                                   ", expected float32 or int8");
  }
  RETURN_IF_ERROR(ExpectType(output, input.type, "output"));
  d.is_int8 = input.type == schema::TensorType_INT8;
  d.kernels = optimized::SelectPooling();
  const auto* opts = node.op->builtin_options_as_Pool2DOptions();
  if (opts == nullptr) return Status::InvalidArgument("missing Pool2DOptions");
  RETURN_IF_ERROR(FillConvGeometry(input, opts->filter_height(), opts->filter_width(),
                                   opts->stride_h(), opts->stride_w(), 1, 1, opts->padding(),
                                   &d.g));
  d.g.out_c = d.g.in_c;
  RETURN_IF_ERROR(ActivationRange(opts->fused_activation_function(), &d.act_min, &d.act_max));
  if (d.is_int8) {
    RETURN_IF_ERROR(ExpectSameQuantization(input, output, "input", "output"));
    RETURN_IF_ERROR(QuantizedActivationRange(opts->fused_activation_function(), output.type,
                                             output.scale(), output.zero_point(), &d.q_act_min,
                                             &d.q_act_max));
  }
  return ctx.SetOutputDims(node, 0, {d.g.batch, d.g.out_h, d.g.out_w, d.g.out_c});
}

// Bands of output rows over the pool (parallel_bands.h), each the same
// pooling over fewer rows: any split gives the same bytes. Cost per output
// row in ChunksFor's units: ~2 per window point and channel.
template <typename T, typename Kernel>
void PoolBands(KernelContext& ctx, const Node& node, const Kernel& kernel) {
  const auto& d = node.op_data<PoolData>();
  const reference::ConvGeometry& g = d.g;
  T* out = ctx.output(node, 0).data_as<T>();
  const T* in = ctx.input(node, 0).data_as<const T>();
  const int64_t cost_per_row = 2 * int64_t{g.out_w} * g.out_c * g.filter_h * g.filter_w;
  ForEachBand(ctx, g, cost_per_row, [&](int b, int oy0, int oy1) {
    kernel(out + (int64_t{b} * g.out_h + oy0) * g.out_w * g.out_c,
           in + int64_t{b} * g.in_h * g.in_w * g.in_c, BandGeometry(g, oy0, oy1));
  });
}

Status EvalMax(KernelContext& ctx, const Node& node) {
  const auto& d = node.op_data<PoolData>();
  if (d.is_int8) {
    PoolBands<int8_t>(ctx, node,
                      [&](int8_t* out, const int8_t* in, const reference::ConvGeometry& g) {
                        d.kernels->max_int8(out, in, g, d.q_act_min, d.q_act_max);
                      });
  } else {
    PoolBands<float>(ctx, node, [&](float* out, const float* in, const reference::ConvGeometry& g) {
      d.kernels->max_float(out, in, g, d.act_min, d.act_max);
    });
  }
  return Status::OK();
}

Status EvalAverage(KernelContext& ctx, const Node& node) {
  const auto& d = node.op_data<PoolData>();
  if (d.is_int8) {
    PoolBands<int8_t>(ctx, node,
                      [&](int8_t* out, const int8_t* in, const reference::ConvGeometry& g) {
                        d.kernels->avg_int8(out, in, g, d.q_act_min, d.q_act_max);
                      });
  } else {
    PoolBands<float>(ctx, node, [&](float* out, const float* in, const reference::ConvGeometry& g) {
      d.kernels->avg_float(out, in, g, d.act_min, d.act_max);
    });
  }
  return Status::OK();
}

}  // namespace

const OpRegistration* RegisterMaxPool2D() {
  static const OpRegistration reg{
      schema::BuiltinOperator_MAX_POOL_2D, "MAX_POOL_2D", 1, 1, 1, Prepare, EvalMax};
  return &reg;
}

const OpRegistration* RegisterAveragePool2D() {
  static const OpRegistration reg{
      schema::BuiltinOperator_AVERAGE_POOL_2D, "AVERAGE_POOL_2D", 1, 1, 1, Prepare, EvalAverage};
  return &reg;
}

}  // namespace edgepipe::lite
