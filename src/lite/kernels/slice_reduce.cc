// Indexing and reduction ops, rank <= 6, constant index tensors (int32):
//   SLICE          begin, size (size -1 = to the end); any type.
//   STRIDED_SLICE  begin, end, strides with begin/end/shrink_axis masks and
//                  `offset` (TFLite's clamping rules); ellipsis and new-axis
//                  masks are Unimplemented. Any type.
//   GATHER         params along `axis` by int32 indices (run-time values are
//                  range-checked in Eval); batch_dims 0. Any type.
//   SUM            float32 and int8 (any input and output quantization,
//                  TFLite's float rescale of the int32 sum); REDUCE_MAX
//                  float32 and int8 (same quantization in and out); axes
//                  constant, keep_dims.
//   L2_NORMALIZATION  float32 and int8 (output scale 1/128, zero point 0,
//                  as TFLite requires), over the last dim.
//   BATCH_MATMUL   float32 and int8 (per-tensor, TFLite's requantization),
//                  adj_x / adj_y, up to 3 broadcast batch dims.
// Ops that move values unchanged need a quantized input and output to share
// their quantization.
#include "src/lite/kernels/reference/slice_reduce.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "src/lite/kernels/kernel.h"
#include "src/lite/kernels/op_resolver.h"
#include "src/lite/quantization_util.h"
#include "src/lite/schema_util.h"

namespace edgepipe::lite {
namespace {

constexpr int kR = reference::kMaxSliceRank;

Status ExpectMovable(const KernelTensor& input, const KernelTensor& output) {
  if (TensorTypeSize(input.type) == 0) {
    return Status::Unimplemented("input '" + input.name + "' has type " +
                                 TensorTypeName(input.type));
  }
  RETURN_IF_ERROR(ExpectType(output, input.type, "output"));
  if (input.is_quantized() || output.is_quantized()) {
    RETURN_IF_ERROR(ExpectSameQuantization(input, output, "input", "output"));
  }
  if (input.dims.size() > static_cast<size_t>(kR)) {
    return Status::Unimplemented("input '" + input.name + "' has rank " +
                                 std::to_string(input.dims.size()) + ", at most 6 supported");
  }
  return Status::OK();
}

// A constant int32 vector of `n` entries (a scalar counts as 1 entry).
StatusOr<const int32_t*> ConstantIndices(const KernelTensor& t, const char* role, int64_t n) {
  RETURN_IF_ERROR(ExpectType(t, schema::TensorType_INT32, role));
  if (!t.is_constant) {
    return Status::Unimplemented(std::string(role) + " '" + t.name + "' must be a constant");
  }
  if (t.dims.size() > 1 || t.num_elements() != n) {
    return Status::InvalidArgument(std::string(role) + " '" + t.name + "' has shape " +
                                   DimsToString(t.dims) + ", expected [" + std::to_string(n) + "]");
  }
  return t.data_as<const int32_t>();
}

struct SliceData {
  reference::StridedSliceParams p;
  size_t elem;
};

Status FinishSlice(KernelContext& ctx, Node& node, const KernelTensor& input, const int64_t* start,
                   const int64_t* stride, const int64_t* count,
                   const std::vector<int32_t>& out_dims) {
  auto& d = node.op_data<SliceData>();
  d = {};
  const int rank = static_cast<int>(input.dims.size());
  const int pad = kR - rank;
  for (int k = 0; k < kR; ++k) {
    if (k < pad) {
      d.p.in_dims[k] = 1;
      d.p.start[k] = 0;
      d.p.stride[k] = 1;
      d.p.count[k] = 1;
    } else {
      d.p.in_dims[k] = input.dims[static_cast<size_t>(k - pad)];
      d.p.start[k] = start[k - pad];
      d.p.stride[k] = stride[k - pad];
      d.p.count[k] = count[k - pad];
    }
  }
  d.elem = TensorTypeSize(input.type);
  return ctx.SetOutputDims(node, 0, out_dims);
}

Status PrepareSlice(KernelContext& ctx, Node& node) {
  const KernelTensor& input = ctx.input(node, 0);
  RETURN_IF_ERROR(ExpectMovable(input, ctx.output(node, 0)));
  const int rank = static_cast<int>(input.dims.size());
  ASSIGN_OR_RETURN(const int32_t* begin, ConstantIndices(ctx.input(node, 1), "begin", rank));
  ASSIGN_OR_RETURN(const int32_t* size, ConstantIndices(ctx.input(node, 2), "size", rank));
  int64_t start[kR], stride[kR], count[kR];
  std::vector<int32_t> out_dims;
  for (int k = 0; k < rank; ++k) {
    const int64_t dim = input.dims[static_cast<size_t>(k)];
    const int64_t b = begin[k];
    const int64_t n = size[k] == -1 ? dim - b : size[k];
    if (b < 0 || b > dim || n < 0 || b + n > dim) {
      return Status::InvalidArgument("slice of dim " + std::to_string(k) + " (" +
                                     std::to_string(dim) + "): begin " + std::to_string(b) +
                                     ", size " + std::to_string(size[k]) + " out of range");
    }
    start[k] = b;
    stride[k] = 1;
    count[k] = n;
    out_dims.push_back(static_cast<int32_t>(n));
  }
  return FinishSlice(ctx, node, input, start, stride, count, out_dims);
}

Status PrepareStridedSlice(KernelContext& ctx, Node& node) {
  const KernelTensor& input = ctx.input(node, 0);
  RETURN_IF_ERROR(ExpectMovable(input, ctx.output(node, 0)));
  const int rank = static_cast<int>(input.dims.size());
  ASSIGN_OR_RETURN(const int32_t* begin, ConstantIndices(ctx.input(node, 1), "begin", rank));
  ASSIGN_OR_RETURN(const int32_t* end, ConstantIndices(ctx.input(node, 2), "end", rank));
  ASSIGN_OR_RETURN(const int32_t* strides, ConstantIndices(ctx.input(node, 3), "strides", rank));
  int begin_mask = 0, end_mask = 0, shrink_mask = 0;
  bool offset = false;
  if (const auto* o = node.op->builtin_options_as_StridedSliceOptions()) {
    if (o->ellipsis_mask() != 0 || o->new_axis_mask() != 0) {
      return Status::Unimplemented("STRIDED_SLICE with ellipsis_mask or new_axis_mask");
    }
    begin_mask = o->begin_mask();
    end_mask = o->end_mask();
    shrink_mask = o->shrink_axis_mask();
    offset = o->offset();
  }
  int64_t start[kR], stride[kR], count[kR];
  std::vector<int32_t> out_dims;
  for (int k = 0; k < rank; ++k) {
    const int64_t dim = input.dims[static_cast<size_t>(k)];
    const int64_t s = strides[k];
    if (s == 0) return Status::InvalidArgument("stride of dim " + std::to_string(k) + " is 0");
    const bool shrink = (shrink_mask >> k) & 1;
    // TFLite's StartForAxis / StopForAxis.
    auto clamp = [&](int64_t v) {
      if (v < 0) v += dim;
      return s > 0 ? std::clamp<int64_t>(v, 0, dim) : std::clamp<int64_t>(v, -1, dim - 1);
    };
    int64_t first;
    if ((begin_mask >> k) & 1) {
      first = s > 0 ? 0 : dim - 1;
    } else {
      first = clamp(begin[k]);
    }
    int64_t stop;
    if (shrink) {
      stop = first + 1;
    } else if ((end_mask >> k) & 1) {
      stop = s > 0 ? dim : -1;
    } else {
      stop = clamp(offset ? int64_t{begin[k]} + end[k] : int64_t{end[k]});
    }
    int64_t n = s > 0 ? (stop - first + s - 1) / s : (first - stop + (-s) - 1) / (-s);
    n = std::max<int64_t>(n, 0);
    if (shrink && (n != 1 || first < 0 || first >= dim)) {
      return Status::InvalidArgument("shrink_axis dim " + std::to_string(k) + " index " +
                                     std::to_string(begin[k]) + " out of range for size " +
                                     std::to_string(dim));
    }
    start[k] = first;
    stride[k] = s;
    count[k] = n;
    if (!shrink) out_dims.push_back(static_cast<int32_t>(n));
  }
  return FinishSlice(ctx, node, input, start, stride, count, out_dims);
}

Status EvalSlice(KernelContext& ctx, const Node& node) {
  const auto& d = node.op_data<SliceData>();
  if (ctx.output(node, 0).bytes == 0) return Status::OK();
  reference::StridedSlice(ctx.output(node, 0).data_as<uint8_t>(),
                          ctx.input(node, 0).data_as<const uint8_t>(), d.p, d.elem);
  return Status::OK();
}

struct GatherData {
  int64_t outer, axis_size, n_indices, inner;
  size_t elem;
};

Status PrepareGather(KernelContext& ctx, Node& node) {
  const KernelTensor& params = ctx.input(node, 0);
  const KernelTensor& indices = ctx.input(node, 1);
  RETURN_IF_ERROR(ExpectMovable(params, ctx.output(node, 0)));
  if (indices.type != schema::TensorType_INT32) {
    return Status::Unimplemented("indices '" + indices.name + "' are " +
                                 TensorTypeName(indices.type) + "; int32 supported");
  }
  int axis = 0;
  if (const auto* o = node.op->builtin_options_as_GatherOptions()) {
    if (o->batch_dims() != 0) return Status::Unimplemented("GATHER with batch_dims != 0");
    axis = o->axis();
  }
  const int rank = static_cast<int>(params.dims.size());
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) {
    return Status::InvalidArgument("axis out of range for params shape " +
                                   DimsToString(params.dims));
  }
  auto& d = node.op_data<GatherData>();
  d = {1, params.dims[static_cast<size_t>(axis)], indices.num_elements(), 1,
       TensorTypeSize(params.type)};
  std::vector<int32_t> out_dims;
  for (int k = 0; k < axis; ++k) {
    d.outer *= params.dims[static_cast<size_t>(k)];
    out_dims.push_back(params.dims[static_cast<size_t>(k)]);
  }
  out_dims.insert(out_dims.end(), indices.dims.begin(), indices.dims.end());
  for (int k = axis + 1; k < rank; ++k) {
    d.inner *= params.dims[static_cast<size_t>(k)];
    out_dims.push_back(params.dims[static_cast<size_t>(k)]);
  }
  return ctx.SetOutputDims(node, 0, std::move(out_dims));
}

Status EvalGather(KernelContext& ctx, const Node& node) {
  const auto& d = node.op_data<GatherData>();
  const int32_t* idx = ctx.input(node, 1).data_as<const int32_t>();
  // Indices are data (possibly computed at run time): an out-of-range one is
  // an error, as in TFLite, never a read outside params.
  for (int64_t i = 0; i < d.n_indices; ++i) {
    if (idx[i] < 0 || idx[i] >= d.axis_size) {
      return Status::InvalidArgument("gather index " + std::to_string(idx[i]) +
                                     " out of range [0, " + std::to_string(d.axis_size) + ")");
    }
  }
  reference::Gather(ctx.output(node, 0).data_as<uint8_t>(),
                    ctx.input(node, 0).data_as<const uint8_t>(), idx, d.outer, d.axis_size,
                    d.n_indices, d.inner, d.elem);
  return Status::OK();
}

struct ReduceData {
  int64_t in_dims[kR];
  bool reduce[kR];
  bool is_int8, is_max;
  reference::ReduceSumInt8Params sum_int8;
};

Status PrepareReduce(KernelContext& ctx, Node& node) {
  const KernelTensor& input = ctx.input(node, 0);
  const KernelTensor& axes = ctx.input(node, 1);
  const KernelTensor& output = ctx.output(node, 0);
  auto& d = node.op_data<ReduceData>();
  d = {};
  d.is_max = node.builtin_code == schema::BuiltinOperator_REDUCE_MAX;
  d.is_int8 = input.type == schema::TensorType_INT8;
  if (input.type != schema::TensorType_FLOAT32 && !d.is_int8) {
    return Status::Unimplemented("input '" + input.name + "' is " + TensorTypeName(input.type) +
                                 "; float32 or int8 supported");
  }
  RETURN_IF_ERROR(ExpectType(output, input.type, "output"));
  if (d.is_int8 && d.is_max) {
    RETURN_IF_ERROR(ExpectSameQuantization(input, output, "input", "output"));
  } else if (d.is_int8) {
    RETURN_IF_ERROR(ExpectPerTensorQuantized(input, "input"));
    RETURN_IF_ERROR(ExpectPerTensorQuantized(output, "output"));
    d.sum_int8 = {input.zero_point(), output.zero_point(), input.scale() / output.scale()};
  }
  const int rank = static_cast<int>(input.dims.size());
  if (rank > kR) return Status::Unimplemented("reduction beyond rank 6");
  ASSIGN_OR_RETURN(const int32_t* a, ConstantIndices(axes, "axes", axes.num_elements()));
  const int pad = kR - rank;
  for (int k = 0; k < kR; ++k)
    d.in_dims[k] = k < pad ? 1 : input.dims[static_cast<size_t>(k - pad)];
  for (int64_t i = 0; i < axes.num_elements(); ++i) {
    const int axis = a[i] < 0 ? a[i] + rank : a[i];
    if (axis < 0 || axis >= rank) {
      return Status::InvalidArgument("axis " + std::to_string(a[i]) + " out of range for rank " +
                                     std::to_string(rank));
    }
    d.reduce[pad + axis] = true;
  }
  bool keep_dims = false;
  if (const auto* o = node.op->builtin_options_as_ReducerOptions()) keep_dims = o->keep_dims();
  std::vector<int32_t> out_dims;
  for (int k = 0; k < rank; ++k) {
    if (!d.reduce[pad + k]) {
      out_dims.push_back(input.dims[static_cast<size_t>(k)]);
    } else if (keep_dims) {
      out_dims.push_back(1);
    }
  }
  if (d.is_int8 && !d.is_max) {
    int64_t n_out = 1;
    for (int32_t v : out_dims) n_out *= v;
    RETURN_IF_ERROR(ctx.RequestScratch(node, static_cast<size_t>(n_out) * sizeof(int32_t)));
  }
  return ctx.SetOutputDims(node, 0, std::move(out_dims));
}

Status EvalReduce(KernelContext& ctx, const Node& node) {
  const auto& d = node.op_data<ReduceData>();
  if (d.is_int8 && d.is_max) {
    reference::ReduceMaxInt8(ctx.output(node, 0).data_as<int8_t>(),
                             ctx.input(node, 0).data_as<const int8_t>(), d.in_dims, d.reduce);
  } else if (d.is_int8) {
    reference::ReduceSumInt8(
        ctx.output(node, 0).data_as<int8_t>(), static_cast<int32_t*>(ctx.scratch(node.scratch[0])),
        ctx.input(node, 0).data_as<const int8_t>(), d.in_dims, d.reduce, d.sum_int8);
  } else {
    reference::ReduceFloat(d.is_max ? reference::ReduceOp::kMax : reference::ReduceOp::kSum,
                           ctx.output(node, 0).data_as<float>(),
                           ctx.input(node, 0).data_as<const float>(), d.in_dims, d.reduce);
  }
  return Status::OK();
}

struct L2NormData {
  int64_t rows, depth;
  bool is_int8;
  int32_t input_zp;
};

Status PrepareL2Norm(KernelContext& ctx, Node& node) {
  const KernelTensor& input = ctx.input(node, 0);
  const KernelTensor& output = ctx.output(node, 0);
  if (input.type != schema::TensorType_FLOAT32 && input.type != schema::TensorType_INT8) {
    return Status::Unimplemented("input '" + input.name + "' is " + TensorTypeName(input.type) +
                                 "; float32 or int8 supported");
  }
  RETURN_IF_ERROR(ExpectType(output, input.type, "output"));
  if (input.dims.empty()) return Status::InvalidArgument("L2_NORMALIZATION of a scalar");
  auto& d = node.op_data<L2NormData>();
  d.is_int8 = input.type == schema::TensorType_INT8;
  if (d.is_int8) {
    RETURN_IF_ERROR(ExpectPerTensorQuantized(input, "input"));
    RETURN_IF_ERROR(ExpectPerTensorQuantized(output, "output"));
    if (output.scale() != 1.0f / 128 || output.zero_point() != 0) {
      return Status::InvalidArgument("int8 output '" + output.name + "' has scale " +
                                     std::to_string(output.scale()) + ", zero point " +
                                     std::to_string(output.zero_point()) +
                                     "; L2_NORMALIZATION needs scale 1/128, zero point 0");
    }
    d.input_zp = input.zero_point();
  }
  d.depth = input.dims.back();
  d.rows = d.depth == 0 ? 0 : input.num_elements() / d.depth;
  return ctx.SetOutputDims(node, 0, input.dims);
}

Status EvalL2Norm(KernelContext& ctx, const Node& node) {
  const auto& d = node.op_data<L2NormData>();
  if (d.is_int8) {
    reference::L2NormalizeInt8(ctx.output(node, 0).data_as<int8_t>(),
                               ctx.input(node, 0).data_as<const int8_t>(), d.rows, d.depth,
                               d.input_zp);
    return Status::OK();
  }
  reference::L2NormalizeFloat(ctx.output(node, 0).data_as<float>(),
                              ctx.input(node, 0).data_as<const float>(), d.rows, d.depth);
  return Status::OK();
}

struct BatchMatMulData {
  reference::BatchMatMulShape shape;
  bool is_int8;
  reference::BatchMatMulInt8Params int8;
};

Status PrepareBatchMatMul(KernelContext& ctx, Node& node) {
  const KernelTensor& lhs = ctx.input(node, 0);
  const KernelTensor& rhs = ctx.input(node, 1);
  const KernelTensor& output = ctx.output(node, 0);
  if (lhs.type != schema::TensorType_FLOAT32 && lhs.type != schema::TensorType_INT8) {
    return Status::Unimplemented("lhs '" + lhs.name + "' is " + TensorTypeName(lhs.type) +
                                 "; float32 or int8 supported");
  }
  RETURN_IF_ERROR(ExpectType(rhs, lhs.type, "rhs"));
  RETURN_IF_ERROR(ExpectType(output, lhs.type, "output"));
  auto& d = node.op_data<BatchMatMulData>();
  d = {};
  d.is_int8 = lhs.type == schema::TensorType_INT8;
  if (d.is_int8) {
    RETURN_IF_ERROR(ExpectPerTensorQuantized(lhs, "lhs"));
    RETURN_IF_ERROR(ExpectPerTensorQuantized(rhs, "rhs"));
    RETURN_IF_ERROR(ExpectPerTensorQuantized(output, "output"));
    d.int8 = {lhs.zero_point(), rhs.zero_point(), output.zero_point(), 0, 0};
    RETURN_IF_ERROR(
        QuantizePositiveMultiplier(static_cast<double>(lhs.scale()) * rhs.scale() / output.scale(),
                                   &d.int8.multiplier, &d.int8.shift));
  }
  const int lr = static_cast<int>(lhs.dims.size()), rr = static_cast<int>(rhs.dims.size());
  if (lr < 2 || rr < 2 || lr > 5 || rr > 5) {
    return Status::InvalidArgument("lhs " + DimsToString(lhs.dims) + " and rhs " +
                                   DimsToString(rhs.dims) + " must have rank 2 to 5");
  }
  auto& s = d.shape;
  if (const auto* o = node.op->builtin_options_as_BatchMatMulOptions()) {
    s.adj_x = o->adj_x();
    s.adj_y = o->adj_y();
  }
  const int64_t l0 = lhs.dims[static_cast<size_t>(lr - 2)],
                l1 = lhs.dims[static_cast<size_t>(lr - 1)];
  const int64_t r0 = rhs.dims[static_cast<size_t>(rr - 2)],
                r1 = rhs.dims[static_cast<size_t>(rr - 1)];
  s.rows = s.adj_x ? l1 : l0;
  s.inner = s.adj_x ? l0 : l1;
  const int64_t rhs_inner = s.adj_y ? r1 : r0;
  s.cols = s.adj_y ? r0 : r1;
  if (rhs_inner != s.inner) {
    return Status::InvalidArgument("lhs " + DimsToString(lhs.dims) + " and rhs " +
                                   DimsToString(rhs.dims) + " do not agree on the inner dim");
  }
  // Batch dims, right-aligned into 3 slots, broadcast.
  std::vector<int32_t> out_dims;
  int64_t lstride = l0 * l1, rstride = r0 * r1;
  for (int k = 2; k >= 0; --k) {
    const int li = lr - 3 - (2 - k), ri = rr - 3 - (2 - k);
    const int64_t lb = li >= 0 ? lhs.dims[static_cast<size_t>(li)] : 1;
    const int64_t rb = ri >= 0 ? rhs.dims[static_cast<size_t>(ri)] : 1;
    if (lb != rb && lb != 1 && rb != 1) {
      return Status::InvalidArgument("batch dims of lhs " + DimsToString(lhs.dims) + " and rhs " +
                                     DimsToString(rhs.dims) + " do not broadcast");
    }
    s.batch[k] = std::max(lb, rb);
    s.lhs_batch_stride[k] = lb == 1 ? 0 : lstride;
    s.rhs_batch_stride[k] = rb == 1 ? 0 : rstride;
    lstride *= lb;
    rstride *= rb;
  }
  const int batch_rank = std::max(lr, rr) - 2;
  for (int k = 3 - batch_rank; k < 3; ++k) out_dims.push_back(static_cast<int32_t>(s.batch[k]));
  out_dims.push_back(static_cast<int32_t>(s.rows));
  out_dims.push_back(static_cast<int32_t>(s.cols));
  return ctx.SetOutputDims(node, 0, std::move(out_dims));
}

Status EvalBatchMatMul(KernelContext& ctx, const Node& node) {
  const auto& d = node.op_data<BatchMatMulData>();
  if (d.is_int8) {
    reference::BatchMatMulInt8(ctx.output(node, 0).data_as<int8_t>(),
                               ctx.input(node, 0).data_as<const int8_t>(),
                               ctx.input(node, 1).data_as<const int8_t>(), d.shape, d.int8);
  } else {
    reference::BatchMatMulFloat(ctx.output(node, 0).data_as<float>(),
                                ctx.input(node, 0).data_as<const float>(),
                                ctx.input(node, 1).data_as<const float>(), d.shape);
  }
  return Status::OK();
}

}  // namespace

const OpRegistration* RegisterSlice() {
  static const OpRegistration reg{
      schema::BuiltinOperator_SLICE, "SLICE", 3, 3, 1, PrepareSlice, EvalSlice};
  return &reg;
}
const OpRegistration* RegisterStridedSlice() {
  static const OpRegistration reg{schema::BuiltinOperator_STRIDED_SLICE,
                                  "STRIDED_SLICE",
                                  4,
                                  4,
                                  1,
                                  PrepareStridedSlice,
                                  EvalSlice};
  return &reg;
}
const OpRegistration* RegisterGather() {
  static const OpRegistration reg{
      schema::BuiltinOperator_GATHER, "GATHER", 2, 2, 1, PrepareGather, EvalGather};
  return &reg;
}
const OpRegistration* RegisterSum() {
  static const OpRegistration reg{
      schema::BuiltinOperator_SUM, "SUM", 2, 2, 1, PrepareReduce, EvalReduce};
  return &reg;
}
const OpRegistration* RegisterReduceMax() {
  static const OpRegistration reg{
      schema::BuiltinOperator_REDUCE_MAX, "REDUCE_MAX", 2, 2, 1, PrepareReduce, EvalReduce};
  return &reg;
}
const OpRegistration* RegisterL2Normalization() {
  static const OpRegistration reg{schema::BuiltinOperator_L2_NORMALIZATION,
                                  "L2_NORMALIZATION",
                                  1,
                                  1,
                                  1,
                                  PrepareL2Norm,
                                  EvalL2Norm};
  return &reg;
}
const OpRegistration* RegisterBatchMatMul() {
  static const OpRegistration reg{schema::BuiltinOperator_BATCH_MATMUL,
                                  "BATCH_MATMUL",
                                  2,
                                  2,
                                  1,
                                  PrepareBatchMatMul,
                                  EvalBatchMatMul};
  return &reg;
}

}  // namespace edgepipe::lite
