// Elementwise activations, output shape = input shape:
//   RELU, RELU6      float32 clamp; int8 requantized from the input to the
//                    output scale, then clamped (TFLite's QuantizedReluX).
//   LOGISTIC, TANH   float32 libm; int8 through a 256-entry table built in
//                    Prepare exactly as TFLite's builtin kernel builds it.
//                    int8 outputs follow TFLite's quantization spec: LOGISTIC
//                    scale 1/256, zero point -128; TANH scale 1/128, zero point 0.
//   HARD_SWISH       float32 x·relu6(x+3)/6; int8 TFLite's 16-bit fixed point.
#include <cmath>
#include <string>

#include "src/lite/kernels/kernel.h"
#include "src/lite/kernels/op_resolver.h"
#include "src/lite/kernels/optimized/elementwise.h"
#include "src/lite/kernels/parallel_bands.h"
#include "src/lite/kernels/reference/elementwise.h"
#include "src/lite/quantization_util.h"
#include "src/lite/schema_util.h"

namespace edgepipe::lite {
namespace {

enum class Kind : int32_t { kRelu, kRelu6, kLogistic, kTanh, kHardSwish };

struct ActivationData {
  Kind kind;
  bool is_int8;
  int64_t n;
  int32_t input_zp, output_zp, multiplier, act_min, act_max;
  int shift;
  reference::HardSwishInt8Params hard_swish;
  const optimized::ElementwiseKernels* kernels;  // float: this CPU's loops
};

Kind KindOf(int32_t code) {
  switch (code) {
    case schema::BuiltinOperator_RELU:
      return Kind::kRelu;
    case schema::BuiltinOperator_RELU6:
      return Kind::kRelu6;
    case schema::BuiltinOperator_LOGISTIC:
      return Kind::kLogistic;
    case schema::BuiltinOperator_TANH:
      return Kind::kTanh;
    default:
      return Kind::kHardSwish;
  }
}

Status ExpectFixedOutput(const KernelTensor& output, float scale, int32_t zero_point) {
  if (std::abs(output.scale() - scale) > scale * 1e-6f || output.zero_point() != zero_point) {
    return Status::InvalidArgument(
        "int8 output '" + output.name + "' has scale " + std::to_string(output.scale()) +
        ", zero point " + std::to_string(output.zero_point()) + "; expected scale " +
        std::to_string(scale) + ", zero point " + std::to_string(zero_point));
  }
  return Status::OK();
}

Status Prepare(KernelContext& ctx, Node& node) {
  const KernelTensor& input = ctx.input(node, 0);
  const KernelTensor& output = ctx.output(node, 0);
  auto& d = node.op_data<ActivationData>();
  d = {};
  d.kind = KindOf(node.builtin_code);
  if (input.type != schema::TensorType_FLOAT32 && input.type != schema::TensorType_INT8) {
    return Status::InvalidArgument("input '" + input.name + "' is " + TensorTypeName(input.type) +
                                   ", expected float32 or int8");
  }
  RETURN_IF_ERROR(ExpectType(output, input.type, "output"));
  d.is_int8 = input.type == schema::TensorType_INT8;
  d.n = input.num_elements();
  d.kernels = optimized::SelectElementwise();
  if (d.is_int8) {
    RETURN_IF_ERROR(ExpectPerTensorQuantized(input, "input"));
    RETURN_IF_ERROR(ExpectPerTensorQuantized(output, "output"));
    d.input_zp = input.zero_point();
    d.output_zp = output.zero_point();
    switch (d.kind) {
      case Kind::kRelu:
      case Kind::kRelu6: {
        RETURN_IF_ERROR(QuantizePositiveMultiplier(
            static_cast<double>(input.scale()) / output.scale(), &d.multiplier, &d.shift));
        RETURN_IF_ERROR(QuantizedActivationRange(
            d.kind == Kind::kRelu ? schema::ActivationFunctionType_RELU
                                  : schema::ActivationFunctionType_RELU6,
            output.type, output.scale(), output.zero_point(), &d.act_min, &d.act_max));
        break;
      }
      case Kind::kLogistic:
        RETURN_IF_ERROR(ExpectFixedOutput(output, 1.0f / 256, -128));
        node.params_i8.resize(256);
        reference::PopulateInt8Table(node.params_i8.data(), input.scale(), input.zero_point(),
                                     output.scale(), output.zero_point(),
                                     reference::LogisticOfFloat);
        break;
      case Kind::kTanh:
        RETURN_IF_ERROR(ExpectFixedOutput(output, 1.0f / 128, 0));
        node.params_i8.resize(256);
        reference::PopulateInt8Table(node.params_i8.data(), input.scale(), input.zero_point(),
                                     output.scale(), output.zero_point(), reference::TanhOfFloat);
        break;
      case Kind::kHardSwish: {
        auto& p = d.hard_swish;
        p.input_zero_point = static_cast<int16_t>(input.zero_point());
        p.output_zero_point = static_cast<int16_t>(output.zero_point());
        const float hires_input_scale = (1.0f / 128.0f) * input.scale();
        const float reluish_scale = 3.0f / 32768.0f;
        int32_t m32 = 0;
        RETURN_IF_ERROR(QuantizePositiveMultiplier(hires_input_scale / output.scale(), &m32,
                                                   &p.output_multiplier_exponent));
        p.output_multiplier_fixedpoint_int16 = DownScaleInt32ToInt16Multiplier(m32);
        if (p.output_multiplier_exponent > 0) {
          return Status::InvalidArgument(
              "HARD_SWISH: input scale / output scale too large (output multiplier exponent " +
              std::to_string(p.output_multiplier_exponent) + " > 0)");
        }
        RETURN_IF_ERROR(QuantizePositiveMultiplier(hires_input_scale / reluish_scale, &m32,
                                                   &p.reluish_multiplier_exponent));
        p.reluish_multiplier_fixedpoint_int16 = DownScaleInt32ToInt16Multiplier(m32);
        break;
      }
    }
  }
  return ctx.SetOutputDims(node, 0, input.dims);
}

// Cost of one element in ThreadPool::ChunksFor's units: the clamps and
// table look-ups are memory-bound (~8), libm's exp/tanh take ~4 ns each here
// (~150).
int64_t CostPerElement(const ActivationData& d) {
  if (!d.is_int8 && (d.kind == Kind::kLogistic || d.kind == Kind::kTanh)) return 150;
  return d.kind == Kind::kHardSwish ? 16 : 8;
}

// Slices of the flat tensor over the pool (parallel_bands.h): every element
// is a function of its input alone, so any split gives the same bytes.
Status Eval(KernelContext& ctx, const Node& node) {
  const auto& d = node.op_data<ActivationData>();
  const KernelTensor& input = ctx.input(node, 0);
  KernelTensor& output = ctx.output(node, 0);
  if (d.is_int8) {
    const int8_t* in = input.data_as<const int8_t>();
    int8_t* out = output.data_as<int8_t>();
    ForEachSlice(ctx, d.n, CostPerElement(d), [&](int64_t b, int64_t e) {
      switch (d.kind) {
        case Kind::kRelu:
        case Kind::kRelu6:
          reference::ReluInt8(out + b, in + b, e - b, d.input_zp, d.output_zp, d.multiplier,
                              d.shift, d.act_min, d.act_max);
          break;
        case Kind::kLogistic:
        case Kind::kTanh:
          reference::LookupInt8(out + b, in + b, e - b, node.params_i8.data());
          break;
        case Kind::kHardSwish:
          reference::HardSwishInt8(out + b, in + b, e - b, d.hard_swish);
          break;
      }
    });
    return Status::OK();
  }
  const float* in = input.data_as<const float>();
  float* out = output.data_as<float>();
  ForEachSlice(ctx, d.n, CostPerElement(d), [&](int64_t b, int64_t e) {
    switch (d.kind) {
      case Kind::kRelu:
        d.kernels->clamp_float(out + b, in + b, e - b, 0.0f, INFINITY);
        break;
      case Kind::kRelu6:
        d.kernels->clamp_float(out + b, in + b, e - b, 0.0f, 6.0f);
        break;
      case Kind::kLogistic:
        reference::LogisticFloat(out + b, in + b, e - b);
        break;
      case Kind::kTanh:
        reference::TanhFloat(out + b, in + b, e - b);
        break;
      case Kind::kHardSwish:
        d.kernels->hard_swish_float(out + b, in + b, e - b);
        break;
    }
  });
  return Status::OK();
}

}  // namespace

const OpRegistration* RegisterRelu() {
  static const OpRegistration reg{schema::BuiltinOperator_RELU, "RELU", 1, 1, 1, Prepare, Eval};
  return &reg;
}
const OpRegistration* RegisterRelu6() {
  static const OpRegistration reg{schema::BuiltinOperator_RELU6, "RELU6", 1, 1, 1, Prepare, Eval};
  return &reg;
}
const OpRegistration* RegisterLogistic() {
  static const OpRegistration reg{
      schema::BuiltinOperator_LOGISTIC, "LOGISTIC", 1, 1, 1, Prepare, Eval};
  return &reg;
}
const OpRegistration* RegisterTanh() {
  static const OpRegistration reg{schema::BuiltinOperator_TANH, "TANH", 1, 1, 1, Prepare, Eval};
  return &reg;
}
const OpRegistration* RegisterHardSwish() {
  static const OpRegistration reg{
      schema::BuiltinOperator_HARD_SWISH, "HARD_SWISH", 1, 1, 1, Prepare, Eval};
  return &reg;
}

}  // namespace edgepipe::lite
