// DIV (float32 and int8, fused activation; int8 with any per-tensor
// parameters, TFLite's fixed-point reciprocal), PRELU (float32:
// x >= 0 ? x : x·alpha, alpha broadcast; int8 with any per-tensor
// parameters, TFLite's two requantizations), MAXIMUM and MINIMUM (float32;
// int8 with inputs and output sharing one quantization, as values are only
// compared), all with NumPy broadcasting up to rank 6.
#include <string>

#include "src/lite/kernels/binary_common.h"
#include "src/lite/kernels/kernel.h"
#include "src/lite/kernels/op_resolver.h"
#include "src/lite/kernels/optimized/elementwise.h"
#include "src/lite/quantization_util.h"
#include "src/lite/schema_util.h"

namespace edgepipe::lite {
namespace {

struct BinaryData {
  reference::BroadcastShape shape;
  reference::BinaryOp op;
  bool is_int8;
  float act_min, act_max;
  reference::PreluInt8Params prelu;
  reference::DivInt8Params div;
  const optimized::ElementwiseKernels* kernels;  // float: this CPU's loops
};

Status Prepare(KernelContext& ctx, Node& node) {
  const KernelTensor& a = ctx.input(node, 0);
  const KernelTensor& b = ctx.input(node, 1);
  const KernelTensor& output = ctx.output(node, 0);
  auto& d = node.op_data<BinaryData>();
  d = {};
  const bool is_div = node.builtin_code == schema::BuiltinOperator_DIV;
  const bool is_prelu = node.builtin_code == schema::BuiltinOperator_PRELU;
  d.op = is_div                                                 ? reference::BinaryOp::kDiv
         : is_prelu                                             ? reference::BinaryOp::kPrelu
         : node.builtin_code == schema::BuiltinOperator_MAXIMUM ? reference::BinaryOp::kMaximum
                                                                : reference::BinaryOp::kMinimum;
  d.is_int8 = a.type == schema::TensorType_INT8;
  d.kernels = optimized::SelectElementwise();
  if (a.type != schema::TensorType_FLOAT32 && !d.is_int8) {
    return Status::Unimplemented("input '" + a.name + "' is " + TensorTypeName(a.type) +
                                 "; float32 or int8 supported");
  }
  RETURN_IF_ERROR(ExpectType(b, a.type, "input 1"));
  RETURN_IF_ERROR(ExpectType(output, a.type, "output"));
  auto act = schema::ActivationFunctionType_NONE;
  if (is_div) {
    if (const auto* o = node.op->builtin_options_as_DivOptions()) {
      act = o->fused_activation_function();
    }
  }
  RETURN_IF_ERROR(ActivationRange(act, &d.act_min, &d.act_max));
  if (d.is_int8 && is_div) {
    RETURN_IF_ERROR(ExpectPerTensorQuantized(a, "input 0"));
    RETURN_IF_ERROR(ExpectPerTensorQuantized(b, "input 1"));
    RETURN_IF_ERROR(ExpectPerTensorQuantized(output, "output"));
    auto& p = d.div;
    p.a_zp = a.zero_point();
    p.b_zp = b.zero_point();
    p.output_zp = output.zero_point();
    RETURN_IF_ERROR(QuantizePositiveMultiplier(
        static_cast<double>(a.scale()) / (static_cast<double>(b.scale()) * output.scale()),
        &p.multiplier, &p.shift));
    RETURN_IF_ERROR(QuantizedActivationRange(act, output.type, output.scale(), output.zero_point(),
                                             &p.act_min, &p.act_max));
  } else if (d.is_int8 && is_prelu) {
    RETURN_IF_ERROR(ExpectPerTensorQuantized(a, "input"));
    RETURN_IF_ERROR(ExpectPerTensorQuantized(b, "alpha"));
    RETURN_IF_ERROR(ExpectPerTensorQuantized(output, "output"));
    auto& p = d.prelu;
    p.input_zp = a.zero_point();
    p.alpha_zp = b.zero_point();
    p.output_zp = output.zero_point();
    RETURN_IF_ERROR(QuantizePositiveMultiplier(static_cast<double>(a.scale()) / output.scale(),
                                               &p.multiplier_identity, &p.shift_identity));
    RETURN_IF_ERROR(
        QuantizePositiveMultiplier(static_cast<double>(a.scale()) * b.scale() / output.scale(),
                                   &p.multiplier_alpha, &p.shift_alpha));
  } else if (d.is_int8) {
    RETURN_IF_ERROR(ExpectSameQuantization(a, output, "input 0", "output"));
    RETURN_IF_ERROR(ExpectSameQuantization(b, output, "input 1", "output"));
  }
  std::vector<int32_t> out_dims;
  RETURN_IF_ERROR(ComputeBroadcast(a, b, &d.shape, &out_dims));
  return ctx.SetOutputDims(node, 0, std::move(out_dims));
}

Status Eval(KernelContext& ctx, const Node& node) {
  const auto& d = node.op_data<BinaryData>();
  if (d.is_int8 && d.op == reference::BinaryOp::kDiv) {
    reference::DivInt8(ctx.output(node, 0).data_as<int8_t>(),
                       ctx.input(node, 0).data_as<const int8_t>(),
                       ctx.input(node, 1).data_as<const int8_t>(), d.shape, d.div);
  } else if (d.is_int8 && d.op == reference::BinaryOp::kPrelu) {
    reference::PreluInt8(ctx.output(node, 0).data_as<int8_t>(),
                         ctx.input(node, 0).data_as<const int8_t>(),
                         ctx.input(node, 1).data_as<const int8_t>(), d.shape, d.prelu);
  } else if (d.is_int8) {
    reference::MaximumMinimumInt8(d.op == reference::BinaryOp::kMaximum,
                                  ctx.output(node, 0).data_as<int8_t>(),
                                  ctx.input(node, 0).data_as<const int8_t>(),
                                  ctx.input(node, 1).data_as<const int8_t>(), d.shape);
  } else {
    BinaryFloatOnPool(ctx, *d.kernels, d.op, ctx.output(node, 0).data_as<float>(),
                      ctx.input(node, 0).data_as<const float>(),
                      ctx.input(node, 1).data_as<const float>(), d.shape, d.act_min, d.act_max);
  }
  return Status::OK();
}

}  // namespace

const OpRegistration* RegisterDiv() {
  static const OpRegistration reg{schema::BuiltinOperator_DIV, "DIV", 2, 2, 1, Prepare, Eval};
  return &reg;
}
const OpRegistration* RegisterPrelu() {
  static const OpRegistration reg{schema::BuiltinOperator_PRELU, "PRELU", 2, 2, 1, Prepare, Eval};
  return &reg;
}
const OpRegistration* RegisterMaximum() {
  static const OpRegistration reg{
      schema::BuiltinOperator_MAXIMUM, "MAXIMUM", 2, 2, 1, Prepare, Eval};
  return &reg;
}
const OpRegistration* RegisterMinimum() {
  static const OpRegistration reg{
      schema::BuiltinOperator_MINIMUM, "MINIMUM", 2, 2, 1, Prepare, Eval};
  return &reg;
}

}  // namespace edgepipe::lite
