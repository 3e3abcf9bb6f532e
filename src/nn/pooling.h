// MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D (Keras semantics,
// NHWC) over src/nn/kernels/pooling.h. strides default to pool_size (Keras).
// AveragePooling2D "same" averages only the cells inside the input, as TF.
#ifndef EDGEPIPE_NN_POOLING_H_
#define EDGEPIPE_NN_POOLING_H_

#include <array>
#include <string>

#include "src/nn/kernels/pooling.h"
#include "src/nn/layer.h"

namespace edgepipe::nn {

struct Pooling2DOptions {
  std::array<int64_t, 2> pool_size = {2, 2};
  std::array<int64_t, 2> strides = {0, 0};  // 0 = pool_size
  std::string padding = "valid";
};

class Pooling2D : public Layer {
 public:
  enum class Kind { kMax, kAverage };
  Pooling2D(Kind kind, Pooling2DOptions options, std::string name)
      : Layer(std::move(name)), kind_(kind), o_(std::move(options)) {}
  std::string class_name() const override {
    return kind_ == Kind::kMax ? "MaxPooling2D" : "AveragePooling2D";
  }
  std::string default_name_prefix() const override {
    return kind_ == Kind::kMax ? "max_pooling2d" : "average_pooling2d";
  }
  const Pooling2DOptions& options() const { return o_; }
  // Effective strides (pool_size when not given).
  std::array<int64_t, 2> strides() const;

  int64_t CacheFloats(int64_t batch, bool training) const override;
  int64_t ScratchFloats(int64_t batch, bool training, int num_threads) const override;
  bool RowsIndependent() const override { return true; }
  bool WritesInputGradient() const override { return kind_ == Kind::kMax; }
  bool MasksReluGradient() const override { return kind_ == Kind::kMax; }
  void Forward(float* out, std::span<const float* const> in, const LayerContext& ctx) override;
  void Backward(std::span<float* const> din, float* dout, std::span<const float* const> in,
                const float* out, const LayerContext& ctx) override;

 protected:
  StatusOr<Shape> ComputeOutputShape(const std::vector<Shape>& input_shapes) override;

 private:
  kernels::Pool2DDims Dims(int64_t batch) const {
    kernels::Pool2DDims d = dims_;
    d.n = batch;
    return d;
  }
  Kind kind_;
  Pooling2DOptions o_;
  kernels::Pool2DDims dims_{};
};

class MaxPooling2D : public Pooling2D {
 public:
  explicit MaxPooling2D(Pooling2DOptions options = {}, std::string name = "")
      : Pooling2D(Kind::kMax, std::move(options), std::move(name)) {}
};
class AveragePooling2D : public Pooling2D {
 public:
  explicit AveragePooling2D(Pooling2DOptions options = {}, std::string name = "")
      : Pooling2D(Kind::kAverage, std::move(options), std::move(name)) {}
};

// (H, W, C) → (C), keepdims=False.
class GlobalAveragePooling2D : public Layer {
 public:
  explicit GlobalAveragePooling2D(std::string name = "") : Layer(std::move(name)) {}
  std::string class_name() const override { return "GlobalAveragePooling2D"; }
  std::string default_name_prefix() const override { return "global_average_pooling2d"; }
  bool RowsIndependent() const override { return true; }
  void Forward(float* out, std::span<const float* const> in, const LayerContext& ctx) override;
  void Backward(std::span<float* const> din, float* dout, std::span<const float* const> in,
                const float* out, const LayerContext& ctx) override;

 protected:
  StatusOr<Shape> ComputeOutputShape(const std::vector<Shape>& input_shapes) override;
};

}  // namespace edgepipe::nn

#endif  // EDGEPIPE_NN_POOLING_H_
