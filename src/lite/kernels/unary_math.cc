// Elementwise math, output shape = input shape: EXP, LOG, SQRT, RSQRT, ABS,
// GELU (erf form, or the tanh form with approximate = true) and LEAKY_RELU
// (x > 0 ? x : alpha·x).
//   float32  libm, as TFLite's reference kernels.
//   int8     per-tensor input and output parameters (any, as TFLite); Prepare
//            fills a 256-entry table with TFLite's int8 result for every
//            input value (reference::PopulateUnaryInt8Table: its lookup
//            tables for EXP, LOG and GELU, its integer requantization for ABS
//            and LEAKY_RELU, its fixed-point RSQRT and truncating SQRT), so
//            Eval is one lookup per element.
#include <cmath>
#include <string>

#include "src/lite/kernels/kernel.h"
#include "src/lite/kernels/op_resolver.h"
#include "src/lite/kernels/reference/elementwise.h"
#include "src/lite/schema_util.h"

namespace edgepipe::lite {
namespace {

struct UnaryData {
  reference::UnaryOp op;
  float alpha;
  int64_t n;
  bool is_int8;
};

reference::UnaryOp OpOf(const Node& node) {
  switch (node.builtin_code) {
    case schema::BuiltinOperator_EXP:
      return reference::UnaryOp::kExp;
    case schema::BuiltinOperator_LOG:
      return reference::UnaryOp::kLog;
    case schema::BuiltinOperator_SQRT:
      return reference::UnaryOp::kSqrt;
    case schema::BuiltinOperator_RSQRT:
      return reference::UnaryOp::kRsqrt;
    case schema::BuiltinOperator_ABS:
      return reference::UnaryOp::kAbs;
    case schema::BuiltinOperator_GELU: {
      const auto* o = node.op->builtin_options_as_GeluOptions();
      return o != nullptr && o->approximate() ? reference::UnaryOp::kGeluTanh
                                              : reference::UnaryOp::kGelu;
    }
    default:
      return reference::UnaryOp::kLeakyRelu;
  }
}

Status Prepare(KernelContext& ctx, Node& node) {
  const KernelTensor& input = ctx.input(node, 0);
  const KernelTensor& output = ctx.output(node, 0);
  if (input.type != schema::TensorType_FLOAT32 && input.type != schema::TensorType_INT8) {
    return Status::Unimplemented("input '" + input.name + "' is " + TensorTypeName(input.type) +
                                 "; only float32 and int8 are supported");
  }
  RETURN_IF_ERROR(ExpectType(output, input.type, "output"));
  auto& d = node.op_data<UnaryData>();
  d = {OpOf(node), 0.0f, input.num_elements(), input.type == schema::TensorType_INT8};
  if (node.builtin_code == schema::BuiltinOperator_LEAKY_RELU) {
    const auto* o = node.op->builtin_options_as_LeakyReluOptions();
    d.alpha = o != nullptr ? o->alpha() : 0.0f;
    if (!std::isfinite(d.alpha)) {
      return Status::InvalidArgument("LEAKY_RELU alpha " + std::to_string(d.alpha) +
                                     " is not finite");
    }
  }
  if (d.is_int8) {
    RETURN_IF_ERROR(ExpectPerTensorQuantized(input, "input"));
    RETURN_IF_ERROR(ExpectPerTensorQuantized(output, "output"));
    node.params_i8.resize(256);
    reference::PopulateUnaryInt8Table(d.op, d.alpha, input.scale(), input.zero_point(),
                                      output.scale(), output.zero_point(), node.params_i8.data());
  }
  return ctx.SetOutputDims(node, 0, input.dims);
}

Status Eval(KernelContext& ctx, const Node& node) {
  const auto& d = node.op_data<UnaryData>();
  if (d.is_int8) {
    reference::LookupInt8(ctx.output(node, 0).data_as<int8_t>(),
                          ctx.input(node, 0).data_as<const int8_t>(), d.n, node.params_i8.data());
    return Status::OK();
  }
  reference::UnaryFloat(d.op, ctx.output(node, 0).data_as<float>(),
                        ctx.input(node, 0).data_as<const float>(), d.n, d.alpha);
  return Status::OK();
}

}  // namespace

#define EDGEPIPE_UNARY_REGISTRATION(Fn, CODE)                           \
  const OpRegistration* Fn() {                                          \
    static const OpRegistration reg{                                    \
        schema::BuiltinOperator_##CODE, #CODE, 1, 1, 1, Prepare, Eval}; \
    return &reg;                                                        \
  }
EDGEPIPE_UNARY_REGISTRATION(RegisterExp, EXP)
EDGEPIPE_UNARY_REGISTRATION(RegisterLog, LOG)
EDGEPIPE_UNARY_REGISTRATION(RegisterSqrt, SQRT)
EDGEPIPE_UNARY_REGISTRATION(RegisterRsqrt, RSQRT)
EDGEPIPE_UNARY_REGISTRATION(RegisterAbs, ABS)
EDGEPIPE_UNARY_REGISTRATION(RegisterGelu, GELU)
EDGEPIPE_UNARY_REGISTRATION(RegisterLeakyRelu, LEAKY_RELU)
#undef EDGEPIPE_UNARY_REGISTRATION

}  // namespace edgepipe::lite
