#include "src/nn/pooling.h"

namespace edgepipe::nn {

std::array<int64_t, 2> Pooling2D::strides() const {
  return {o_.strides[0] > 0 ? o_.strides[0] : o_.pool_size[0],
          o_.strides[1] > 0 ? o_.strides[1] : o_.pool_size[1]};
}

StatusOr<Shape> Pooling2D::ComputeOutputShape(const std::vector<Shape>& in) {
  if (in[0].size() != 3) {
    return Status::InvalidArgument(Where() + "expects an (H, W, C) input, got " +
                                   ShapeToString(in[0]));
  }
  StatusOr<kernels::Padding> padding = kernels::ParsePadding(o_.padding);
  if (!padding.ok()) return Status::InvalidArgument(Where() + padding.status().message());
  const auto s = strides();
  StatusOr<kernels::Pool2DDims> d = kernels::MakePool2DDims(
      1, in[0][0], in[0][1], in[0][2], o_.pool_size[0], o_.pool_size[1], s[0], s[1], *padding);
  if (!d.ok()) return Status::InvalidArgument(Where() + d.status().message());
  dims_ = *d;
  return Shape{dims_.oh, dims_.ow, dims_.c};
}

int64_t Pooling2D::CacheFloats(int64_t batch, bool training) const {
  // Max pooling keeps the int32 argmax (one float-sized slot per output).
  return training && kind_ == Kind::kMax ? batch * NumElements(output_shape()) : 0;
}

int64_t Pooling2D::ScratchFloats(int64_t batch, bool /*training*/, int /*num_threads*/) const {
  return kind_ == Kind::kMax ? batch * NumElements(output_shape()) : 0;  // inference argmax
}

void Pooling2D::Forward(float* out, std::span<const float* const> in, const LayerContext& ctx) {
  if (kind_ == Kind::kMax) {
    // The kernel always writes the argmax: into the cache when Backward
    // will read it, into the scratch at inference.
    int32_t* argmax = reinterpret_cast<int32_t*>(ctx.training ? ctx.cache : ctx.scratch);
    kernels::MaxPool2DForward(out, argmax, in[0], Dims(ctx.batch), *ctx.pool);
  } else {
    kernels::AvgPool2DForward(out, in[0], Dims(ctx.batch), *ctx.pool);
  }
}

void Pooling2D::Backward(std::span<float* const> din, float* dout, std::span<const float* const>,
                         const float* out, const LayerContext& ctx) {
  if (din[0] == nullptr) return;
  if (kind_ == Kind::kMax) {
    kernels::MaxPool2DBackward(din[0], dout, reinterpret_cast<const int32_t*>(ctx.cache),
                               Dims(ctx.batch), *ctx.pool, ctx.write_din,
                               ctx.mask_din_relu ? out : nullptr);
  } else {
    kernels::AvgPool2DBackward(din[0], dout, Dims(ctx.batch), *ctx.pool);
  }
}

StatusOr<Shape> GlobalAveragePooling2D::ComputeOutputShape(const std::vector<Shape>& in) {
  if (in[0].size() != 3) {
    return Status::InvalidArgument(Where() + "expects an (H, W, C) input, got " +
                                   ShapeToString(in[0]));
  }
  return Shape{in[0][2]};
}

void GlobalAveragePooling2D::Forward(float* out, std::span<const float* const> in,
                                     const LayerContext& ctx) {
  const Shape& s = input_shape();
  kernels::GlobalAvgPool2DForward(out, in[0], ctx.batch, s[0], s[1], s[2]);
}

void GlobalAveragePooling2D::Backward(std::span<float* const> din, float* dout,
                                      std::span<const float* const>, const float*,
                                      const LayerContext& ctx) {
  if (din[0] == nullptr) return;
  const Shape& s = input_shape();
  kernels::GlobalAvgPool2DBackward(din[0], dout, ctx.batch, s[0], s[1], s[2]);
}

}  // namespace edgepipe::nn
