// Conv2D and DepthwiseConv2D layers (Keras semantics, NHWC) over the kernels
// of src/nn/kernels/conv2d.h and depthwise_conv2d.h.
//
// Weights: Conv2D kernel (kh, kw, in, filters), bias (filters);
// DepthwiseConv2D depthwise_kernel (kh, kw, C, depth_multiplier), bias
// (C * depth_multiplier) — the Keras / TF.js layouts. "same" padding is TF's
// lopsided rule. `activation=` is fused: relu and relu6 into the Conv2D
// kernels (one pass over the output, in parallel), the others through
// FusedActivationForward.
#ifndef EDGEPIPE_NN_CONV_H_
#define EDGEPIPE_NN_CONV_H_

#include <array>
#include <cstdint>
#include <string>

#include "src/nn/kernels/conv2d.h"
#include "src/nn/kernels/depthwise_conv2d.h"
#include "src/nn/layer.h"

namespace edgepipe::nn {

struct Conv2DOptions {
  int64_t filters = 1;
  std::array<int64_t, 2> kernel_size = {3, 3};
  std::array<int64_t, 2> strides = {1, 1};
  std::string padding = "valid";  // "valid" | "same"
  std::array<int64_t, 2> dilation_rate = {1, 1};
  Activation activation = Activation::kLinear;
  bool use_bias = true;
  Initializer kernel_initializer{};  // glorot_uniform
  Initializer bias_initializer = Initializer::Zeros();
};

class Conv2D : public Layer {
 public:
  explicit Conv2D(Conv2DOptions options, std::string name = "")
      : Layer(std::move(name)), o_(std::move(options)) {}
  std::string class_name() const override { return "Conv2D"; }
  std::string default_name_prefix() const override { return "conv2d"; }
  const Conv2DOptions& options() const { return o_; }

  std::vector<WeightSpec> WeightSpecs() const override;
  int64_t CacheFloats(int64_t batch, bool training) const override;
  int64_t ScratchFloats(int64_t batch, bool training, int num_threads) const override;
  bool RowsIndependent() const override { return true; }
  int64_t ChunkScratchFloats(int64_t rows, bool training) const override;
  int64_t ChunkStateFloats() const override;
  void PrepareChunks(float* state) override;
  bool WritesInputGradient() const override { return true; }
  bool OutputIsRelu() const override { return o_.activation == Activation::kRelu; }
  void Forward(float* out, std::span<const float* const> in, const LayerContext& ctx) override;
  void Backward(std::span<float* const> din, float* dout, std::span<const float* const> in,
                const float* out, const LayerContext& ctx) override;

 protected:
  StatusOr<Shape> ComputeOutputShape(const std::vector<Shape>& input_shapes) override;

 private:
  kernels::Conv2DDims Dims(int64_t batch) const {
    kernels::Conv2DDims d = dims_;
    d.n = batch;
    return d;
  }
  Conv2DOptions o_;
  kernels::Conv2DDims dims_{};  // n = 1; the batch is set per call
};

struct DepthwiseConv2DOptions {
  std::array<int64_t, 2> kernel_size = {3, 3};
  std::array<int64_t, 2> strides = {1, 1};
  std::string padding = "valid";
  int64_t depth_multiplier = 1;
  std::array<int64_t, 2> dilation_rate = {1, 1};
  Activation activation = Activation::kLinear;
  bool use_bias = true;
  Initializer depthwise_initializer{};  // glorot_uniform
  Initializer bias_initializer = Initializer::Zeros();
};

class DepthwiseConv2D : public Layer {
 public:
  explicit DepthwiseConv2D(DepthwiseConv2DOptions options, std::string name = "")
      : Layer(std::move(name)), o_(std::move(options)) {}
  std::string class_name() const override { return "DepthwiseConv2D"; }
  std::string default_name_prefix() const override { return "depthwise_conv2d"; }
  const DepthwiseConv2DOptions& options() const { return o_; }

  std::vector<WeightSpec> WeightSpecs() const override;
  int64_t CacheFloats(int64_t batch, bool training) const override;
  int64_t ScratchFloats(int64_t batch, bool training, int num_threads) const override;
  void Forward(float* out, std::span<const float* const> in, const LayerContext& ctx) override;
  void Backward(std::span<float* const> din, float* dout, std::span<const float* const> in,
                const float* out, const LayerContext& ctx) override;

 protected:
  StatusOr<Shape> ComputeOutputShape(const std::vector<Shape>& input_shapes) override;

 private:
  kernels::DepthwiseConv2DDims Dims(int64_t batch) const {
    kernels::DepthwiseConv2DDims d = dims_;
    d.n = batch;
    return d;
  }
  DepthwiseConv2DOptions o_;
  kernels::DepthwiseConv2DDims dims_{};
};

}  // namespace edgepipe::nn

#endif  // EDGEPIPE_NN_CONV_H_
