// CONCATENATION of N >= 1 inputs along `axis` (negative counts from the end):
// all inputs share the rank and every dim except the axis. float32 (fused
// activation applied) and int8 (all inputs and the output must share one
// scale and zero point, TFLite's int8 rule: values are copied unchanged).
#include <string>

#include "src/lite/kernels/kernel.h"
#include "src/lite/kernels/op_resolver.h"
#include "src/lite/kernels/reference/elementwise.h"
#include "src/lite/kernels/reference/transform.h"
#include "src/lite/schema_util.h"

namespace edgepipe::lite {
namespace {

constexpr int kMaxInputs = 16;

struct ConcatData {
  int num_inputs;
  int64_t outer;
  int64_t chunk_bytes[kMaxInputs];
  bool clamp;
  float act_min, act_max;
};

Status Prepare(KernelContext& ctx, Node& node) {
  const int n = static_cast<int>(node.inputs.size());
  const KernelTensor& first = ctx.input(node, 0);
  const KernelTensor& output = ctx.output(node, 0);
  auto& d = node.op_data<ConcatData>();
  d = {};
  if (first.type != schema::TensorType_FLOAT32 && first.type != schema::TensorType_INT8) {
    return Status::InvalidArgument("input '" + first.name + "' is " + TensorTypeName(first.type) +
                                   ", expected float32 or int8");
  }
  RETURN_IF_ERROR(ExpectType(output, first.type, "output"));
  const auto* opts = node.op->builtin_options_as_ConcatenationOptions();
  if (opts == nullptr) return Status::InvalidArgument("missing ConcatenationOptions");
  const int rank = static_cast<int>(first.dims.size());
  int axis = opts->axis();
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) {
    return Status::InvalidArgument("axis " + std::to_string(opts->axis()) +
                                   " out of range for rank " + std::to_string(rank));
  }
  RETURN_IF_ERROR(ActivationRange(opts->fused_activation_function(), &d.act_min, &d.act_max));
  const bool is_int8 = first.type == schema::TensorType_INT8;
  if (is_int8 && opts->fused_activation_function() != schema::ActivationFunctionType_NONE) {
    return Status::Unimplemented("int8 CONCATENATION with a fused activation");
  }
  d.clamp = !is_int8 && opts->fused_activation_function() != schema::ActivationFunctionType_NONE;
  std::vector<int32_t> out_dims = first.dims;
  out_dims[static_cast<size_t>(axis)] = 0;
  const size_t elem = TensorTypeSize(first.type);
  d.outer = 1;
  for (int i = 0; i < axis; ++i) d.outer *= first.dims[static_cast<size_t>(i)];
  for (int k = 0; k < n; ++k) {
    const KernelTensor& t = ctx.input(node, k);
    RETURN_IF_ERROR(ExpectType(t, first.type, "input"));
    bool ok = static_cast<int>(t.dims.size()) == rank;
    for (int i = 0; ok && i < rank; ++i) {
      if (i != axis && t.dims[static_cast<size_t>(i)] != first.dims[static_cast<size_t>(i)])
        ok = false;
    }
    if (!ok) {
      return Status::InvalidArgument("input " + std::to_string(k) + " '" + t.name + "' has shape " +
                                     DimsToString(t.dims) + ", incompatible with " +
                                     DimsToString(first.dims) + " along axis " +
                                     std::to_string(axis));
    }
    if (is_int8) RETURN_IF_ERROR(ExpectSameQuantization(t, output, "input", "output"));
    out_dims[static_cast<size_t>(axis)] += t.dims[static_cast<size_t>(axis)];
    int64_t inner = 1;
    for (int i = axis; i < rank; ++i) inner *= t.dims[static_cast<size_t>(i)];
    d.chunk_bytes[k] = inner * static_cast<int64_t>(elem);
  }
  d.num_inputs = n;
  return ctx.SetOutputDims(node, 0, std::move(out_dims));
}

Status Eval(KernelContext& ctx, const Node& node) {
  const auto& d = node.op_data<ConcatData>();
  const uint8_t* inputs[kMaxInputs];
  for (int k = 0; k < d.num_inputs; ++k) inputs[k] = ctx.input(node, k).data;
  KernelTensor& output = ctx.output(node, 0);
  reference::Concatenate(output.data, inputs, d.chunk_bytes, d.num_inputs, d.outer);
  if (d.clamp) {
    reference::ClampFloat(output.data_as<float>(), output.data_as<const float>(),
                          output.num_elements(), d.act_min, d.act_max);
  }
  return Status::OK();
}

}  // namespace

const OpRegistration* RegisterConcatenation() {
  static const OpRegistration reg{
      schema::BuiltinOperator_CONCATENATION, "CONCATENATION", 1, kMaxInputs, 1, Prepare, Eval};
  return &reg;
}

}  // namespace edgepipe::lite
