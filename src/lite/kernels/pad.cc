// PAD: input 0 (rank <= 6), input 1 constant int32 paddings [rank, 2]
// (before, after per dim, >= 0). Padded values are 0.0f for float32 and the
// output zero point for int8 (input and output share quantization).
#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#include "src/lite/kernels/kernel.h"
#include "src/lite/kernels/op_resolver.h"
#include "src/lite/kernels/parallel_bands.h"
#include "src/lite/kernels/reference/transform.h"
#include "src/lite/schema_util.h"

namespace edgepipe::lite {
namespace {

constexpr int kMaxRank = 6;

struct PadData {
  // The padding as given, with dims folded (Fold): what Eval runs.
  int rank;
  int32_t in_dims[kMaxRank], before[kMaxRank], after[kMaxRank];
  size_t elem;
  uint8_t pad_value[4];
};

// The same padding over fewer, longer dims: a dim of size 1 without padding
// goes, and a dim without padding merges into the one before it (padding
// that dim by p rows of w values pads the merged one by p * w values), so
// [1,H,W,C] padded in H and W becomes [H, W*C] and each input row is one
// memcpy instead of W. Leaves at least one dim; merges only while the
// merged sizes fit int32.
void Fold(PadData& d) {
  int rank = 0;
  for (int i = 0; i < d.rank; ++i) {
    if (d.in_dims[i] == 1 && d.before[i] == 0 && d.after[i] == 0) continue;
    d.in_dims[rank] = d.in_dims[i];
    d.before[rank] = d.before[i];
    d.after[rank] = d.after[i];
    ++rank;
  }
  if (rank == 0) {
    d.rank = 1;
    d.in_dims[0] = 1;
    d.before[0] = d.after[0] = 0;
    return;
  }
  for (int i = rank - 2; i >= 0; --i) {
    const int j = i + 1;
    if (d.before[j] != 0 || d.after[j] != 0) continue;
    const int64_t w = d.in_dims[j];
    const int64_t in = int64_t{d.in_dims[i]} * w, before = int64_t{d.before[i]} * w,
                  after = int64_t{d.after[i]} * w;
    if (in + before + after > std::numeric_limits<int32_t>::max()) continue;
    d.in_dims[i] = static_cast<int32_t>(in);
    d.before[i] = static_cast<int32_t>(before);
    d.after[i] = static_cast<int32_t>(after);
    for (int k = j; k + 1 < rank; ++k) {
      d.in_dims[k] = d.in_dims[k + 1];
      d.before[k] = d.before[k + 1];
      d.after[k] = d.after[k + 1];
    }
    --rank;
  }
  d.rank = rank;
}

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
  Fold(d);
  return ctx.SetOutputDims(node, 0, std::move(out_dims));
}

// Output rows (indices of the first folded dim) go to the pool in ranges;
// each range is a PAD of its own: the rows of `before` it covers, the input
// rows it covers, the rows of `after` it covers. A copy, so any split gives
// the same bytes.
Status Eval(KernelContext& ctx, const Node& node) {
  const auto& d = node.op_data<PadData>();
  uint8_t* out = ctx.output(node, 0).data;
  const uint8_t* in = ctx.input(node, 0).data;
  int64_t in_row = 1, out_row = 1;  // elements per index of dim 0
  for (int i = 1; i < d.rank; ++i) {
    in_row *= d.in_dims[i];
    out_row *= int64_t{d.in_dims[i]} + d.before[i] + d.after[i];
  }
  const int64_t rows = int64_t{d.in_dims[0]} + d.before[0] + d.after[0];
  // Memory-bound: ~8 of ChunksFor's units per 4 bytes written.
  const int64_t cost_per_row = std::max<int64_t>(2 * out_row * static_cast<int64_t>(d.elem), 1);
  ForEachRange(ctx, rows, cost_per_row, 1, [&](int64_t r0, int64_t r1) {
    const int64_t in0 = d.in_dims[0], b0 = d.before[0];
    const int64_t in_lo = std::clamp<int64_t>(r0 - b0, 0, in0);
    const int64_t in_hi = std::clamp<int64_t>(r1 - b0, 0, in0);
    const int64_t before = std::min(std::max(b0, r0), r1) - r0;
    const int64_t after = (r1 - r0) - before - (in_hi - in_lo);
    int32_t in_dims[kMaxRank], befores[kMaxRank], afters[kMaxRank];
    std::copy(d.in_dims, d.in_dims + d.rank, in_dims);
    std::copy(d.before, d.before + d.rank, befores);
    std::copy(d.after, d.after + d.rank, afters);
    in_dims[0] = static_cast<int32_t>(in_hi - in_lo);
    befores[0] = static_cast<int32_t>(before);
    afters[0] = static_cast<int32_t>(after);
    reference::Pad(out + static_cast<size_t>(r0 * out_row) * d.elem,
                   in + static_cast<size_t>(in_lo * in_row) * d.elem, in_dims, befores, afters,
                   d.rank, d.elem, d.pad_value);
  });
  return Status::OK();
}

}  // namespace

const OpRegistration* RegisterPad() {
  static const OpRegistration reg{schema::BuiltinOperator_PAD, "PAD", 2, 2, 1, Prepare, Eval};
  return &reg;
}

}  // namespace edgepipe::lite
