// SPLIT (input 0 the constant int32 axis, input 1 the tensor; num_splits
// equal outputs), PACK (values_count inputs of one shape stacked on a new
// `axis`) and UNPACK (the reverse: `num` outputs). Any fixed-size type;
// values move unchanged, so quantized tensors must share one quantization.
#include <cstring>
#include <limits>
#include <string>

#include "src/lite/kernels/kernel.h"
#include "src/lite/kernels/op_resolver.h"
#include "src/lite/schema_util.h"

namespace edgepipe::lite {
namespace {

// [outer, axis, inner] view shared by the three ops: each piece is
// `piece` elements of the axis per outer index.
struct SplitPackData {
  int64_t outer, inner, piece;
  size_t elem;
};

Status ExpectLike(const KernelTensor& t, const KernelTensor& like, const char* role) {
  RETURN_IF_ERROR(ExpectType(t, like.type, role));
  if (t.is_quantized() || like.is_quantized()) {
    RETURN_IF_ERROR(ExpectSameQuantization(t, like, role, "input"));
  }
  return Status::OK();
}

Status PrepareSplit(KernelContext& ctx, Node& node) {
  const KernelTensor& axis_t = ctx.input(node, 0);
  const KernelTensor& input = ctx.input(node, 1);
  RETURN_IF_ERROR(ExpectType(axis_t, schema::TensorType_INT32, "axis"));
  if (!axis_t.is_constant || axis_t.num_elements() != 1) {
    return Status::Unimplemented("axis '" + axis_t.name + "' must be a constant scalar");
  }
  if (TensorTypeSize(input.type) == 0) return Status::Unimplemented("input type not supported");
  const int rank = static_cast<int>(input.dims.size());
  int axis = axis_t.data_as<const int32_t>()[0];
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) {
    return Status::InvalidArgument("axis out of range for shape " + DimsToString(input.dims));
  }
  const int n = static_cast<int>(node.outputs.size());
  if (const auto* o = node.op->builtin_options_as_SplitOptions(); o && o->num_splits() != n) {
    return Status::InvalidArgument("num_splits " + std::to_string(o->num_splits()) + " but " +
                                   std::to_string(n) + " outputs");
  }
  const int32_t dim = input.dims[static_cast<size_t>(axis)];
  if (dim % n != 0) {
    return Status::InvalidArgument("dim " + std::to_string(axis) + " (" + std::to_string(dim) +
                                   ") does not split into " + std::to_string(n));
  }
  auto& d = node.op_data<SplitPackData>();
  d = {1, 1, dim / n, TensorTypeSize(input.type)};
  for (int k = 0; k < axis; ++k) d.outer *= input.dims[static_cast<size_t>(k)];
  for (int k = axis + 1; k < rank; ++k) d.inner *= input.dims[static_cast<size_t>(k)];
  std::vector<int32_t> out_dims = input.dims;
  out_dims[static_cast<size_t>(axis)] = dim / n;
  for (int i = 0; i < n; ++i) {
    RETURN_IF_ERROR(ExpectLike(ctx.output(node, i), input, "output"));
    RETURN_IF_ERROR(ctx.SetOutputDims(node, i, out_dims));
  }
  return Status::OK();
}

Status EvalSplit(KernelContext& ctx, const Node& node) {
  const auto& d = node.op_data<SplitPackData>();
  const uint8_t* in = ctx.input(node, 1).data_as<const uint8_t>();
  const int n = static_cast<int>(node.outputs.size());
  const size_t chunk = static_cast<size_t>(d.piece * d.inner) * d.elem;
  if (chunk == 0) return Status::OK();
  for (int64_t o = 0; o < d.outer; ++o) {
    for (int i = 0; i < n; ++i) {
      std::memcpy(ctx.output(node, i).data_as<uint8_t>() + static_cast<size_t>(o) * chunk, in,
                  chunk);
      in += chunk;
    }
  }
  return Status::OK();
}

// PACK and UNPACK share the axis handling: `rank` is the rank of the packed tensor.
StatusOr<int> PackAxis(int axis, int rank) {
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) {
    return Status::InvalidArgument("axis out of range for rank " + std::to_string(rank));
  }
  return axis;
}

Status PreparePack(KernelContext& ctx, Node& node) {
  const KernelTensor& first = ctx.input(node, 0);
  const int n = static_cast<int>(node.inputs.size());
  int axis = 0;
  if (const auto* o = node.op->builtin_options_as_PackOptions()) {
    if (o->values_count() != n) {
      return Status::InvalidArgument("values_count " + std::to_string(o->values_count()) + " but " +
                                     std::to_string(n) + " inputs");
    }
    axis = o->axis();
  }
  if (TensorTypeSize(first.type) == 0) return Status::Unimplemented("input type not supported");
  for (int i = 1; i < n; ++i) {
    const KernelTensor& t = ctx.input(node, i);
    RETURN_IF_ERROR(ExpectLike(t, first, "input"));
    if (t.dims != first.dims) {
      return Status::InvalidArgument("input " + std::to_string(i) + " has shape " +
                                     DimsToString(t.dims) + ", input 0 " +
                                     DimsToString(first.dims));
    }
  }
  RETURN_IF_ERROR(ExpectLike(ctx.output(node, 0), first, "output"));
  const int rank = static_cast<int>(first.dims.size());
  ASSIGN_OR_RETURN(axis, PackAxis(axis, rank + 1));
  auto& d = node.op_data<SplitPackData>();
  d = {1, 1, 1, TensorTypeSize(first.type)};
  for (int k = 0; k < axis; ++k) d.outer *= first.dims[static_cast<size_t>(k)];
  for (int k = axis; k < rank; ++k) d.inner *= first.dims[static_cast<size_t>(k)];
  std::vector<int32_t> out_dims = first.dims;
  out_dims.insert(out_dims.begin() + axis, n);
  return ctx.SetOutputDims(node, 0, std::move(out_dims));
}

Status EvalPack(KernelContext& ctx, const Node& node) {
  const auto& d = node.op_data<SplitPackData>();
  uint8_t* out = ctx.output(node, 0).data_as<uint8_t>();
  const int n = static_cast<int>(node.inputs.size());
  const size_t chunk = static_cast<size_t>(d.inner) * d.elem;
  if (chunk == 0) return Status::OK();
  for (int64_t o = 0; o < d.outer; ++o) {
    for (int i = 0; i < n; ++i) {
      std::memcpy(out, ctx.input(node, i).data_as<const uint8_t>() + static_cast<size_t>(o) * chunk,
                  chunk);
      out += chunk;
    }
  }
  return Status::OK();
}

Status PrepareUnpack(KernelContext& ctx, Node& node) {
  const KernelTensor& input = ctx.input(node, 0);
  const int n = static_cast<int>(node.outputs.size());
  int axis = 0;
  if (const auto* o = node.op->builtin_options_as_UnpackOptions()) {
    if (o->num() != n) {
      return Status::InvalidArgument("num " + std::to_string(o->num()) + " but " +
                                     std::to_string(n) + " outputs");
    }
    axis = o->axis();
  }
  if (TensorTypeSize(input.type) == 0) return Status::Unimplemented("input type not supported");
  const int rank = static_cast<int>(input.dims.size());
  ASSIGN_OR_RETURN(axis, PackAxis(axis, rank));
  if (input.dims[static_cast<size_t>(axis)] != n) {
    return Status::InvalidArgument("dim " + std::to_string(axis) + " of " +
                                   DimsToString(input.dims) + " is not " + std::to_string(n));
  }
  auto& d = node.op_data<SplitPackData>();
  d = {1, 1, 1, TensorTypeSize(input.type)};
  for (int k = 0; k < axis; ++k) d.outer *= input.dims[static_cast<size_t>(k)];
  for (int k = axis + 1; k < rank; ++k) d.inner *= input.dims[static_cast<size_t>(k)];
  std::vector<int32_t> out_dims = input.dims;
  out_dims.erase(out_dims.begin() + axis);
  for (int i = 0; i < n; ++i) {
    RETURN_IF_ERROR(ExpectLike(ctx.output(node, i), input, "output"));
    RETURN_IF_ERROR(ctx.SetOutputDims(node, i, out_dims));
  }
  return Status::OK();
}

Status EvalUnpack(KernelContext& ctx, const Node& node) {
  const auto& d = node.op_data<SplitPackData>();
  const uint8_t* in = ctx.input(node, 0).data_as<const uint8_t>();
  const int n = static_cast<int>(node.outputs.size());
  const size_t chunk = static_cast<size_t>(d.inner) * d.elem;
  if (chunk == 0) return Status::OK();
  for (int64_t o = 0; o < d.outer; ++o) {
    for (int i = 0; i < n; ++i) {
      std::memcpy(ctx.output(node, i).data_as<uint8_t>() + static_cast<size_t>(o) * chunk, in,
                  chunk);
      in += chunk;
    }
  }
  return Status::OK();
}

}  // namespace

const OpRegistration* RegisterSplit() {
  static const OpRegistration reg{schema::BuiltinOperator_SPLIT, "SPLIT",      2,        2,
                                  kAnyNumberOfOutputs,           PrepareSplit, EvalSplit};
  return &reg;
}
const OpRegistration* RegisterPack() {
  static const OpRegistration reg{schema::BuiltinOperator_PACK,
                                  "PACK",
                                  1,
                                  std::numeric_limits<int>::max(),
                                  1,
                                  PreparePack,
                                  EvalPack};
  return &reg;
}
const OpRegistration* RegisterUnpack() {
  static const OpRegistration reg{schema::BuiltinOperator_UNPACK,
                                  "UNPACK",
                                  1,
                                  1,
                                  kAnyNumberOfOutputs,
                                  PrepareUnpack,
                                  EvalUnpack};
  return &reg;
}

}  // namespace edgepipe::lite
