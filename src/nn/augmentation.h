// Training-only image augmentation (Keras preprocessing layer
// `RandomTranslation`), with its math as free functions beside it.
//
// In training the layer moves every image of the batch by its own random
// (dy, dx), drawn from the model's seeded training stream, so a Fit with the
// same seed is reproducible; at inference it is the identity (Keras: the
// layer only acts when `training=True`). A model converted for inference
// therefore needs nothing in its place: the TFLite converter drops it as it
// drops Dropout, and SaveModel leaves it out of the TF.js model (tfjs's
// layers format has no RandomTranslation, and a tfjs load of one fails), so
// LoadModel returns the inference model, without it.
//
// The sampling is TensorFlow's ImageProjectiveTransformV3 for a pure
// translation: output(y, x) = input(y - dy, x - dx), the source coordinate
// mapped into the image by the fill mode, then read with bilinear or
// nearest interpolation; in the constant mode every source pixel outside the
// image reads `fill_value`.
#ifndef EDGEPIPE_NN_AUGMENTATION_H_
#define EDGEPIPE_NN_AUGMENTATION_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "src/nn/layer.h"

namespace edgepipe::nn {

// Keras `fill_mode`: how a source coordinate outside the image is read.
//   reflect  (d c b a | a b c d | d c b a)   Keras's default
//   wrap     (a b c d | a b c d | a b c d)
//   nearest  (a a a a | a b c d | d d d d)
//   constant (k k k k | a b c d | k k k k)   k = fill_value
enum class FillMode { kReflect, kWrap, kNearest, kConstant };
// Keras `interpolation`: "bilinear" (default) or "nearest".
enum class Interpolation { kBilinear, kNearest };

// "reflect" / "wrap" / "nearest" / "constant"; InvalidArgument naming the
// supported names for anything else.
StatusOr<FillMode> ParseFillMode(std::string_view name);
const char* FillModeName(FillMode mode);
StatusOr<Interpolation> ParseInterpolation(std::string_view name);
const char* InterpolationName(Interpolation interpolation);

struct TranslateParams {
  FillMode fill_mode = FillMode::kReflect;
  Interpolation interpolation = Interpolation::kBilinear;
  float fill_value = 0.0f;  // constant mode only
};

// out: (B, H, W, C); in: (B, H, W, C); shifts: (B, 2) = (dy, dx) per image in
// pixels (any real value; positive moves the content down / right).
void TranslateImagesForward(float* out, const float* in, const float* shifts, int64_t B, int64_t H,
                            int64_t W, int64_t C, const TranslateParams& p);
// The transpose of the forward map for the same shifts:
// din: (B, H, W, C) += d(out)/d(in)^T dout: (B, H, W, C). Pixels read as
// fill_value receive nothing (fill_value is a constant, not an input).
void TranslateImagesBackward(float* din, const float* dout, const float* shifts, int64_t B,
                             int64_t H, int64_t W, int64_t C, const TranslateParams& p);

// shifts: (B, 2) = (dy, dx) drawn uniformly from [height_factor[0],
// height_factor[1]) * H and [width_factor[0], width_factor[1]) * W (Keras's
// factors are fractions of the image size), two draws per image from `rng`.
void SampleTranslations(float* shifts, int64_t B, int64_t H, int64_t W,
                        std::array<float, 2> height_factor, std::array<float, 2> width_factor,
                        Rng& rng);

struct RandomTranslationOptions {
  // (lower, upper) fractions of the height / width; Keras's single factor f
  // is {-f, f}. Each in [-1, 1] with lower <= upper (Build checks).
  std::array<float, 2> height_factor = {0.0f, 0.0f};
  std::array<float, 2> width_factor = {0.0f, 0.0f};
  TranslateParams params;
};

// Keras `RandomTranslation(height_factor, width_factor, fill_mode,
// interpolation, fill_value)` on an (H, W, C) input. No weights. Keras's
// `seed` argument has no equivalent: the draws come from the model's
// training stream (FitOptions::seed), as Dropout's mask does.
class RandomTranslation : public Layer {
 public:
  explicit RandomTranslation(RandomTranslationOptions options, std::string name = "");
  // Keras's symmetric form: RandomTranslation(f_h, f_w) = ((-f_h, f_h), (-f_w, f_w)).
  RandomTranslation(float height_factor, float width_factor, std::string name = "");

  std::string class_name() const override { return "RandomTranslation"; }
  std::string default_name_prefix() const override { return "random_translation"; }
  const RandomTranslationOptions& options() const { return options_; }

  // Training caches the (B, 2) shifts for Backward.
  int64_t CacheFloats(int64_t batch, bool training) const override;
  void Forward(float* out, std::span<const float* const> in, const LayerContext& ctx) override;
  void Backward(std::span<float* const> din, float* dout, std::span<const float* const> in,
                const float* out, const LayerContext& ctx) override;

 protected:
  StatusOr<Shape> ComputeOutputShape(const std::vector<Shape>& input_shapes) override;

 private:
  RandomTranslationOptions options_;
};

}  // namespace edgepipe::nn

#endif  // EDGEPIPE_NN_AUGMENTATION_H_
