// PAD: input 0 (rank <= 6), input 1 constant int32 paddings [rank, 2]
// (before, after per dim, >= 0). Padded values are 0.0f for float32 and the
// output zero point for int8 (input and output share quantization).
#include <cstring>
#include <limits>
#include <string>

#include "src/lite/kernels/kernel.h"
#include "src/lite/kernels/op_resolver.h"
#include "src/lite/kernels/reference/transform.h"
#include "src/lite/schema_util.h"

namespace edgepipe::lite {
namespace {

constexpr int kMaxRank = 6;

struct PadData {
  int rank;
  int32_t in_dims[kMaxRank], before[kMaxRank], after[kMaxRank];
  size_t elem;
  uint8_t pad_value[4];
};

Status Prepare(KernelContext& ctx, Node& node) {
  const KernelTensor& input = ctx.input(node, 0);
  const KernelTensor& paddings = ctx.input(node, 1);
  const KernelTensor& output = ctx.output(node, 0);
  auto& d = node.op_data<PadData>();
  d = {};
  if (input.type != schema::TensorType_FLOAT32 && input.type != schema::TensorType_INT8) {
    return Status::InvalidArgument("input '" + input.name + "' is " + TensorTypeName(input.type) +
                                   ", expected float32 or int8");
  }
  RETURN_IF_ERROR(ExpectType(output, input.type, "output"));
  RETURN_IF_ERROR(ExpectType(paddings, schema::TensorType_INT32, "paddings"));
  if (!paddings.is_constant) {
    return Status::Unimplemented("paddings '" + paddings.name + "' must be a constant");
  }
  d.rank = static_cast<int>(input.dims.size());
  if (d.rank > kMaxRank) return Status::Unimplemented("PAD beyond rank 6");
  if (paddings.dims != std::vector<int32_t>{d.rank, 2}) {
    return Status::InvalidArgument("paddings '" + paddings.name + "' has shape " +
                                   DimsToString(paddings.dims) + ", expected [" +
                                   std::to_string(d.rank) + ",2]");
  }
  const int32_t* p = paddings.data_as<const int32_t>();
  std::vector<int32_t> out_dims;
  for (int i = 0; i < d.rank; ++i) {
    if (p[2 * i] < 0 || p[2 * i + 1] < 0) {
      return Status::InvalidArgument("paddings of dim " + std::to_string(i) + " are negative");
    }
    d.in_dims[i] = input.dims[static_cast<size_t>(i)];
    d.before[i] = p[2 * i];
    d.after[i] = p[2 * i + 1];
    // In int64: three int32 terms can exceed int32 (UB in int arithmetic).
    const int64_t padded = int64_t{d.in_dims[i]} + d.before[i] + d.after[i];
    if (padded > std::numeric_limits<int32_t>::max()) {
      return Status::InvalidArgument(
          "padded dim " + std::to_string(i) + " (" + std::to_string(d.in_dims[i]) + " + " +
          std::to_string(d.before[i]) + " + " + std::to_string(d.after[i]) + ") exceeds int32");
    }
    out_dims.push_back(static_cast<int32_t>(padded));
  }
  d.elem = TensorTypeSize(input.type);
  if (input.type == schema::TensorType_INT8) {
    RETURN_IF_ERROR(ExpectSameQuantization(input, output, "input", "output"));
    d.pad_value[0] = static_cast<uint8_t>(static_cast<int8_t>(output.zero_point()));
  }
  return ctx.SetOutputDims(node, 0, std::move(out_dims));
}

Status Eval(KernelContext& ctx, const Node& node) {
  const auto& d = node.op_data<PadData>();
  reference::Pad(ctx.output(node, 0).data, ctx.input(node, 0).data, d.in_dims, d.before, d.after,
                 d.rank, d.elem, d.pad_value);
  return Status::OK();
}

}  // namespace

const OpRegistration* RegisterPad() {
  static const OpRegistration reg{schema::BuiltinOperator_PAD, "PAD", 2, 2, 1, Prepare, Eval};
  return &reg;
}

}  // namespace edgepipe::lite
