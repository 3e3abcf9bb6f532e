// FULLY_CONNECTED: out = act(in · weightsᵀ + bias).
// Inputs: 0 input (any rank, flattened to [B, C]), 1 weights [U, C],
// 2 bias [U] (optional, -1 = absent). Output: [B, U], or the input's dims with
// the last one replaced by U when keep_num_dims is set.
// Modes, chosen in Prepare from the tensor types:
//   float32  input/weights/bias/output float32: at batch 1 with constant
//            weights and bias, the packed matrix-vector kernel
//            (optimized/gemv.h, this CPU's instruction set); else oneDNN's
//            sgemm (KernelOptions::dnnl_min_batch) or the reference loop;
//   int8     input/weights/output int8, bias int32 (TFLite's requantization,
//            per-tensor or per-channel weight scales);
//   hybrid   float32 input/bias/output, int8 weights (dynamic range): each
//            input row is quantized at run time (symmetric, or asymmetric when
//            asymmetric_quantize_inputs is set) into scratch memory.
#include "src/lite/kernels/reference/fully_connected.h"

#include <string>

#include "src/lite/kernels/kernel.h"
#include "src/lite/kernels/op_resolver.h"
#include "src/lite/kernels/optimized/fully_connected_dnnl.h"
#include "src/lite/kernels/optimized/gemv.h"
#include "src/lite/kernels/optimized/int8_gemm.h"
#include "src/lite/quantization_util.h"
#include "src/lite/schema_util.h"

namespace edgepipe::lite {
namespace {

using Mode = WeightedMode;

struct FullyConnectedData {
  int64_t batch;
  int64_t in_features;
  int64_t units;
  Mode mode;
  float act_min;
  float act_max;
  int32_t q_act_min;
  int32_t q_act_max;
  int32_t input_offset;
  int32_t output_offset;
  bool use_dnnl;
  bool per_channel;
  bool asymmetric_inputs;
  // int8 / hybrid: the GEMM for this CPU, chosen once here (cpu_features.h).
  const optimized::Int8GemmKernel* gemm;
  // float at batch 1: this CPU's matrix-vector kernel, its weights packed in
  // node.params_f32; null when the batch or non-constant weights rule it out.
  const optimized::GemvKernels* gemv;
};

Status Prepare(KernelContext& ctx, Node& node) {
  const KernelTensor& input = ctx.input(node, 0);
  const KernelTensor& weights = ctx.input(node, 1);
  const KernelTensor& output = ctx.output(node, 0);
  const KernelTensor* bias = ctx.has_input(node, 2) ? &ctx.input(node, 2) : nullptr;
  auto& data = node.op_data<FullyConnectedData>();
  data = {};
  ASSIGN_OR_RETURN(data.mode, SelectWeightedMode(input, weights, "weights"));
  RETURN_IF_ERROR(ExpectType(output, input.type, "output"));
  RETURN_IF_ERROR(ExpectRank(weights, 2, "weights"));
  const int64_t units = weights.dims[0];
  const int64_t in_features = weights.dims[1];
  if (units <= 0 || in_features <= 0) {
    return Status::InvalidArgument("weights '" + weights.name + "' has empty shape " +
                                   DimsToString(weights.dims));
  }
  if (bias != nullptr) {
    RETURN_IF_ERROR(ExpectType(
        *bias, data.mode == Mode::kInt8 ? schema::TensorType_INT32 : schema::TensorType_FLOAT32,
        "bias"));
    if (bias->dims.size() != 1 || bias->dims[0] != units) {
      return Status::InvalidArgument("bias '" + bias->name + "' has shape " +
                                     DimsToString(bias->dims) + ", expected [" +
                                     std::to_string(units) + "]");
    }
  }

  auto fused = schema::ActivationFunctionType_NONE;
  bool keep_num_dims = false;
  if (const auto* opts = node.op->builtin_options_as_FullyConnectedOptions()) {
    if (opts->weights_format() != schema::FullyConnectedOptionsWeightsFormat_DEFAULT) {
      return Status::Unimplemented("weights_format " +
                                   std::to_string(static_cast<int>(opts->weights_format())) +
                                   " is not supported (only DEFAULT)");
    }
    fused = opts->fused_activation_function();
    keep_num_dims = opts->keep_num_dims();
    data.asymmetric_inputs = opts->asymmetric_quantize_inputs();
  }
  RETURN_IF_ERROR(ActivationRange(fused, &data.act_min, &data.act_max));

  const int64_t elements = input.num_elements();
  if (input.dims.empty() || elements % in_features != 0) {
    return Status::InvalidArgument("input '" + input.name + "' has shape " +
                                   DimsToString(input.dims) + ", not a multiple of the " +
                                   std::to_string(in_features) + " input features of the weights");
  }
  std::vector<int32_t> out_dims;
  if (keep_num_dims) {
    if (input.dims.back() != in_features) {
      return Status::InvalidArgument("input '" + input.name + "' has shape " +
                                     DimsToString(input.dims) + ", expected last dim " +
                                     std::to_string(in_features) + " (keep_num_dims)");
    }
    out_dims = input.dims;
    out_dims.back() = static_cast<int32_t>(units);
  } else {
    out_dims = {static_cast<int32_t>(elements / in_features), static_cast<int32_t>(units)};
  }
  data.batch = elements / in_features;
  data.in_features = in_features;
  data.units = units;
  const int64_t min_batch = ctx.options().dnnl_min_batch;
  data.use_dnnl = min_batch > 0 && data.batch >= min_batch;

  data.gemm = optimized::SelectInt8Gemm();
  if (data.mode == Mode::kFloat && data.batch == 1 && min_batch > 0 && weights.is_constant &&
      (bias == nullptr || bias->is_constant)) {
    // Batch 1 streams every weight once per Invoke: packed here so the
    // stream runs in order with no per-call setup (oneDNN's sgemm at B = 1
    // reached ~40 GFLOP/s on the CNN's 1600x128).
    data.gemv = optimized::SelectGemv();
    optimized::PackGemvWeights(weights.data_as<const float>(),
                               bias != nullptr ? bias->data_as<const float>() : nullptr, units,
                               in_features, data.gemv->lanes, &node.params_f32);
  } else if (data.mode == Mode::kInt8) {
    RETURN_IF_ERROR(
        ComputeChannelMultipliers(input, weights, bias, output, static_cast<int>(units), node));
    data.per_channel = weights.scales.size() > 1;
    data.input_offset = -input.zero_point();
    data.output_offset = output.zero_point();
    RETURN_IF_ERROR(QuantizedActivationRange(
        fused, output.type, output.scale(), output.zero_point(), &data.q_act_min, &data.q_act_max));
    RETURN_IF_ERROR(optimized::PackInt8Weights(weights.data_as<const int8_t>(), units, in_features,
                                               &node.params_i16));
    // Scratch 0: the int16 left-hand side (x - zero point; see int8_gemm.h).
    RETURN_IF_ERROR(ctx.RequestScratch(
        node, static_cast<size_t>(data.batch * optimized::Int8GemmRowStride(in_features)) *
                  sizeof(int16_t)));
  } else if (data.mode == Mode::kHybrid) {
    RETURN_IF_ERROR(
        HybridWeightScales(weights, "weights", units, &node.params_f32, &data.per_channel));
    RETURN_IF_ERROR(optimized::PackInt8Weights(weights.data_as<const int8_t>(), units, in_features,
                                               &node.params_i16));
    // Scratch 0: quantized input rows; 1: per-row scale; 2: per-row offset;
    // 3: the int16 left-hand side (q - offset).
    RETURN_IF_ERROR(RequestHybridInputScratch(ctx, node, data.batch, in_features));
    RETURN_IF_ERROR(ctx.RequestScratch(
        node, static_cast<size_t>(data.batch * optimized::Int8GemmRowStride(in_features)) *
                  sizeof(int16_t)));
  }
  return ctx.SetOutputDims(node, 0, std::move(out_dims));
}

Status Eval(KernelContext& ctx, const Node& node) {
  const auto& d = node.op_data<FullyConnectedData>();
  if (d.batch == 0) return Status::OK();
  const KernelTensor& input = ctx.input(node, 0);
  const KernelTensor& weights = ctx.input(node, 1);
  const bool has_bias = ctx.has_input(node, 2);
  KernelTensor& output = ctx.output(node, 0);
  switch (d.mode) {
    case Mode::kFloat: {
      if (d.gemv != nullptr) {
        d.gemv->gemv_float(output.data_as<float>(), input.data_as<const float>(),
                           node.params_f32.data(), d.in_features, d.units, d.act_min, d.act_max);
        return Status::OK();
      }
      const float* bias = has_bias ? ctx.input(node, 2).data_as<const float>() : nullptr;
      if (d.use_dnnl) {
        return optimized::FullyConnectedFloatDnnl(
            output.data_as<float>(), input.data_as<const float>(), weights.data_as<const float>(),
            bias, d.batch, d.in_features, d.units, d.act_min, d.act_max);
      }
      reference::FullyConnectedFloat(output.data_as<float>(), input.data_as<const float>(),
                                     weights.data_as<const float>(), bias, d.batch, d.in_features,
                                     d.units, d.act_min, d.act_max);
      return Status::OK();
    }
    case Mode::kInt8: {
      const int32_t* bias = has_bias ? ctx.input(node, 2).data_as<const int32_t>() : nullptr;
      const int32_t* mult = node.params_i32.data();
      const int32_t* shift = mult + d.units;
      const optimized::Int8GemmRequantParams p{d.output_offset, mult,        shift,
                                               d.per_channel,   d.q_act_min, d.q_act_max};
      auto* lhs = static_cast<int16_t*>(ctx.scratch(node.scratch[0]));
      d.gemm->widen_rows(lhs, input.data_as<const int8_t>(), d.batch, d.in_features,
                         d.input_offset);
      d.gemm->gemm_int8(output.data_as<int8_t>(), lhs, node.params_i16.data(), bias, d.batch,
                        d.in_features, d.units, p, ctx.thread_pool());
      return Status::OK();
    }
    case Mode::kHybrid: {
      const HybridInput h = QuantizeHybridInput(ctx, node, 0, input.data_as<const float>(), d.batch,
                                                d.in_features, d.asymmetric_inputs);
      const float* bias = has_bias ? ctx.input(node, 2).data_as<const float>() : nullptr;
      auto* lhs = static_cast<int16_t*>(ctx.scratch(node.scratch[3]));
      const int64_t stride = optimized::Int8GemmRowStride(d.in_features);
      for (int64_t b = 0; b < d.batch; ++b) {
        d.gemm->widen_rows(lhs + b * stride, h.q + b * d.in_features, 1, d.in_features,
                           -h.offsets[b]);
      }
      d.gemm->gemm_hybrid(
          output.data_as<float>(), lhs, node.params_i16.data(), d.batch, d.in_features, d.units,
          {h.scales, node.params_f32.data(), d.per_channel, bias, d.act_min, d.act_max},
          ctx.thread_pool());
      return Status::OK();
    }
  }
  return Status::OK();
}

}  // namespace

const OpRegistration* RegisterFullyConnected() {
  static const OpRegistration reg{schema::BuiltinOperator_FULLY_CONNECTED,
                                  "FULLY_CONNECTED",
                                  /*min_inputs=*/2,
                                  /*max_inputs=*/3,
                                  /*num_outputs=*/1,
                                  Prepare,
                                  Eval};
  return &reg;
}

}  // namespace edgepipe::lite
