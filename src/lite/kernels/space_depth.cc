// DEPTH_TO_SPACE and SPACE_TO_DEPTH: NHWC float32 or int8 (values move
// unchanged, so an int8 input and output share quantization), block_size
// >= 1 from the options. DEPTH_TO_SPACE needs depth divisible by block²,
// SPACE_TO_DEPTH height and width divisible by block (TFLite's checks).
#include <limits>
#include <string>

#include "src/lite/kernels/kernel.h"
#include "src/lite/kernels/op_resolver.h"
#include "src/lite/kernels/reference/resize.h"
#include "src/lite/schema_util.h"

namespace edgepipe::lite {
namespace {

struct BlockData {
  int32_t batches, height, width, depth, block;
  size_t elem;
};

Status PrepareCommon(KernelContext& ctx, Node& node, int32_t block) {
  const KernelTensor& input = ctx.input(node, 0);
  const KernelTensor& output = ctx.output(node, 0);
  if (input.type != schema::TensorType_FLOAT32 && input.type != schema::TensorType_INT8) {
    return Status::InvalidArgument("input '" + input.name + "' is " + TensorTypeName(input.type) +
                                   ", expected float32 or int8");
  }
  RETURN_IF_ERROR(ExpectType(output, input.type, "output"));
  RETURN_IF_ERROR(ExpectRank(input, 4, "input"));
  if (input.type == schema::TensorType_INT8) {
    RETURN_IF_ERROR(ExpectSameQuantization(input, output, "input", "output"));
  }
  // Larger blocks would overflow block² and the output dims in int32.
  if (block < 1 || block > (1 << 15)) {
    return Status::InvalidArgument("block_size " + std::to_string(block) +
                                   " out of range [1, 32768]");
  }
  auto& d = node.op_data<BlockData>();
  d = {input.dims[0], input.dims[1], input.dims[2],
       input.dims[3], block,         TensorTypeSize(input.type)};
  return Status::OK();
}

Status PrepareDepthToSpace(KernelContext& ctx, Node& node) {
  const auto* o = node.op->builtin_options_as_DepthToSpaceOptions();
  RETURN_IF_ERROR(PrepareCommon(ctx, node, o ? o->block_size() : 0));
  const auto& d = node.op_data<BlockData>();
  const int64_t bb = int64_t{d.block} * d.block;
  if (d.depth % bb != 0) {
    return Status::InvalidArgument("input depth " + std::to_string(d.depth) +
                                   " is not divisible by block_size² (" + std::to_string(bb) + ")");
  }
  const int64_t h = int64_t{d.height} * d.block, w = int64_t{d.width} * d.block;
  if (h > std::numeric_limits<int32_t>::max() || w > std::numeric_limits<int32_t>::max()) {
    return Status::InvalidArgument("output spatial size overflows int32");
  }
  return ctx.SetOutputDims(node, 0,
                           {d.batches, static_cast<int32_t>(h), static_cast<int32_t>(w),
                            static_cast<int32_t>(d.depth / bb)});
}

Status EvalDepthToSpace(KernelContext& ctx, const Node& node) {
  const auto& d = node.op_data<BlockData>();
  reference::DepthToSpace(ctx.output(node, 0).data_as<uint8_t>(),
                          ctx.input(node, 0).data_as<const uint8_t>(), d.batches, d.height, d.width,
                          d.depth, d.block, d.elem);
  return Status::OK();
}

Status PrepareSpaceToDepth(KernelContext& ctx, Node& node) {
  const auto* o = node.op->builtin_options_as_SpaceToDepthOptions();
  RETURN_IF_ERROR(PrepareCommon(ctx, node, o ? o->block_size() : 0));
  const auto& d = node.op_data<BlockData>();
  if (d.height % d.block != 0 || d.width % d.block != 0) {
    return Status::InvalidArgument("input height " + std::to_string(d.height) + " and width " +
                                   std::to_string(d.width) + " must be divisible by block_size " +
                                   std::to_string(d.block));
  }
  const int64_t depth = int64_t{d.depth} * d.block * d.block;
  if (depth > std::numeric_limits<int32_t>::max()) {
    return Status::InvalidArgument("output depth overflows int32");
  }
  return ctx.SetOutputDims(
      node, 0, {d.batches, d.height / d.block, d.width / d.block, static_cast<int32_t>(depth)});
}

Status EvalSpaceToDepth(KernelContext& ctx, const Node& node) {
  const auto& d = node.op_data<BlockData>();
  reference::SpaceToDepth(ctx.output(node, 0).data_as<uint8_t>(),
                          ctx.input(node, 0).data_as<const uint8_t>(), d.batches, d.height, d.width,
                          d.depth, d.block, d.elem);
  return Status::OK();
}

}  // namespace

const OpRegistration* RegisterDepthToSpace() {
  static const OpRegistration reg{schema::BuiltinOperator_DEPTH_TO_SPACE,
                                  "DEPTH_TO_SPACE",
                                  1,
                                  1,
                                  1,
                                  PrepareDepthToSpace,
                                  EvalDepthToSpace};
  return &reg;
}
const OpRegistration* RegisterSpaceToDepth() {
  static const OpRegistration reg{schema::BuiltinOperator_SPACE_TO_DEPTH,
                                  "SPACE_TO_DEPTH",
                                  1,
                                  1,
                                  1,
                                  PrepareSpaceToDepth,
                                  EvalSpaceToDepth};
  return &reg;
}

}  // namespace edgepipe::lite
