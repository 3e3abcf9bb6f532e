// QUANTIZE: float32 -> int8/uint8 (affine, round half away from zero), or
// int8/uint8 -> int8/uint8 requantization (TFLite's Requantize with an integer
// multiplier). DEQUANTIZE: int8/uint8/int16 -> float32 (scale·(q - zp)), and
// float16 -> float32 (weights stored in half precision).
#include "src/lite/kernels/reference/quantize.h"

#include <string>

#include "src/lite/kernels/kernel.h"
#include "src/lite/kernels/op_resolver.h"
#include "src/lite/quantization_util.h"
#include "src/lite/schema_util.h"

namespace edgepipe::lite {
namespace {

struct QuantizeData {
  schema::TensorType in_type, out_type;
  int64_t n;
  float scale;
  int32_t input_zp, output_zp, multiplier;
  int shift;
};

bool IsInt8Or8(schema::TensorType t) {
  return t == schema::TensorType_INT8 || t == schema::TensorType_UINT8;
}

Status PrepareQuantize(KernelContext& ctx, Node& node) {
  const KernelTensor& input = ctx.input(node, 0);
  const KernelTensor& output = ctx.output(node, 0);
  auto& d = node.op_data<QuantizeData>();
  d = {};
  d.in_type = input.type;
  d.out_type = output.type;
  d.n = input.num_elements();
  if (!IsInt8Or8(output.type)) {
    return Status::InvalidArgument("output '" + output.name + "' is " +
                                   TensorTypeName(output.type) + ", expected int8 or uint8");
  }
  RETURN_IF_ERROR(ExpectPerTensorQuantized(output, "output"));
  d.output_zp = output.zero_point();
  if (input.type == schema::TensorType_FLOAT32) {
    RETURN_IF_ERROR(ExpectFiniteIfConstant(input, "input"));
    d.scale = output.scale();
  } else if (IsInt8Or8(input.type)) {
    RETURN_IF_ERROR(ExpectPerTensorQuantized(input, "input"));
    d.input_zp = input.zero_point();
    RETURN_IF_ERROR(QuantizePositiveMultiplier(static_cast<double>(input.scale()) / output.scale(),
                                               &d.multiplier, &d.shift));
  } else {
    return Status::InvalidArgument("input '" + input.name + "' is " + TensorTypeName(input.type) +
                                   ", expected float32, int8 or uint8");
  }
  return ctx.SetOutputDims(node, 0, input.dims);
}

Status EvalQuantize(KernelContext& ctx, const Node& node) {
  const auto& d = node.op_data<QuantizeData>();
  const KernelTensor& in = ctx.input(node, 0);
  KernelTensor& out = ctx.output(node, 0);
  const bool out_i8 = d.out_type == schema::TensorType_INT8;
  if (d.in_type == schema::TensorType_FLOAT32) {
    if (out_i8) {
      reference::QuantizeToInt8(out.data_as<int8_t>(), in.data_as<const float>(), d.n, d.scale,
                                d.output_zp);
    } else {
      reference::QuantizeToUInt8(out.data_as<uint8_t>(), in.data_as<const float>(), d.n, d.scale,
                                 d.output_zp);
    }
    return Status::OK();
  }
  const bool in_i8 = d.in_type == schema::TensorType_INT8;
  if (in_i8 && out_i8) {
    reference::Requantize(out.data_as<int8_t>(), in.data_as<const int8_t>(), d.n, d.input_zp,
                          d.output_zp, d.multiplier, d.shift);
  } else if (in_i8) {
    reference::Requantize(out.data_as<uint8_t>(), in.data_as<const int8_t>(), d.n, d.input_zp,
                          d.output_zp, d.multiplier, d.shift);
  } else if (out_i8) {
    reference::Requantize(out.data_as<int8_t>(), in.data_as<const uint8_t>(), d.n, d.input_zp,
                          d.output_zp, d.multiplier, d.shift);
  } else {
    reference::Requantize(out.data_as<uint8_t>(), in.data_as<const uint8_t>(), d.n, d.input_zp,
                          d.output_zp, d.multiplier, d.shift);
  }
  return Status::OK();
}

Status PrepareDequantize(KernelContext& ctx, Node& node) {
  const KernelTensor& input = ctx.input(node, 0);
  const KernelTensor& output = ctx.output(node, 0);
  auto& d = node.op_data<QuantizeData>();
  d = {};
  d.in_type = input.type;
  d.n = input.num_elements();
  RETURN_IF_ERROR(ExpectType(output, schema::TensorType_FLOAT32, "output"));
  if (input.type == schema::TensorType_INT8 || input.type == schema::TensorType_UINT8 ||
      input.type == schema::TensorType_INT16) {
    RETURN_IF_ERROR(ExpectPerTensorQuantized(input, "input"));
    d.scale = input.scale();
    d.input_zp = input.zero_point();
  } else if (input.type != schema::TensorType_FLOAT16) {
    return Status::InvalidArgument("input '" + input.name + "' is " + TensorTypeName(input.type) +
                                   ", expected int8, uint8, int16 or float16");
  }
  return ctx.SetOutputDims(node, 0, input.dims);
}

Status EvalDequantize(KernelContext& ctx, const Node& node) {
  const auto& d = node.op_data<QuantizeData>();
  const KernelTensor& in = ctx.input(node, 0);
  float* out = ctx.output(node, 0).data_as<float>();
  switch (d.in_type) {
    case schema::TensorType_INT8:
      reference::Dequantize(out, in.data_as<const int8_t>(), d.n, d.scale, d.input_zp);
      break;
    case schema::TensorType_UINT8:
      reference::Dequantize(out, in.data_as<const uint8_t>(), d.n, d.scale, d.input_zp);
      break;
    case schema::TensorType_INT16:
      reference::Dequantize(out, in.data_as<const int16_t>(), d.n, d.scale, d.input_zp);
      break;
    default:
      reference::HalfToFloat(out, in.data_as<const uint16_t>(), d.n);
      break;
  }
  return Status::OK();
}

}  // namespace

const OpRegistration* RegisterQuantize() {
  static const OpRegistration reg{
      schema::BuiltinOperator_QUANTIZE, "QUANTIZE", 1, 1, 1, PrepareQuantize, EvalQuantize};
  return &reg;
}
const OpRegistration* RegisterDequantize() {
  static const OpRegistration reg{
      schema::BuiltinOperator_DEQUANTIZE, "DEQUANTIZE", 1, 1, 1, PrepareDequantize, EvalDequantize,
      /*fold_constant_inputs=*/true};
  return &reg;
}

}  // namespace edgepipe::lite
