// RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR: input 0 NHWC float32 or int8,
// input 1 the constant int32 output size [new_height, new_width]; options
// align_corners and half_pixel_centers (not both: TFLite refuses that too).
// int8 moves values without rescaling, so input and output must share their
// quantization. Prepare plans the per-axis taps once (optimized/resize.h);
// Eval runs the planned kernels, bit-identical to the reference ones.
#include "src/lite/kernels/optimized/resize.h"

#include <string>

#include "src/lite/kernels/kernel.h"
#include "src/lite/kernels/op_resolver.h"
#include "src/lite/kernels/parallel_bands.h"
#include "src/lite/kernels/reference/resize.h"
#include "src/lite/schema_util.h"

namespace edgepipe::lite {
namespace {

struct ResizeData {
  reference::ResizeShape shape;
  bool is_int8;
  size_t elem;
};

Status PrepareResize(KernelContext& ctx, Node& node, bool bilinear, bool align_corners,
                     bool half_pixel_centers) {
  const KernelTensor& input = ctx.input(node, 0);
  const KernelTensor& size = ctx.input(node, 1);
  const KernelTensor& output = ctx.output(node, 0);
  auto& d = node.op_data<ResizeData>();
  d = {};
  if (input.type != schema::TensorType_FLOAT32 && input.type != schema::TensorType_INT8) {
    return Status::InvalidArgument("input '" + input.name + "' is " + TensorTypeName(input.type) +
                                   ", expected float32 or int8");
  }
  RETURN_IF_ERROR(ExpectType(output, input.type, "output"));
  RETURN_IF_ERROR(ExpectRank(input, 4, "input"));
  if (input.type == schema::TensorType_INT8) {
    RETURN_IF_ERROR(ExpectSameQuantization(input, output, "input", "output"));
  }
  RETURN_IF_ERROR(ExpectType(size, schema::TensorType_INT32, "size"));
  if (size.num_elements() != 2 || size.dims.size() != 1) {
    return Status::InvalidArgument("size '" + size.name + "' has shape " + DimsToString(size.dims) +
                                   ", expected [2]");
  }
  if (!size.is_constant) {
    return Status::Unimplemented("size '" + size.name +
                                 "' is computed at run time; only a constant size is supported");
  }
  if (align_corners && half_pixel_centers) {
    return Status::InvalidArgument("align_corners and half_pixel_centers are both set");
  }
  const int32_t* hw = size.data_as<const int32_t>();
  if (hw[0] < 1 || hw[1] < 1) {
    return Status::InvalidArgument("output size [" + std::to_string(hw[0]) + "," +
                                   std::to_string(hw[1]) + "] must be positive");
  }
  if (input.dims[1] < 1 || input.dims[2] < 1) {
    return Status::InvalidArgument("input '" + input.name + "' has shape " +
                                   DimsToString(input.dims) + ": nothing to resize from");
  }
  // The int8 kernel forms (1 << 10) · size and value · scale in int32.
  if (hw[0] > (1 << 20) || hw[1] > (1 << 20) || input.dims[1] > (1 << 20) ||
      input.dims[2] > (1 << 20)) {
    return Status::InvalidArgument("resize from " + DimsToString(input.dims) + " to [" +
                                   std::to_string(hw[0]) + "," + std::to_string(hw[1]) +
                                   "] exceeds 2^20 rows or columns");
  }
  d.shape = {input.dims[0], input.dims[1], input.dims[2], hw[0],
             hw[1],         input.dims[3], align_corners, half_pixel_centers};
  d.is_int8 = input.type == schema::TensorType_INT8;
  d.elem = TensorTypeSize(input.type);
  const optimized::ResizeKind kind = !bilinear   ? optimized::ResizeKind::kNearest
                                     : d.is_int8 ? optimized::ResizeKind::kBilinearInt8
                                                 : optimized::ResizeKind::kBilinearFloat;
  node.params_i32.assign(optimized::ResizePlanInts(kind, d.shape), 0);
  node.params_f32.assign(optimized::ResizePlanFloats(kind, d.shape), 0.0f);
  optimized::PlanResize(kind, d.shape, node.params_i32.data(),
                        node.params_f32.empty() ? nullptr : node.params_f32.data());
  if (kind == optimized::ResizeKind::kBilinearInt8) {
    RETURN_IF_ERROR(ctx.RequestScratch(
        node,
        static_cast<size_t>(optimized::ResizeInt8ScratchElements(d.shape)) * sizeof(int32_t)));
  }
  return ctx.SetOutputDims(node, 0, {input.dims[0], hw[0], hw[1], input.dims[3]});
}

Status PrepareBilinear(KernelContext& ctx, Node& node) {
  bool align = false, half = false;
  if (const auto* o = node.op->builtin_options_as_ResizeBilinearOptions()) {
    align = o->align_corners();
    half = o->half_pixel_centers();
  }
  return PrepareResize(ctx, node, /*bilinear=*/true, align, half);
}

Status EvalBilinear(KernelContext& ctx, const Node& node) {
  const auto& d = node.op_data<ResizeData>();
  if (d.is_int8) {
    optimized::ResizeBilinearInt8(
        ctx.output(node, 0).data_as<int8_t>(), ctx.input(node, 0).data_as<const int8_t>(), d.shape,
        node.params_i32.data(), static_cast<int32_t*>(ctx.scratch(node.scratch[0])));
  } else {
    // Output rows over the pool; ~6 of ChunksFor's units per output value
    // (four loads, a few multiply-adds, memory-bound on large images).
    float* out = ctx.output(node, 0).data_as<float>();
    const float* in = ctx.input(node, 0).data_as<const float>();
    ForEachRange(ctx, int64_t{d.shape.batches} * d.shape.out_h,
                 6 * int64_t{d.shape.out_w} * d.shape.depth, 1, [&](int64_t r0, int64_t r1) {
                   optimized::ResizeBilinearFloatRows(out, in, d.shape, node.params_i32.data(),
                                                      node.params_f32.data(), r0, r1);
                 });
  }
  return Status::OK();
}

Status PrepareNearest(KernelContext& ctx, Node& node) {
  bool align = false, half = false;
  if (const auto* o = node.op->builtin_options_as_ResizeNearestNeighborOptions()) {
    align = o->align_corners();
    half = o->half_pixel_centers();
  }
  return PrepareResize(ctx, node, /*bilinear=*/false, align, half);
}

Status EvalNearest(KernelContext& ctx, const Node& node) {
  const auto& d = node.op_data<ResizeData>();
  optimized::ResizeNearestNeighbor(ctx.output(node, 0).data_as<uint8_t>(),
                                   ctx.input(node, 0).data_as<const uint8_t>(), d.shape, d.elem,
                                   node.params_i32.data());
  return Status::OK();
}

}  // namespace

const OpRegistration* RegisterResizeBilinear() {
  static const OpRegistration reg{schema::BuiltinOperator_RESIZE_BILINEAR,
                                  "RESIZE_BILINEAR",
                                  2,
                                  2,
                                  1,
                                  PrepareBilinear,
                                  EvalBilinear};
  return &reg;
}
const OpRegistration* RegisterResizeNearestNeighbor() {
  static const OpRegistration reg{schema::BuiltinOperator_RESIZE_NEAREST_NEIGHBOR,
                                  "RESIZE_NEAREST_NEIGHBOR",
                                  2,
                                  2,
                                  1,
                                  PrepareNearest,
                                  EvalNearest};
  return &reg;
}

}  // namespace edgepipe::lite
