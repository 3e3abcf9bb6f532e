// SOFTMAX, float32: softmax(beta * x) over the last dimension; output shape = input shape.
#include "src/lite/kernels/reference/softmax.h"

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
};

Status Prepare(KernelContext& ctx, Node& node) {
  const KernelTensor& input = ctx.input(node, 0);
  RETURN_IF_ERROR(ExpectType(input, schema::TensorType_FLOAT32, "input"));
  RETURN_IF_ERROR(ExpectType(ctx.output(node, 0), schema::TensorType_FLOAT32, "output"));
  if (input.dims.empty() || input.dims.back() <= 0) {
    return Status::InvalidArgument("input '" + input.name + "' has shape " +
                                   DimsToString(input.dims) +
                                   ", expected rank >= 1 with a non-empty last dim");
  }
  auto& data = node.op_data<SoftmaxData>();
  data.depth = input.dims.back();
  data.rows = input.num_elements() / data.depth;
  // Options absent: beta 1, the value every converter writes. Present: taken
  // as written (beta 0 gives a uniform output, as in TFLite).
  data.beta = 1.0f;
  if (const auto* opts = node.op->builtin_options_as_SoftmaxOptions()) data.beta = opts->beta();
  return ctx.SetOutputDims(node, 0, input.dims);
}

Status Eval(KernelContext& ctx, const Node& node) {
  const auto& d = node.op_data<SoftmaxData>();
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
