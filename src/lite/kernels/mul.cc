// MUL with NumPy broadcasting, float32 and int8 (TFLite's scheme: the product
// of the offset inputs rescaled by scale_a·scale_b/scale_out), fused activation.
#include <string>

#include "src/lite/kernels/binary_common.h"
#include "src/lite/kernels/kernel.h"
#include "src/lite/kernels/op_resolver.h"
#include "src/lite/kernels/optimized/elementwise.h"
#include "src/lite/quantization_util.h"
#include "src/lite/schema_util.h"

namespace edgepipe::lite {
namespace {

struct MulData {
  reference::BroadcastShape shape;
  bool is_int8;
  float act_min, act_max;
  reference::MulInt8Params q;
  const optimized::ElementwiseKernels* kernels;  // float: this CPU's loops
};

Status Prepare(KernelContext& ctx, Node& node) {
  const KernelTensor& a = ctx.input(node, 0);
  const KernelTensor& b = ctx.input(node, 1);
  const KernelTensor& output = ctx.output(node, 0);
  auto& d = node.op_data<MulData>();
  d = {};
  if (a.type != schema::TensorType_FLOAT32 && a.type != schema::TensorType_INT8) {
    return Status::InvalidArgument("input '" + a.name + "' is " + TensorTypeName(a.type) +
                                   ", expected float32 or int8");
  }
  RETURN_IF_ERROR(ExpectType(b, a.type, "input 1"));
  RETURN_IF_ERROR(ExpectType(output, a.type, "output"));
  auto act = schema::ActivationFunctionType_NONE;
  if (const auto* o = node.op->builtin_options_as_MulOptions())
    act = o->fused_activation_function();
  RETURN_IF_ERROR(ActivationRange(act, &d.act_min, &d.act_max));
  std::vector<int32_t> out_dims;
  RETURN_IF_ERROR(ComputeBroadcast(a, b, &d.shape, &out_dims));
  d.is_int8 = a.type == schema::TensorType_INT8;
  d.kernels = optimized::SelectElementwise();
  if (d.is_int8) {
    RETURN_IF_ERROR(ExpectPerTensorQuantized(a, "input 0"));
    RETURN_IF_ERROR(ExpectPerTensorQuantized(b, "input 1"));
    RETURN_IF_ERROR(ExpectPerTensorQuantized(output, "output"));
    d.q.a_offset = -a.zero_point();
    d.q.b_offset = -b.zero_point();
    d.q.output_offset = output.zero_point();
    RETURN_IF_ERROR(
        QuantizePositiveMultiplier(static_cast<double>(a.scale()) * b.scale() / output.scale(),
                                   &d.q.output_multiplier, &d.q.output_shift));
    RETURN_IF_ERROR(QuantizedActivationRange(act, output.type, output.scale(), output.zero_point(),
                                             &d.q.act_min, &d.q.act_max));
  }
  return ctx.SetOutputDims(node, 0, std::move(out_dims));
}

Status Eval(KernelContext& ctx, const Node& node) {
  const auto& d = node.op_data<MulData>();
  if (d.is_int8) {
    reference::MulInt8(ctx.output(node, 0).data_as<int8_t>(),
                       ctx.input(node, 0).data_as<const int8_t>(),
                       ctx.input(node, 1).data_as<const int8_t>(), d.shape, d.q);
  } else {
    BinaryFloatOnPool(ctx, *d.kernels, reference::BinaryOp::kMul,
                      ctx.output(node, 0).data_as<float>(),
                      ctx.input(node, 0).data_as<const float>(),
                      ctx.input(node, 1).data_as<const float>(), d.shape, d.act_min, d.act_max);
  }
  return Status::OK();
}

}  // namespace

const OpRegistration* RegisterMul() {
  static const OpRegistration reg{schema::BuiltinOperator_MUL, "MUL", 2, 2, 1, Prepare, Eval};
  return &reg;
}

}  // namespace edgepipe::lite
