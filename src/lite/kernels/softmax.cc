// SOFTMAX: softmax(beta * x) over the last dimension; output shape = input shape.
// float32, and int8 -> int8 as TFLite's builtin kernel (a float exp table
// built in Prepare; output scale 1/256 and zero point -128, as TFLite's
// quantization spec requires).
#include "src/lite/kernels/reference/softmax.h"

#include <cmath>
#include <string>

#include "src/lite/kernels/kernel.h"
#include "src/lite/kernels/op_resolver.h"
#include "src/lite/schema_util.h"

namespace edgepipe::lite {
namespace {

struct SoftmaxData {
  int64_t rows;
  int64_t depth;
  float beta;
  bool is_int8;
  float output_scale;
  int32_t output_zp;
};

Status Prepare(KernelContext& ctx, Node& node) {
  const KernelTensor& input = ctx.input(node, 0);
  const KernelTensor& output = ctx.output(node, 0);
  auto& data = node.op_data<SoftmaxData>();
  data = {};
  if (input.type != schema::TensorType_FLOAT32 && input.type != schema::TensorType_INT8) {
    return Status::InvalidArgument("input '" + input.name + "' is " + TensorTypeName(input.type) +
                                   ", expected float32 or int8");
  }
  RETURN_IF_ERROR(ExpectType(output, input.type, "output"));
  if (input.dims.empty() || input.dims.back() <= 0) {
    return Status::InvalidArgument("input '" + input.name + "' has shape " +
                                   DimsToString(input.dims) +
                                   ", expected rank >= 1 with a non-empty last dim");
  }
  data.depth = input.dims.back();
  data.rows = input.num_elements() / data.depth;
  // Options absent: beta 1, the value every converter writes. Present: taken
  // as written (beta 0 gives a uniform output, as in TFLite).
  data.beta = 1.0f;
  if (const auto* opts = node.op->builtin_options_as_SoftmaxOptions()) data.beta = opts->beta();
  data.is_int8 = input.type == schema::TensorType_INT8;
  if (data.is_int8) {
    RETURN_IF_ERROR(ExpectPerTensorQuantized(input, "input"));
    RETURN_IF_ERROR(ExpectPerTensorQuantized(output, "output"));
    if (std::abs(output.scale() - 1.0f / 256) > 1e-6f / 256 || output.zero_point() != -128) {
      return Status::InvalidArgument("int8 output '" + output.name + "' has scale " +
                                     std::to_string(output.scale()) + ", zero point " +
                                     std::to_string(output.zero_point()) +
                                     "; expected scale 1/256, zero point -128");
    }
    data.output_scale = output.scale();
    data.output_zp = output.zero_point();
    node.params_f32.resize(256);
    reference::PopulateSoftmaxTable(node.params_f32.data(), input.scale(), data.beta);
    // A NaN beta, or a negative one large enough that exp(-scale · beta · k)
    // overflows, puts NaN/inf in the table and then NaN into Eval's
    // float -> int conversion (undefined behaviour).
    for (int k = 0; k < 256; ++k) {
      if (!std::isfinite(node.params_f32[static_cast<size_t>(k)])) {
        return Status::InvalidArgument("beta " + std::to_string(data.beta) + " with input '" +
                                       input.name + "' scale " + std::to_string(input.scale()) +
                                       " makes the int8 exp table non-finite");
      }
    }
  }
  return ctx.SetOutputDims(node, 0, input.dims);
}

Status Eval(KernelContext& ctx, const Node& node) {
  const auto& d = node.op_data<SoftmaxData>();
  if (d.is_int8) {
    reference::SoftmaxInt8(ctx.output(node, 0).data_as<int8_t>(),
                           ctx.input(node, 0).data_as<const int8_t>(), d.rows, d.depth,
                           node.params_f32.data(), d.output_scale, d.output_zp);
    return Status::OK();
  }
  reference::SoftmaxFloat(ctx.output(node, 0).data_as<float>(),
                          ctx.input(node, 0).data_as<const float>(), d.rows, d.depth, d.beta);
  return Status::OK();
}

}  // namespace

const OpRegistration* RegisterSoftmax() {
  static const OpRegistration reg{schema::BuiltinOperator_SOFTMAX,
                                  "SOFTMAX",
                                  /*min_inputs=*/1,
                                  /*max_inputs=*/1,
                                  /*num_outputs=*/1,
                                  Prepare,
                                  Eval};
  return &reg;
}

}  // namespace edgepipe::lite
