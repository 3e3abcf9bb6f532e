#include "src/lite/kernels/kernel.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string_view>

#include "src/core/parallel.h"
#include "src/lite/quantization_util.h"
#include "src/lite/schema_util.h"

namespace edgepipe::lite {

int64_t KernelContext::ChunksFor(int64_t items, int64_t cost_per_item) {
  ThreadPool* pool = thread_pool();
  if (pool == nullptr) return items > 0 ? 1 : 0;
  return pool->ChunksFor(items, cost_per_item);
}

Status ExpectType(const KernelTensor& t, schema::TensorType type, const char* role) {
  if (t.type == type) return Status::OK();
  return Status::InvalidArgument(std::string(role) + " '" + t.name + "' is " +
                                 TensorTypeName(t.type) + ", expected " + TensorTypeName(type));
}

StatusOr<WeightedMode> SelectWeightedMode(const KernelTensor& input, const KernelTensor& weights,
                                          const char* weights_role) {
  using schema::TensorType_FLOAT32;
  using schema::TensorType_INT8;
  if (input.type == TensorType_FLOAT32 && weights.type == TensorType_FLOAT32) {
    return WeightedMode::kFloat;
  }
  if (weights.type == TensorType_INT8 && !weights.is_constant &&
      (input.type == TensorType_INT8 || input.type == TensorType_FLOAT32)) {
    // Prepare packs int8 weights (PackInt8Weights, PackDepthwiseInt8Filter):
    // an arena tensor has no data yet then, and could change after packing.
    // TFLite can run some of these; not supported here (as PAD's paddings).
    return Status::Unimplemented(std::string(weights_role) + " '" + weights.name +
                                 "' is int8 and must be a constant tensor (packed at load)");
  }
  if (input.type == TensorType_INT8 && weights.type == TensorType_INT8) return WeightedMode::kInt8;
  if (input.type == TensorType_FLOAT32 && weights.type == TensorType_INT8) {
    RETURN_IF_ERROR(ExpectFiniteIfConstant(input, "input"));
    return WeightedMode::kHybrid;
  }
  const bool plural = std::string_view(weights_role) == "weights";
  return Status::InvalidArgument("input '" + input.name + "' is " + TensorTypeName(input.type) +
                                 " and " + weights_role + " '" + weights.name + "' " +
                                 (plural ? "are " : "is ") + TensorTypeName(weights.type) +
                                 "; supported: float32/float32, int8/int8, float32/int8 (hybrid)");
}

Status HybridWeightScales(const KernelTensor& weights, const char* weights_role, int64_t channels,
                          std::vector<float>* scales, bool* per_channel) {
  const size_t n = weights.scales.size();
  const bool plural = std::string_view(weights_role) == "weights";
  const std::string what = std::string(weights_role) + " '" + weights.name + "' (int8, hybrid)";
  if (n != 1 && n != static_cast<size_t>(channels)) {
    return Status::InvalidArgument(what + (plural ? " have " : " has ") + std::to_string(n) +
                                   " scales, expected 1 or " + std::to_string(channels));
  }
  for (size_t k = 0; k < n; ++k) {
    if (!(weights.scales[k] > 0.0f) || weights.zero_points[k] != 0) {
      return Status::InvalidArgument(what + (plural ? " need" : " needs") +
                                     " scales > 0 and zero points 0 (symmetric)");
    }
  }
  *per_channel = n > 1;
  if (*per_channel) {
    scales->assign(weights.scales.begin(), weights.scales.end());
  } else {
    scales->assign(static_cast<size_t>(channels), weights.scales[0]);
  }
  return Status::OK();
}

Status RequestHybridInputScratch(KernelContext& ctx, Node& node, int64_t rows,
                                 int64_t row_elements) {
  RETURN_IF_ERROR(ctx.RequestScratch(node, static_cast<size_t>(rows * row_elements)));
  RETURN_IF_ERROR(ctx.RequestScratch(node, static_cast<size_t>(rows) * sizeof(float)));
  return ctx.RequestScratch(node, static_cast<size_t>(rows) * sizeof(int32_t));
}

HybridInput QuantizeHybridInput(KernelContext& ctx, const Node& node, int first, const float* in,
                                int64_t rows, int64_t row_elements, bool asymmetric) {
  const auto id = [&](int i) { return node.scratch[static_cast<size_t>(first + i)]; };
  const HybridInput h{static_cast<int8_t*>(ctx.scratch(id(0))),
                      static_cast<float*>(ctx.scratch(id(1))),
                      static_cast<int32_t*>(ctx.scratch(id(2)))};
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = in + r * row_elements;
    int8_t* q = h.q + r * row_elements;
    if (asymmetric) {
      AsymmetricQuantizeFloats(q, x, row_elements, &h.scales[r], &h.offsets[r]);
    } else {
      SymmetricQuantizeFloats(q, x, row_elements, &h.scales[r]);
      h.offsets[r] = 0;
    }
  }
  return h;
}

Status ExpectRank(const KernelTensor& t, int rank, const char* role) {
  if (static_cast<int>(t.dims.size()) == rank) return Status::OK();
  return Status::InvalidArgument(std::string(role) + " '" + t.name + "' has shape " +
                                 DimsToString(t.dims) + ", expected rank " + std::to_string(rank));
}

Status ActivationRange(schema::ActivationFunctionType act, float* min, float* max) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  switch (act) {
    case schema::ActivationFunctionType_NONE:
      *min = -kInf;
      *max = kInf;
      return Status::OK();
    case schema::ActivationFunctionType_RELU:
      *min = 0.0f;
      *max = kInf;
      return Status::OK();
    case schema::ActivationFunctionType_RELU_N1_TO_1:
      *min = -1.0f;
      *max = 1.0f;
      return Status::OK();
    case schema::ActivationFunctionType_RELU6:
      *min = 0.0f;
      *max = 6.0f;
      return Status::OK();
    default:
      return Status::Unimplemented("fused activation " + std::to_string(static_cast<int>(act)) +
                                   " is not supported (NONE, RELU, RELU_N1_TO_1, RELU6 are)");
  }
}

Status ExpectPerTensorQuantized(const KernelTensor& t, const char* role) {
  if (t.scales.size() != 1 || t.zero_points.size() != 1) {
    return Status::InvalidArgument(std::string(role) + " '" + t.name + "' (" +
                                   TensorTypeName(t.type) + ") needs per-tensor quantization (" +
                                   "1 scale and 1 zero point), has " +
                                   std::to_string(t.scales.size()) + " scales");
  }
  const float s = t.scales[0];
  if (!(s > 0.0f) || !std::isfinite(s)) {
    return Status::InvalidArgument(std::string(role) + " '" + t.name + "' has scale " +
                                   std::to_string(s) + ", expected a finite value > 0");
  }
  int32_t lo = 0, hi = 0;
  if (t.type == schema::TensorType_INT8) {
    lo = -128;
    hi = 127;
  } else if (t.type == schema::TensorType_UINT8) {
    lo = 0;
    hi = 255;
  } else if (t.type == schema::TensorType_INT16 || t.type == schema::TensorType_INT32) {
    lo = hi = 0;  // symmetric types
  }
  if (t.zero_points[0] < lo || t.zero_points[0] > hi) {
    return Status::InvalidArgument(std::string(role) + " '" + t.name + "' has zero point " +
                                   std::to_string(t.zero_points[0]) + ", expected [" +
                                   std::to_string(lo) + ", " + std::to_string(hi) + "] for " +
                                   TensorTypeName(t.type));
  }
  return Status::OK();
}

Status ExpectSameQuantization(const KernelTensor& a, const KernelTensor& b, const char* role_a,
                              const char* role_b) {
  RETURN_IF_ERROR(ExpectPerTensorQuantized(a, role_a));
  RETURN_IF_ERROR(ExpectPerTensorQuantized(b, role_b));
  if (a.scale() != b.scale() || a.zero_point() != b.zero_point()) {
    return Status::InvalidArgument(
        std::string(role_a) + " '" + a.name + "' (scale " + std::to_string(a.scale()) +
        ", zero point " + std::to_string(a.zero_point()) + ") and " + role_b + " '" + b.name +
        "' (scale " + std::to_string(b.scale()) + ", zero point " + std::to_string(b.zero_point()) +
        ") must have the same quantization");
  }
  return Status::OK();
}

Status ExpectFiniteIfConstant(const KernelTensor& t, const char* role) {
  if (!t.is_constant || t.type != schema::TensorType_FLOAT32 || t.data == nullptr) {
    return Status::OK();
  }
  const auto* v = t.data_as<const float>();
  const int64_t n = t.num_elements();
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(v[i])) {
      return Status::InvalidArgument(std::string(role) + " '" + t.name + "' (constant) element " +
                                     std::to_string(i) + " is " + std::to_string(v[i]) +
                                     ", expected a finite value to quantize");
    }
  }
  return Status::OK();
}

Status ComputeChannelMultipliers(const KernelTensor& input, const KernelTensor& filter,
                                 const KernelTensor* bias, const KernelTensor& output, int channels,
                                 Node& node) {
  RETURN_IF_ERROR(ExpectPerTensorQuantized(input, "input"));
  RETURN_IF_ERROR(ExpectPerTensorQuantized(output, "output"));
  const size_t n_scales = filter.scales.size();
  if (n_scales != 1 && n_scales != static_cast<size_t>(channels)) {
    return Status::InvalidArgument("filter '" + filter.name + "' has " + std::to_string(n_scales) +
                                   " scales, expected 1 or " + std::to_string(channels) +
                                   " (one per output channel)");
  }
  for (size_t k = 0; k < n_scales; ++k) {
    if (!(filter.scales[k] > 0.0f) || !std::isfinite(filter.scales[k]) ||
        filter.zero_points[k] != 0) {
      return Status::InvalidArgument("filter '" + filter.name + "' channel " + std::to_string(k) +
                                     ": scale " + std::to_string(filter.scales[k]) +
                                     ", zero point " + std::to_string(filter.zero_points[k]) +
                                     "; expected scale > 0 and zero point 0 (symmetric)");
    }
  }
  if (bias != nullptr) {
    RETURN_IF_ERROR(ExpectType(*bias, schema::TensorType_INT32, "bias"));
    if (bias->num_elements() != channels) {
      return Status::InvalidArgument("bias '" + bias->name + "' has shape " +
                                     DimsToString(bias->dims) + ", expected [" +
                                     std::to_string(channels) + "]");
    }
  }
  node.params_i32.assign(2 * static_cast<size_t>(channels), 0);
  for (int c = 0; c < channels; ++c) {
    const double filter_scale = filter.scales[n_scales == 1 ? 0 : static_cast<size_t>(c)];
    const double real =
        static_cast<double>(input.scale()) * filter_scale / static_cast<double>(output.scale());
    int shift = 0;
    RETURN_IF_ERROR(
        QuantizePositiveMultiplier(real, &node.params_i32[static_cast<size_t>(c)], &shift));
    node.params_i32[static_cast<size_t>(channels + c)] = shift;
  }
  return Status::OK();
}

Status ComputeSpatialPadding(schema::Padding padding, int in_size, int filter_size, int stride,
                             int dilation, const char* what, SpatialPadding* out) {
  if (stride < 1 || dilation < 1 || filter_size < 1) {
    return Status::InvalidArgument(std::string(what) + ": stride " + std::to_string(stride) +
                                   ", dilation " + std::to_string(dilation) + ", filter " +
                                   std::to_string(filter_size) + " must all be >= 1");
  }
  const int64_t effective = static_cast<int64_t>(filter_size - 1) * dilation + 1;
  int64_t out_size;
  if (padding == schema::Padding_SAME) {
    out_size = (static_cast<int64_t>(in_size) + stride - 1) / stride;
  } else if (padding == schema::Padding_VALID) {
    out_size = (static_cast<int64_t>(in_size) - effective + stride) / stride;
  } else {
    return Status::InvalidArgument(std::string(what) + ": padding " +
                                   std::to_string(static_cast<int>(padding)) +
                                   " is not SAME (0) or VALID (1)");
  }
  if (out_size < 0) out_size = 0;
  // TFLite: total padding split in two, the odd row/col going after.
  const int64_t total = std::max<int64_t>(0, (out_size - 1) * stride + effective - in_size);
  // The kernels compute window positions (out · stride - pad + tap ·
  // dilation) in int, as TFLite does; a huge dilation or filter would
  // overflow there (undefined behaviour), so such geometry is refused here.
  constexpr int64_t kIntMax = std::numeric_limits<int>::max();
  const int64_t last_end = std::max<int64_t>(out_size - 1, 0) * stride - total / 2 + effective;
  if (effective > kIntMax || last_end > kIntMax) {
    return Status::InvalidArgument(std::string(what) + ": filter " + std::to_string(filter_size) +
                                   " with dilation " + std::to_string(dilation) + " and stride " +
                                   std::to_string(stride) + " reaches input position " +
                                   std::to_string(std::max(effective, last_end)) +
                                   ", beyond int32");
  }
  out->out_size = static_cast<int>(out_size);
  out->pad_before = static_cast<int>(total / 2);
  return Status::OK();
}

}  // namespace edgepipe::lite
