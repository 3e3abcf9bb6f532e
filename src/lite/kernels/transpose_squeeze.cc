// TRANSPOSE: input 0 (rank <= 6, any fixed-size type), input 1 the constant
// int32 permutation (a permutation of 0..rank-1). SQUEEZE: drops the size-1
// dims named in SqueezeOptions.squeeze_dims (negative counts from the end),
// or every size-1 dim when none are named. Both move values unchanged, so a
// quantized input and output must share their quantization.
#include <cstring>
#include <string>

#include "src/lite/kernels/kernel.h"
#include "src/lite/kernels/op_resolver.h"
#include "src/lite/kernels/reference/transform.h"
#include "src/lite/schema_util.h"

namespace edgepipe::lite {
namespace {

constexpr int kMaxRank = 6;

Status ExpectSameTypeAndQuantization(const KernelTensor& input, const KernelTensor& output) {
  RETURN_IF_ERROR(ExpectType(output, input.type, "output"));
  if (input.is_quantized() || output.is_quantized()) {
    RETURN_IF_ERROR(ExpectSameQuantization(input, output, "input", "output"));
  }
  return Status::OK();
}

struct TransposeData {
  int rank;
  int32_t in_dims[kMaxRank], perm[kMaxRank];
  size_t elem;
};

Status PrepareTranspose(KernelContext& ctx, Node& node) {
  const KernelTensor& input = ctx.input(node, 0);
  const KernelTensor& perm = ctx.input(node, 1);
  RETURN_IF_ERROR(ExpectSameTypeAndQuantization(input, ctx.output(node, 0)));
  RETURN_IF_ERROR(ExpectType(perm, schema::TensorType_INT32, "perm"));
  if (!perm.is_constant) {
    return Status::Unimplemented("perm '" + perm.name + "' must be a constant");
  }
  auto& d = node.op_data<TransposeData>();
  d = {};
  d.rank = static_cast<int>(input.dims.size());
  if (d.rank > kMaxRank) return Status::Unimplemented("TRANSPOSE beyond rank 6");
  if (perm.dims.size() != 1 || perm.dims[0] != d.rank) {
    return Status::InvalidArgument("perm '" + perm.name + "' has shape " + DimsToString(perm.dims) +
                                   ", expected [" + std::to_string(d.rank) + "]");
  }
  std::vector<int32_t> out_dims(static_cast<size_t>(d.rank));
  bool seen[kMaxRank] = {};
  for (int k = 0; k < d.rank; ++k) {
    const int32_t p = perm.data_as<const int32_t>()[k];
    if (p < 0 || p >= d.rank || seen[p]) {
      return Status::InvalidArgument(
          "perm " +
          DimsToString(std::span<const int32_t>(perm.data_as<const int32_t>(),
                                                static_cast<size_t>(d.rank))) +
          " is not a permutation of 0.." + std::to_string(d.rank - 1));
    }
    seen[p] = true;
    d.perm[k] = p;
    d.in_dims[k] = input.dims[static_cast<size_t>(k)];
    out_dims[static_cast<size_t>(k)] = input.dims[static_cast<size_t>(p)];
  }
  d.elem = TensorTypeSize(input.type);
  return ctx.SetOutputDims(node, 0, std::move(out_dims));
}

Status EvalTranspose(KernelContext& ctx, const Node& node) {
  const auto& d = node.op_data<TransposeData>();
  if (ctx.output(node, 0).bytes == 0) return Status::OK();
  reference::Transpose(ctx.output(node, 0).data_as<uint8_t>(),
                       ctx.input(node, 0).data_as<const uint8_t>(), d.in_dims, d.perm, d.rank,
                       d.elem);
  return Status::OK();
}

Status PrepareSqueeze(KernelContext& ctx, Node& node) {
  const KernelTensor& input = ctx.input(node, 0);
  RETURN_IF_ERROR(ExpectSameTypeAndQuantization(input, ctx.output(node, 0)));
  const int rank = static_cast<int>(input.dims.size());
  std::vector<bool> drop(static_cast<size_t>(rank), false);
  const auto* o = node.op->builtin_options_as_SqueezeOptions();
  if (o != nullptr && o->squeeze_dims() != nullptr && o->squeeze_dims()->size() > 0) {
    for (int32_t axis : *o->squeeze_dims()) {
      const int a = axis < 0 ? axis + rank : axis;
      if (a < 0 || a >= rank || input.dims[static_cast<size_t>(a)] != 1) {
        return Status::InvalidArgument("squeeze dim " + std::to_string(axis) + " of shape " +
                                       DimsToString(input.dims) +
                                       " is out of range or not of size 1");
      }
      drop[static_cast<size_t>(a)] = true;
    }
  } else {
    for (int a = 0; a < rank; ++a)
      drop[static_cast<size_t>(a)] = input.dims[static_cast<size_t>(a)] == 1;
  }
  std::vector<int32_t> out_dims;
  for (int a = 0; a < rank; ++a) {
    if (!drop[static_cast<size_t>(a)]) out_dims.push_back(input.dims[static_cast<size_t>(a)]);
  }
  return ctx.SetOutputDims(node, 0, std::move(out_dims));
}

Status EvalCopy(KernelContext& ctx, const Node& node) {
  const KernelTensor& input = ctx.input(node, 0);
  KernelTensor& output = ctx.output(node, 0);
  if (output.data != input.data && input.bytes > 0) {
    std::memcpy(output.data, input.data, input.bytes);
  }
  return Status::OK();
}

}  // namespace

const OpRegistration* RegisterTranspose() {
  static const OpRegistration reg{
      schema::BuiltinOperator_TRANSPOSE, "TRANSPOSE", 2, 2, 1, PrepareTranspose, EvalTranspose};
  return &reg;
}
const OpRegistration* RegisterSqueeze() {
  static const OpRegistration reg{
      schema::BuiltinOperator_SQUEEZE, "SQUEEZE", 1, 1, 1, PrepareSqueeze, EvalCopy};
  return &reg;
}

}  // namespace edgepipe::lite
