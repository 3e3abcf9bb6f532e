// DENSIFY: a sparse constant -> the same tensor dense. The interpreter
// densifies sparse constants at load (src/lite/sparse_tensor.h), so here the
// input is already dense and constant: this is a copy, run once at load by
// constant folding, never per Invoke.
#include <cstring>
#include <string>

#include "src/lite/kernels/kernel.h"
#include "src/lite/kernels/op_resolver.h"
#include "src/lite/schema_util.h"

namespace edgepipe::lite {
namespace {

Status Prepare(KernelContext& ctx, Node& node) {
  const KernelTensor& input = ctx.input(node, 0);
  const KernelTensor& output = ctx.output(node, 0);
  RETURN_IF_ERROR(ExpectType(output, input.type, "output"));
  if (!input.is_constant) {
    return Status::InvalidArgument("input '" + input.name + "' must be a constant (sparse) tensor");
  }
  return ctx.SetOutputDims(node, 0, input.dims);
}

Status Eval(KernelContext& ctx, const Node& node) {
  const KernelTensor& input = ctx.input(node, 0);
  if (input.bytes > 0) std::memcpy(ctx.output(node, 0).data, input.data, input.bytes);
  return Status::OK();
}

}  // namespace

const OpRegistration* RegisterDensify() {
  static const OpRegistration reg{
      schema::BuiltinOperator_DENSIFY, "DENSIFY", 1, 1, 1, Prepare, Eval,
      /*fold_constant_inputs=*/true};
  return &reg;
}

}  // namespace edgepipe::lite
