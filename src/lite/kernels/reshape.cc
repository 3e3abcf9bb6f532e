// RESHAPE: same bytes, new dims. The new shape comes from input 1 (a
// constant int32 vector, as the TF converter writes it) or, failing that,
// from ReshapeOptions.new_shape. One dim may be -1 (inferred).
#include <cstring>
#include <limits>
#include <string>

#include "src/lite/kernels/kernel.h"
#include "src/lite/kernels/op_resolver.h"
#include "src/lite/schema_util.h"

namespace edgepipe::lite {
namespace {

Status Prepare(KernelContext& ctx, Node& node) {
  const KernelTensor& input = ctx.input(node, 0);
  KernelTensor& output = ctx.output(node, 0);
  if (output.type != input.type) {
    return Status::InvalidArgument("output '" + output.name + "' is " +
                                   TensorTypeName(output.type) + " but input '" + input.name +
                                   "' is " + TensorTypeName(input.type));
  }
  if (input.is_quantized() || output.is_quantized()) {
    // Moving int8 values unchanged is only right when the scales agree.
    RETURN_IF_ERROR(ExpectSameQuantization(input, output, "input", "output"));
  }
  std::vector<int32_t> shape;
  if (ctx.has_input(node, 1)) {
    const KernelTensor& spec = ctx.input(node, 1);
    RETURN_IF_ERROR(ExpectType(spec, schema::TensorType_INT32, "shape"));
    if (!spec.is_constant) {
      return Status::Unimplemented("shape input '" + spec.name +
                                   "' is computed at run time; only constant shapes are supported");
    }
    if (spec.dims.size() > 1) {
      return Status::InvalidArgument("shape input '" + spec.name + "' has shape " +
                                     DimsToString(spec.dims) + ", expected a vector");
    }
    const int64_t n = spec.num_elements();
    shape.resize(static_cast<size_t>(n));
    if (n > 0) std::memcpy(shape.data(), spec.data, static_cast<size_t>(n) * sizeof(int32_t));
  } else if (const auto* opts = node.op->builtin_options_as_ReshapeOptions();
             opts != nullptr && opts->new_shape() != nullptr) {
    shape.assign(opts->new_shape()->begin(), opts->new_shape()->end());
  } else {
    return Status::InvalidArgument("no shape input and no ReshapeOptions.new_shape");
  }
  int inferred = -1;
  int64_t known = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (inferred >= 0) {
        return Status::InvalidArgument("new shape " + DimsToString(shape) +
                                       " has more than one -1");
      }
      inferred = static_cast<int>(i);
    } else if (shape[i] < 0) {
      return Status::InvalidArgument("new shape " + DimsToString(shape) + " has a negative dim");
    } else {
      // Checked: a handful of large int32 dims overflows int64. Anything
      // above the input's element count can never match it anyway.
      if (shape[i] != 0 && known > std::numeric_limits<int64_t>::max() / shape[i]) {
        return Status::InvalidArgument("new shape " + DimsToString(shape) +
                                       " has too many elements");
      }
      known *= shape[i];
    }
  }
  const int64_t elements = input.num_elements();
  if (inferred >= 0) {
    if (known == 0 || elements % known != 0) {
      return Status::InvalidArgument("cannot reshape " + DimsToString(input.dims) + " to " +
                                     DimsToString(shape));
    }
    shape[static_cast<size_t>(inferred)] = static_cast<int32_t>(elements / known);
  } else if (known != elements) {
    return Status::InvalidArgument("cannot reshape " + DimsToString(input.dims) + " (" +
                                   std::to_string(elements) + " elements) to " +
                                   DimsToString(shape));
  }
  return ctx.SetOutputDims(node, 0, std::move(shape));
}

Status Eval(KernelContext& ctx, const Node& node) {
  const KernelTensor& input = ctx.input(node, 0);
  KernelTensor& output = ctx.output(node, 0);
  if (output.data != input.data && input.bytes > 0)
    std::memcpy(output.data, input.data, input.bytes);
  return Status::OK();
}

}  // namespace

const OpRegistration* RegisterReshape() {
  static const OpRegistration reg{schema::BuiltinOperator_RESHAPE,
                                  "RESHAPE",
                                  /*min_inputs=*/1,
                                  /*max_inputs=*/2,
                                  /*num_outputs=*/1,
                                  Prepare,
                                  Eval};
  return &reg;
}

}  // namespace edgepipe::lite
