// ADD and SUB with NumPy broadcasting, float32 and int8, fused activation.
// int8 follows TFLite's scheme: inputs shifted left by 20 bits, rescaled to
// twice the larger input scale, combined, then rescaled to the output.
#include <algorithm>
#include <string>

#include "src/lite/kernels/binary_common.h"
#include "src/lite/kernels/kernel.h"
#include "src/lite/kernels/op_resolver.h"
#include "src/lite/kernels/optimized/elementwise.h"
#include "src/lite/quantization_util.h"
#include "src/lite/schema_util.h"

namespace edgepipe::lite {
namespace {

struct AddData {
  reference::BroadcastShape shape;
  bool is_int8;
  bool subtract;
  float act_min, act_max;
  reference::AddInt8Params q;
  const optimized::ElementwiseKernels* kernels;  // float: this CPU's loops
};

Status Prepare(KernelContext& ctx, Node& node) {
  const KernelTensor& a = ctx.input(node, 0);
  const KernelTensor& b = ctx.input(node, 1);
  const KernelTensor& output = ctx.output(node, 0);
  auto& d = node.op_data<AddData>();
  d = {};
  d.subtract = node.builtin_code == schema::BuiltinOperator_SUB;
  if (a.type != schema::TensorType_FLOAT32 && a.type != schema::TensorType_INT8) {
    return Status::InvalidArgument("input '" + a.name + "' is " + TensorTypeName(a.type) +
                                   ", expected float32 or int8");
  }
  RETURN_IF_ERROR(ExpectType(b, a.type, "input 1"));
  RETURN_IF_ERROR(ExpectType(output, a.type, "output"));
  auto act = schema::ActivationFunctionType_NONE;
  if (d.subtract) {
    if (const auto* o = node.op->builtin_options_as_SubOptions())
      act = o->fused_activation_function();
  } else {
    if (const auto* o = node.op->builtin_options_as_AddOptions())
      act = o->fused_activation_function();
  }
  RETURN_IF_ERROR(ActivationRange(act, &d.act_min, &d.act_max));
  std::vector<int32_t> out_dims;
  RETURN_IF_ERROR(ComputeBroadcast(a, b, &d.shape, &out_dims));
  d.is_int8 = a.type == schema::TensorType_INT8;
  d.kernels = optimized::SelectElementwise();
  if (d.is_int8) {
    RETURN_IF_ERROR(ExpectPerTensorQuantized(a, "input 0"));
    RETURN_IF_ERROR(ExpectPerTensorQuantized(b, "input 1"));
    RETURN_IF_ERROR(ExpectPerTensorQuantized(output, "output"));
    auto& q = d.q;
    q.a_offset = -a.zero_point();
    q.b_offset = -b.zero_point();
    q.output_offset = output.zero_point();
    q.left_shift = 20;
    const double twice_max = 2.0 * std::max(a.scale(), b.scale());
    RETURN_IF_ERROR(
        QuantizeMultiplierSmallerThanOne(a.scale() / twice_max, &q.a_multiplier, &q.a_shift));
    RETURN_IF_ERROR(
        QuantizeMultiplierSmallerThanOne(b.scale() / twice_max, &q.b_multiplier, &q.b_shift));
    RETURN_IF_ERROR(QuantizeMultiplierSmallerThanOne(
        twice_max / ((1 << q.left_shift) * static_cast<double>(output.scale())),
        &q.output_multiplier, &q.output_shift));
    RETURN_IF_ERROR(QuantizedActivationRange(act, output.type, output.scale(), output.zero_point(),
                                             &q.act_min, &q.act_max));
  }
  return ctx.SetOutputDims(node, 0, std::move(out_dims));
}

Status Eval(KernelContext& ctx, const Node& node) {
  const auto& d = node.op_data<AddData>();
  if (d.is_int8) {
    reference::AddSubInt8(d.subtract, ctx.output(node, 0).data_as<int8_t>(),
                          ctx.input(node, 0).data_as<const int8_t>(),
                          ctx.input(node, 1).data_as<const int8_t>(), d.shape, d.q);
  } else {
    BinaryFloatOnPool(
        ctx, *d.kernels, d.subtract ? reference::BinaryOp::kSub : reference::BinaryOp::kAdd,
        ctx.output(node, 0).data_as<float>(), ctx.input(node, 0).data_as<const float>(),
        ctx.input(node, 1).data_as<const float>(), d.shape, d.act_min, d.act_max);
  }
  return Status::OK();
}

}  // namespace

const OpRegistration* RegisterAdd() {
  static const OpRegistration reg{schema::BuiltinOperator_ADD, "ADD", 2, 2, 1, Prepare, Eval};
  return &reg;
}
const OpRegistration* RegisterSub() {
  static const OpRegistration reg{schema::BuiltinOperator_SUB, "SUB", 2, 2, 1, Prepare, Eval};
  return &reg;
}

}  // namespace edgepipe::lite
