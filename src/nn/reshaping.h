// Shape layers: Flatten, Reshape, ZeroPadding2D, and the merge layers Add and
// Concatenate (last axis). Flatten/Reshape only re-label a dense row-major
// buffer (a copy forward, an add backward); the padding and merge math is in
// src/nn/kernels/elementwise.h.
#ifndef EDGEPIPE_NN_RESHAPING_H_
#define EDGEPIPE_NN_RESHAPING_H_

#include <array>

#include "src/nn/layer.h"

namespace edgepipe::nn {

// (d1, d2, ...) → (d1 * d2 * ...).
class Flatten : public Layer {
 public:
  explicit Flatten(std::string name = "") : Layer(std::move(name)) {}
  std::string class_name() const override { return "Flatten"; }
  std::string default_name_prefix() const override { return "flatten"; }
  bool RowsIndependent() const override { return true; }
  bool WritesInputGradient() const override { return true; }
  void Forward(float* out, std::span<const float* const> in, const LayerContext& ctx) override;
  void Backward(std::span<float* const> din, float* dout, std::span<const float* const> in,
                const float* out, const LayerContext& ctx) override;

 protected:
  StatusOr<Shape> ComputeOutputShape(const std::vector<Shape>& input_shapes) override;
};

// Keras Reshape(target_shape); one dimension may be -1 (inferred).
class Reshape : public Flatten {
 public:
  explicit Reshape(Shape target_shape, std::string name = "")
      : Flatten(std::move(name)), target_(std::move(target_shape)) {}
  std::string class_name() const override { return "Reshape"; }
  std::string default_name_prefix() const override { return "reshape"; }
  const Shape& target_shape() const { return target_; }

 protected:
  StatusOr<Shape> ComputeOutputShape(const std::vector<Shape>& input_shapes) override;

 private:
  Shape target_;
};

// Keras ZeroPadding2D(padding=((top, bottom), (left, right))).
class ZeroPadding2D : public Layer {
 public:
  explicit ZeroPadding2D(std::array<int64_t, 4> top_bottom_left_right = {1, 1, 1, 1},
                         std::string name = "")
      : Layer(std::move(name)), pad_(top_bottom_left_right) {}
  std::string class_name() const override { return "ZeroPadding2D"; }
  std::string default_name_prefix() const override { return "zero_padding2d"; }
  const std::array<int64_t, 4>& padding() const { return pad_; }
  bool RowsIndependent() const override { return true; }
  void Forward(float* out, std::span<const float* const> in, const LayerContext& ctx) override;
  void Backward(std::span<float* const> din, float* dout, std::span<const float* const> in,
                const float* out, const LayerContext& ctx) override;

 protected:
  StatusOr<Shape> ComputeOutputShape(const std::vector<Shape>& input_shapes) override;

 private:
  std::array<int64_t, 4> pad_;
};

// Element-wise sum of >= 2 inputs of the same shape.
class Add : public Layer {
 public:
  explicit Add(std::string name = "") : Layer(std::move(name)) {}
  std::string class_name() const override { return "Add"; }
  std::string default_name_prefix() const override { return "add"; }
  int num_inputs() const override { return kVariadic; }
  bool RowsIndependent() const override { return true; }
  void Forward(float* out, std::span<const float* const> in, const LayerContext& ctx) override;
  void Backward(std::span<float* const> din, float* dout, std::span<const float* const> in,
                const float* out, const LayerContext& ctx) override;

 protected:
  StatusOr<Shape> ComputeOutputShape(const std::vector<Shape>& input_shapes) override;
};

// Concatenation of >= 2 inputs along the last axis (Keras axis=-1).
class Concatenate : public Layer {
 public:
  explicit Concatenate(std::string name = "") : Layer(std::move(name)) {}
  std::string class_name() const override { return "Concatenate"; }
  std::string default_name_prefix() const override { return "concatenate"; }
  int num_inputs() const override { return kVariadic; }
  bool RowsIndependent() const override { return true; }
  void Forward(float* out, std::span<const float* const> in, const LayerContext& ctx) override;
  void Backward(std::span<float* const> din, float* dout, std::span<const float* const> in,
                const float* out, const LayerContext& ctx) override;

 protected:
  StatusOr<Shape> ComputeOutputShape(const std::vector<Shape>& input_shapes) override;

 private:
  std::vector<int64_t> widths_;
  int64_t rows_per_example_ = 1;
};

}  // namespace edgepipe::nn

#endif  // EDGEPIPE_NN_RESHAPING_H_
