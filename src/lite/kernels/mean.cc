// MEAN over the spatial dims of an NHWC tensor: input 0 [N, H, W, C], input 1
// the constant int32 axes {1, 2} (either order); keep_dims gives
// [N, 1, 1, C], otherwise [N, C]. float32 and int8 (TFLite's integer mean:
// rescale by input_scale / output_scale, then a rounding division by H·W).
// Other axes are Unimplemented (the converter emits only this form).
#include <string>

#include "src/lite/kernels/kernel.h"
#include "src/lite/kernels/op_resolver.h"
#include "src/lite/kernels/reference/pooling.h"
#include "src/lite/quantization_util.h"
#include "src/lite/schema_util.h"

namespace edgepipe::lite {
namespace {

struct MeanData {
  int batch, h, w, c;
  bool is_int8;
  int32_t input_zp, output_zp, multiplier;
  int shift;
};

Status Prepare(KernelContext& ctx, Node& node) {
  const KernelTensor& input = ctx.input(node, 0);
  const KernelTensor& axes = ctx.input(node, 1);
  const KernelTensor& output = ctx.output(node, 0);
  auto& d = node.op_data<MeanData>();
  d = {};
  if (input.type != schema::TensorType_FLOAT32 && input.type != schema::TensorType_INT8) {
    return Status::InvalidArgument("input '" + input.name + "' is " + TensorTypeName(input.type) +
                                   ", expected float32 or int8");
  }
  RETURN_IF_ERROR(ExpectType(output, input.type, "output"));
  RETURN_IF_ERROR(ExpectRank(input, 4, "input"));
  RETURN_IF_ERROR(ExpectType(axes, schema::TensorType_INT32, "axes"));
  if (!axes.is_constant) {
    return Status::Unimplemented("axes '" + axes.name + "' must be a constant");
  }
  const int64_t n_axes = axes.num_elements();
  const int32_t* a = axes.data_as<const int32_t>();
  auto norm = [](int32_t x) { return x < 0 ? x + 4 : x; };
  if (n_axes != 2 ||
      !((norm(a[0]) == 1 && norm(a[1]) == 2) || (norm(a[0]) == 2 && norm(a[1]) == 1))) {
    return Status::Unimplemented("MEAN over axes other than {1, 2} of an NHWC tensor");
  }
  d.batch = input.dims[0];
  d.h = input.dims[1];
  d.w = input.dims[2];
  d.c = input.dims[3];
  if (d.h * d.w == 0) return Status::InvalidArgument("MEAN over an empty H x W");
  bool keep_dims = false;
  if (const auto* opts = node.op->builtin_options_as_ReducerOptions())
    keep_dims = opts->keep_dims();
  d.is_int8 = input.type == schema::TensorType_INT8;
  if (d.is_int8) {
    RETURN_IF_ERROR(ExpectPerTensorQuantized(input, "input"));
    RETURN_IF_ERROR(ExpectPerTensorQuantized(output, "output"));
    d.input_zp = input.zero_point();
    d.output_zp = output.zero_point();
    RETURN_IF_ERROR(QuantizePositiveMultiplier(
        static_cast<double>(input.scale()) / static_cast<double>(output.scale()), &d.multiplier,
        &d.shift));
  }
  if (keep_dims) return ctx.SetOutputDims(node, 0, {d.batch, 1, 1, d.c});
  return ctx.SetOutputDims(node, 0, {d.batch, d.c});
}

Status Eval(KernelContext& ctx, const Node& node) {
  const auto& d = node.op_data<MeanData>();
  if (d.is_int8) {
    reference::MeanHwInt8(ctx.output(node, 0).data_as<int8_t>(),
                          ctx.input(node, 0).data_as<const int8_t>(), d.batch, d.h, d.w, d.c,
                          d.input_zp, d.output_zp, d.multiplier, d.shift);
  } else {
    reference::MeanHwFloat(ctx.output(node, 0).data_as<float>(),
                           ctx.input(node, 0).data_as<const float>(), d.batch, d.h, d.w, d.c);
  }
  return Status::OK();
}

}  // namespace

const OpRegistration* RegisterMean() {
  static const OpRegistration reg{schema::BuiltinOperator_MEAN, "MEAN", 2, 2, 1, Prepare, Eval};
  return &reg;
}

}  // namespace edgepipe::lite
