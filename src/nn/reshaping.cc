#include "src/nn/reshaping.h"

#include <algorithm>
#include <cstring>

#include "src/nn/kernels/elementwise.h"

namespace edgepipe::nn {

// ---- Flatten / Reshape --------------------------------------------------------

StatusOr<Shape> Flatten::ComputeOutputShape(const std::vector<Shape>& in) {
  return Shape{NumElements(in[0])};
}

void Flatten::Forward(float* out, std::span<const float* const> in, const LayerContext& ctx) {
  std::memcpy(out, in[0],
              static_cast<size_t>(ctx.batch * NumElements(input_shape())) * sizeof(float));
}

void Flatten::Backward(std::span<float* const> din, float* dout, std::span<const float* const>,
                       const float*, const LayerContext& ctx) {
  if (din[0] == nullptr) return;
  if (ctx.write_din) {
    std::copy(dout, dout + ctx.batch * NumElements(input_shape()), din[0]);
    return;
  }
  kernels::RescalingBackward(din[0], dout, 1.0f, ctx.batch * NumElements(input_shape()));
}

StatusOr<Shape> Reshape::ComputeOutputShape(const std::vector<Shape>& in) {
  Shape out = target_;
  int64_t known = 1;
  int unknown = -1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1 && unknown < 0) {
      unknown = static_cast<int>(i);
    } else if (out[i] <= 0) {
      return Status::InvalidArgument(Where() + "bad target_shape " + ShapeToString(target_));
    } else {
      known *= out[i];
    }
  }
  const int64_t total = NumElements(in[0]);
  if (unknown >= 0 && known > 0 && total % known == 0)
    out[static_cast<size_t>(unknown)] = total / known;
  if (out.empty() || NumElements(out) != total) {
    return Status::InvalidArgument(Where() + "cannot reshape " + ShapeToString(in[0]) + " to " +
                                   ShapeToString(target_));
  }
  return out;
}

// ---- ZeroPadding2D ---------------------------------------------------------------

StatusOr<Shape> ZeroPadding2D::ComputeOutputShape(const std::vector<Shape>& in) {
  if (in[0].size() != 3) {
    return Status::InvalidArgument(Where() + "expects an (H, W, C) input, got " +
                                   ShapeToString(in[0]));
  }
  for (int64_t p : pad_) {
    if (p < 0) return Status::InvalidArgument(Where() + "padding must be >= 0");
  }
  return Shape{in[0][0] + pad_[0] + pad_[1], in[0][1] + pad_[2] + pad_[3], in[0][2]};
}

void ZeroPadding2D::Forward(float* out, std::span<const float* const> in, const LayerContext& ctx) {
  const Shape& s = input_shape();
  kernels::ZeroPadding2DForward(out, in[0],
                                {ctx.batch, s[0], s[1], s[2], pad_[0], pad_[1], pad_[2], pad_[3]});
}

void ZeroPadding2D::Backward(std::span<float* const> din, float* dout,
                             std::span<const float* const>, const float*, const LayerContext& ctx) {
  if (din[0] == nullptr) return;
  const Shape& s = input_shape();
  kernels::ZeroPadding2DBackward(din[0], dout,
                                 {ctx.batch, s[0], s[1], s[2], pad_[0], pad_[1], pad_[2], pad_[3]});
}

// ---- Add / Concatenate -------------------------------------------------------------

StatusOr<Shape> Add::ComputeOutputShape(const std::vector<Shape>& in) {
  for (const Shape& s : in) {
    if (s != in[0]) {
      return Status::InvalidArgument(Where() + "inputs must have the same shape, got " +
                                     ShapeToString(in[0]) + " and " + ShapeToString(s));
    }
  }
  return in[0];
}

void Add::Forward(float* out, std::span<const float* const> in, const LayerContext& ctx) {
  kernels::AddForward(out, in.data(), static_cast<int>(in.size()),
                      ctx.batch * NumElements(output_shape()));
}

void Add::Backward(std::span<float* const> din, float* dout, std::span<const float* const>,
                   const float*, const LayerContext& ctx) {
  kernels::AddBackward(din.data(), dout, static_cast<int>(din.size()),
                       ctx.batch * NumElements(output_shape()));
}

StatusOr<Shape> Concatenate::ComputeOutputShape(const std::vector<Shape>& in) {
  Shape out = in[0];
  out.back() = 0;
  widths_.clear();
  for (const Shape& s : in) {
    if (s.size() != in[0].size() || !std::equal(s.begin(), s.end() - 1, in[0].begin())) {
      return Status::InvalidArgument(Where() + "inputs must match except in the last axis, got " +
                                     ShapeToString(in[0]) + " and " + ShapeToString(s));
    }
    widths_.push_back(s.back());
    out.back() += s.back();
  }
  rows_per_example_ = NumElements(in[0]) / in[0].back();
  return out;
}

void Concatenate::Forward(float* out, std::span<const float* const> in, const LayerContext& ctx) {
  kernels::ConcatenateForward(out, in.data(), widths_.data(), static_cast<int>(in.size()),
                              ctx.batch * rows_per_example_);
}

void Concatenate::Backward(std::span<float* const> din, float* dout, std::span<const float* const>,
                           const float*, const LayerContext& ctx) {
  kernels::ConcatenateBackward(din.data(), dout, widths_.data(), static_cast<int>(din.size()),
                               ctx.batch * rows_per_example_);
}

}  // namespace edgepipe::nn
