#include "src/nn/conv.h"

#include <algorithm>

namespace edgepipe::nn {
namespace {

Status CheckRank3(const std::string& where, const Shape& s) {
  if (s.size() != 3) {
    return Status::InvalidArgument(where + "expects an (H, W, C) input, got " + ShapeToString(s));
  }
  return Status::OK();
}

// The activation the Conv2D kernels fuse (kLinear for the others, which then
// run as a separate FusedActivation pass).
kernels::ConvActivation KernelActivation(Activation a) {
  switch (a) {
    case Activation::kRelu:
      return kernels::ConvActivation::kRelu;
    case Activation::kRelu6:
      return kernels::ConvActivation::kRelu6;
    default:
      return kernels::ConvActivation::kLinear;
  }
}

// The part of the activation left to FusedActivationForward/Backward.
Activation ResidualActivation(Activation a) {
  return KernelActivation(a) == kernels::ConvActivation::kLinear ? a : Activation::kLinear;
}

}  // namespace

// ---- Conv2D ------------------------------------------------------------------

StatusOr<Shape> Conv2D::ComputeOutputShape(const std::vector<Shape>& in) {
  RETURN_IF_ERROR(CheckRank3(Where(), in[0]));
  if (o_.filters <= 0) return Status::InvalidArgument(Where() + "filters must be positive");
  StatusOr<kernels::Padding> padding = kernels::ParsePadding(o_.padding);
  if (!padding.ok()) return Status::InvalidArgument(Where() + padding.status().message());
  StatusOr<kernels::Conv2DDims> d = kernels::MakeConv2DDims(
      1, in[0][0], in[0][1], in[0][2], o_.kernel_size[0], o_.kernel_size[1], o_.filters,
      o_.strides[0], o_.strides[1], o_.dilation_rate[0], o_.dilation_rate[1], *padding);
  if (!d.ok()) return Status::InvalidArgument(Where() + d.status().message());
  dims_ = *d;
  return Shape{dims_.oh, dims_.ow, dims_.oc};
}

std::vector<Layer::WeightSpec> Conv2D::WeightSpecs() const {
  std::vector<WeightSpec> specs = {
      {"kernel", {dims_.kh, dims_.kw, dims_.c, dims_.oc}, true, o_.kernel_initializer}};
  if (o_.use_bias) specs.push_back({"bias", {dims_.oc}, true, o_.bias_initializer});
  return specs;
}

int64_t Conv2D::CacheFloats(int64_t batch, bool training) const {
  return training && o_.activation == Activation::kHardSwish ? batch * NumElements(output_shape())
                                                             : 0;
}

int64_t Conv2D::ScratchFloats(int64_t batch, bool /*training*/, int num_threads) const {
  const int64_t act = NeedsActivationScratch(ResidualActivation(o_.activation))
                          ? batch * NumElements(output_shape())
                          : 0;
  return std::max(act, kernels::Conv2DScratchSize(Dims(batch), num_threads));
}

int64_t Conv2D::ChunkScratchFloats(int64_t rows, bool /*training*/) const {
  const int64_t act = NeedsActivationScratch(ResidualActivation(o_.activation))
                          ? rows * NumElements(output_shape())
                          : 0;
  return std::max(act, kernels::Conv2DScratchSize(Dims(rows), 1, /*whole=*/true));
}

// The chunks share the kernel in oneDNN's blocked layouts (made once a step
// instead of once a chunk: kernels::Conv2DPrepareKernel).
int64_t Conv2D::ChunkStateFloats() const { return kernels::Conv2DPreparedKernelFloats(dims_); }

void Conv2D::PrepareChunks(float* state) { kernels::Conv2DPrepareKernel(state, weight(0), dims_); }

void Conv2D::Forward(float* out, std::span<const float* const> in, const LayerContext& ctx) {
  kernels::Conv2DForward(out, in[0], weight(0), o_.use_bias ? weight(1) : nullptr,
                         KernelActivation(o_.activation), Dims(ctx.batch), ctx.scratch, *ctx.pool,
                         ctx.whole_chunk, ctx.chunk_state);
  FusedActivationForward(ResidualActivation(o_.activation), out, ctx.batch * dims_.oh * dims_.ow,
                         dims_.oc, ctx.training ? ctx.cache : ctx.scratch);
}

void Conv2D::Backward(std::span<float* const> din, float* dout, std::span<const float* const> in,
                      const float* out, const LayerContext& ctx) {
  FusedActivationBackward(ResidualActivation(o_.activation), dout, ctx.cache, out,
                          ctx.batch * dims_.oh * dims_.ow, dims_.oc, ctx.scratch);
  // A ReLU whose consumer already applied its derivative (a max pool) needs
  // no mask pass here.
  const kernels::ConvActivation act = ctx.dout_relu_masked && o_.activation == Activation::kRelu
                                          ? kernels::ConvActivation::kLinear
                                          : KernelActivation(o_.activation);
  kernels::Conv2DBackward(din[0], weight_grad(0, ctx), o_.use_bias ? weight_grad(1, ctx) : nullptr,
                          dout, out, in[0], weight(0), act, Dims(ctx.batch), ctx.scratch, *ctx.pool,
                          ctx.write_din, ctx.whole_chunk, ctx.chunk_state);
}

// ---- DepthwiseConv2D -----------------------------------------------------------

StatusOr<Shape> DepthwiseConv2D::ComputeOutputShape(const std::vector<Shape>& in) {
  RETURN_IF_ERROR(CheckRank3(Where(), in[0]));
  StatusOr<kernels::Padding> padding = kernels::ParsePadding(o_.padding);
  if (!padding.ok()) return Status::InvalidArgument(Where() + padding.status().message());
  StatusOr<kernels::DepthwiseConv2DDims> d = kernels::MakeDepthwiseConv2DDims(
      1, in[0][0], in[0][1], in[0][2], o_.kernel_size[0], o_.kernel_size[1], o_.depth_multiplier,
      o_.strides[0], o_.strides[1], o_.dilation_rate[0], o_.dilation_rate[1], *padding);
  if (!d.ok()) return Status::InvalidArgument(Where() + d.status().message());
  dims_ = *d;
  return Shape{dims_.oh, dims_.ow, dims_.c * dims_.depth_multiplier};
}

std::vector<Layer::WeightSpec> DepthwiseConv2D::WeightSpecs() const {
  std::vector<WeightSpec> specs = {{"depthwise_kernel",
                                    {dims_.kh, dims_.kw, dims_.c, dims_.depth_multiplier},
                                    true,
                                    o_.depthwise_initializer}};
  if (o_.use_bias) {
    specs.push_back({"bias", {dims_.c * dims_.depth_multiplier}, true, o_.bias_initializer});
  }
  return specs;
}

int64_t DepthwiseConv2D::CacheFloats(int64_t batch, bool training) const {
  return training && o_.activation == Activation::kHardSwish ? batch * NumElements(output_shape())
                                                             : 0;
}

int64_t DepthwiseConv2D::ScratchFloats(int64_t batch, bool /*training*/, int num_threads) const {
  const int64_t act =
      NeedsActivationScratch(o_.activation) ? batch * NumElements(output_shape()) : 0;
  return std::max(act, kernels::DepthwiseConv2DScratchSize(Dims(batch), num_threads));
}

void DepthwiseConv2D::Forward(float* out, std::span<const float* const> in,
                              const LayerContext& ctx) {
  kernels::DepthwiseConv2DForward(out, in[0], weight(0), o_.use_bias ? weight(1) : nullptr,
                                  Dims(ctx.batch), *ctx.pool);
  FusedActivationForward(o_.activation, out, ctx.batch * dims_.oh * dims_.ow,
                         dims_.c * dims_.depth_multiplier, ctx.training ? ctx.cache : ctx.scratch);
}

void DepthwiseConv2D::Backward(std::span<float* const> din, float* dout,
                               std::span<const float* const> in, const float* out,
                               const LayerContext& ctx) {
  FusedActivationBackward(o_.activation, dout, ctx.cache, out, ctx.batch * dims_.oh * dims_.ow,
                          dims_.c * dims_.depth_multiplier, ctx.scratch);
  kernels::DepthwiseConv2DBackward(din[0], weight_grad(0, ctx),
                                   o_.use_bias ? weight_grad(1, ctx) : nullptr, dout, in[0],
                                   weight(0), Dims(ctx.batch), ctx.scratch, *ctx.pool);
}

}  // namespace edgepipe::nn
