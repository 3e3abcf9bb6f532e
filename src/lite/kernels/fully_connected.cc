// FULLY_CONNECTED, float32: out = act(in · weightsᵀ + bias).
// Inputs: 0 input (any rank, flattened to [B, C]), 1 weights [U, C],
// 2 bias [U] (optional, -1 = absent). Output: [B, U], or the input's dims with
// the last one replaced by U when keep_num_dims is set.
#include "src/lite/kernels/reference/fully_connected.h"

#include <string>

#include "src/lite/kernels/kernel.h"
#include "src/lite/kernels/op_resolver.h"
#include "src/lite/kernels/optimized/fully_connected_dnnl.h"
#include "src/lite/schema_util.h"

namespace edgepipe::lite {
namespace {

struct FullyConnectedData {
  int64_t batch;
  int64_t in_features;
  int64_t units;
  float act_min;
  float act_max;
  bool use_dnnl;
};

Status Prepare(KernelContext& ctx, Node& node) {
  const KernelTensor& input = ctx.input(node, 0);
  const KernelTensor& weights = ctx.input(node, 1);
  RETURN_IF_ERROR(ExpectType(input, schema::TensorType_FLOAT32, "input"));
  RETURN_IF_ERROR(ExpectType(weights, schema::TensorType_FLOAT32, "weights"));
  RETURN_IF_ERROR(ExpectRank(weights, 2, "weights"));
  const int64_t units = weights.dims[0];
  const int64_t in_features = weights.dims[1];
  if (units <= 0 || in_features <= 0) {
    return Status::InvalidArgument("weights '" + weights.name + "' has empty shape " +
                                   DimsToString(weights.dims));
  }
  if (ctx.has_input(node, 2)) {
    const KernelTensor& bias = ctx.input(node, 2);
    RETURN_IF_ERROR(ExpectType(bias, schema::TensorType_FLOAT32, "bias"));
    if (bias.dims.size() != 1 || bias.dims[0] != units) {
      return Status::InvalidArgument("bias '" + bias.name + "' has shape " +
                                     DimsToString(bias.dims) + ", expected [" +
                                     std::to_string(units) + "]");
    }
  }
  RETURN_IF_ERROR(ExpectType(ctx.output(node, 0), schema::TensorType_FLOAT32, "output"));

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
  }
  auto& data = node.op_data<FullyConnectedData>();
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
  return ctx.SetOutputDims(node, 0, std::move(out_dims));
}

Status Eval(KernelContext& ctx, const Node& node) {
  const auto& d = node.op_data<FullyConnectedData>();
  const float* in = ctx.input(node, 0).data_as<const float>();
  const float* w = ctx.input(node, 1).data_as<const float>();
  const float* bias = ctx.has_input(node, 2) ? ctx.input(node, 2).data_as<const float>() : nullptr;
  float* out = ctx.output(node, 0).data_as<float>();
  if (d.batch == 0) return Status::OK();
  if (d.use_dnnl) {
    return optimized::FullyConnectedFloatDnnl(out, in, w, bias, d.batch, d.in_features, d.units,
                                              d.act_min, d.act_max);
  }
  reference::FullyConnectedFloat(out, in, w, bias, d.batch, d.in_features, d.units, d.act_min,
                                 d.act_max);
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
