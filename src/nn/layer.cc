#include "src/nn/layer.h"

#include <cstring>

#include "src/nn/kernels/activations.h"

namespace edgepipe::nn {

const char* ActivationName(Activation activation) {
  return kernels::ActivationKindName(static_cast<kernels::ActivationKind>(activation));
}

StatusOr<Activation> ParseActivation(std::string_view name) {
  ASSIGN_OR_RETURN(kernels::ActivationKind kind, kernels::ParseActivationKind(name));
  return static_cast<Activation>(kind);
}

// The two enums list the same activations in the same order.
static_assert(static_cast<int>(Activation::kHardSwish) ==
              static_cast<int>(kernels::ActivationKind::kHardSwish));
static_assert(static_cast<int>(Activation::kSoftmax) ==
              static_cast<int>(kernels::ActivationKind::kSoftmax));

int64_t NumElements(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

Status Layer::Build(const std::vector<Shape>& input_shapes) {
  if (built_) return Status::FailedPrecondition(Where() + "already built");
  for (const Shape& s : input_shapes) {
    for (int64_t d : s) {
      if (d <= 0) {
        return Status::InvalidArgument(Where() + "input shape " + ShapeToString(s) +
                                       " has a non-positive dimension");
      }
    }
  }
  ASSIGN_OR_RETURN(Shape out, ComputeOutputShape(input_shapes));
  input_shapes_ = input_shapes;
  output_shape_ = std::move(out);
  const size_t n = WeightSpecs().size();
  values_.assign(n, nullptr);
  grads_.assign(n, nullptr);
  grad_offsets_.assign(n, 0);
  built_ = true;
  return Status::OK();
}

void Layer::BindWeight(size_t i, float* value, float* grad, int64_t grad_offset) {
  if (i >= values_.size()) return;
  values_[i] = value;
  grads_[i] = grad;
  grad_offsets_[i] = grad_offset;
}

std::vector<Layer::WeightRef> Layer::Weights() const {
  std::vector<WeightRef> out;
  const auto specs = WeightSpecs();
  for (size_t i = 0; i < specs.size(); ++i) {
    out.push_back({specs[i].suffix, specs[i].shape, weight(i), specs[i].trainable});
  }
  return out;
}

bool NeedsActivationScratch(Activation a) {
  return a != Activation::kLinear && a != Activation::kRelu;
}

void FusedActivationForward(Activation act, float* out, int64_t rows, int64_t cols,
                            float* z_store) {
  const auto kind = static_cast<kernels::ActivationKind>(act);
  switch (act) {
    case Activation::kLinear:
      return;
    case Activation::kHardSwish:
      // Backward reads the pre-activation: keep it.
      std::memcpy(z_store, out, static_cast<size_t>(rows * cols) * sizeof(float));
      kernels::ActivationForward(kind, out, z_store, rows, cols);
      return;
    default:
      kernels::ActivationForward(kind, out, out, rows, cols);
  }
}

void FusedActivationBackward(Activation act, float* dout, const float* z, const float* out,
                             int64_t rows, int64_t cols, float* scratch) {
  const int64_t n = rows * cols;
  if (act == Activation::kLinear) return;
  if (act == Activation::kRelu) {  // in place, no scratch (the MLP path)
    for (int64_t i = 0; i < n; ++i) dout[i] = out[i] > 0.0f ? dout[i] : 0.0f;
    return;
  }
  std::memset(scratch, 0, static_cast<size_t>(n) * sizeof(float));
  kernels::ActivationBackward(static_cast<kernels::ActivationKind>(act), scratch, dout, z, out,
                              rows, cols);
  std::memcpy(dout, scratch, static_cast<size_t>(n) * sizeof(float));
}

}  // namespace edgepipe::nn
