#include "src/nn/augmentation.h"

#include <cmath>
#include <cstring>

namespace edgepipe::nn {

namespace {

// A source coordinate outside [0, len - 1] mapped back into the image by the
// fill mode, as TensorFlow's MapCoordinate (image_ops.h) does before it
// interpolates: reflect, nearest and constant follow it step for step, so the
// pixels are the ones Keras produces for the same shift; wrap is the plain
// period-`len` pattern Keras documents.
float MapCoordinate(float c, int64_t len, FillMode mode) {
  const float last = static_cast<float>(len - 1);
  const float n = static_cast<float>(len);
  switch (mode) {
    case FillMode::kConstant:
      return c;  // read as fill_value by the caller
    case FillMode::kNearest:
      break;
    case FillMode::kReflect:
      if (len <= 1) return 0.0f;
      if (c < 0) {
        const float n2 = 2 * n;
        if (c < -n2) c += n2 * static_cast<float>(static_cast<int64_t>(-c / n2));
        c = c < -n ? c + n2 : -c - 1;
      } else if (c > last) {
        const float n2 = 2 * n;
        c -= n2 * static_cast<float>(static_cast<int64_t>(c / n2));
        if (c >= n) c = n2 - c - 1;
      }
      break;
    case FillMode::kWrap:
      if (len <= 1) return 0.0f;
      c -= n * std::floor(c / n);  // into [0, len): the period is the image
      break;
  }
  // The clamp also keeps nearest rounding inside: 3.5 in a length-4 axis
  // would otherwise round to 4.
  return std::fmin(std::fmax(c, 0.0f), last);
}

// The (at most) two source pixels one output coordinate reads along one
// axis and their weights; index -1 reads fill_value (constant mode only).
struct Taps {
  int64_t index[2];
  float weight[2];
};

Taps AxisTaps(float source, int64_t len, const TranslateParams& p) {
  const float c = MapCoordinate(source, len, p.fill_mode);
  auto inside = [len](int64_t i) { return i >= 0 && i < len ? i : int64_t{-1}; };
  if (p.interpolation == Interpolation::kNearest) {
    return {{inside(static_cast<int64_t>(std::round(c))), -1}, {1.0f, 0.0f}};
  }
  const float lo = std::floor(c);
  const int64_t i = static_cast<int64_t>(lo);
  return {{inside(i), inside(i + 1)}, {lo + 1.0f - c, c - lo}};
}

}  // namespace

StatusOr<FillMode> ParseFillMode(std::string_view name) {
  if (name == "reflect") return FillMode::kReflect;
  if (name == "wrap") return FillMode::kWrap;
  if (name == "nearest") return FillMode::kNearest;
  if (name == "constant") return FillMode::kConstant;
  return Status::InvalidArgument("fill_mode: expected reflect, wrap, nearest or constant, got \"" +
                                 std::string(name) + "\"");
}

const char* FillModeName(FillMode mode) {
  switch (mode) {
    case FillMode::kReflect:
      return "reflect";
    case FillMode::kWrap:
      return "wrap";
    case FillMode::kNearest:
      return "nearest";
    case FillMode::kConstant:
      return "constant";
  }
  return "reflect";
}

StatusOr<Interpolation> ParseInterpolation(std::string_view name) {
  if (name == "bilinear") return Interpolation::kBilinear;
  if (name == "nearest") return Interpolation::kNearest;
  return Status::InvalidArgument("interpolation: expected bilinear or nearest, got \"" +
                                 std::string(name) + "\"");
}

const char* InterpolationName(Interpolation interpolation) {
  return interpolation == Interpolation::kNearest ? "nearest" : "bilinear";
}

void TranslateImagesForward(float* out, const float* in, const float* shifts, int64_t B, int64_t H,
                            int64_t W, int64_t C, const TranslateParams& p) {
  for (int64_t b = 0; b < B; ++b) {
    const float dy = shifts[2 * b], dx = shifts[2 * b + 1];
    const float* img = in + b * H * W * C;  // (H, W, C)
    for (int64_t y = 0; y < H; ++y) {
      const Taps ty = AxisTaps(static_cast<float>(y) - dy, H, p);
      for (int64_t x = 0; x < W; ++x) {
        const Taps tx = AxisTaps(static_cast<float>(x) - dx, W, p);
        float* o = out + ((b * H + y) * W + x) * C;  // (C)
        for (int64_t c = 0; c < C; ++c) o[c] = 0.0f;
        for (int a = 0; a < 2; ++a) {
          for (int e = 0; e < 2; ++e) {
            const float w = ty.weight[a] * tx.weight[e];
            if (w == 0.0f) continue;
            if (ty.index[a] < 0 || tx.index[e] < 0) {
              for (int64_t c = 0; c < C; ++c) o[c] += w * p.fill_value;
              continue;
            }
            const float* s = img + (ty.index[a] * W + tx.index[e]) * C;
            for (int64_t c = 0; c < C; ++c) o[c] += w * s[c];
          }
        }
      }
    }
  }
}

void TranslateImagesBackward(float* din, const float* dout, const float* shifts, int64_t B,
                             int64_t H, int64_t W, int64_t C, const TranslateParams& p) {
  for (int64_t b = 0; b < B; ++b) {
    const float dy = shifts[2 * b], dx = shifts[2 * b + 1];
    float* dimg = din + b * H * W * C;  // (H, W, C)
    for (int64_t y = 0; y < H; ++y) {
      const Taps ty = AxisTaps(static_cast<float>(y) - dy, H, p);
      for (int64_t x = 0; x < W; ++x) {
        const Taps tx = AxisTaps(static_cast<float>(x) - dx, W, p);
        const float* g = dout + ((b * H + y) * W + x) * C;  // (C)
        for (int a = 0; a < 2; ++a) {
          for (int e = 0; e < 2; ++e) {
            const float w = ty.weight[a] * tx.weight[e];
            if (w == 0.0f || ty.index[a] < 0 || tx.index[e] < 0) continue;
            float* s = dimg + (ty.index[a] * W + tx.index[e]) * C;
            for (int64_t c = 0; c < C; ++c) s[c] += w * g[c];
          }
        }
      }
    }
  }
}

void SampleTranslations(float* shifts, int64_t B, int64_t H, int64_t W,
                        std::array<float, 2> height_factor, std::array<float, 2> width_factor,
                        Rng& rng) {
  const float h = static_cast<float>(H), w = static_cast<float>(W);
  for (int64_t b = 0; b < B; ++b) {
    const float uy = rng.UniformFloat(), ux = rng.UniformFloat();
    shifts[2 * b] = (height_factor[0] + (height_factor[1] - height_factor[0]) * uy) * h;
    shifts[2 * b + 1] = (width_factor[0] + (width_factor[1] - width_factor[0]) * ux) * w;
  }
}

RandomTranslation::RandomTranslation(RandomTranslationOptions options, std::string name)
    : Layer(std::move(name)), options_(options) {}

RandomTranslation::RandomTranslation(float height_factor, float width_factor, std::string name)
    : RandomTranslation(RandomTranslationOptions{.height_factor = {-height_factor, height_factor},
                                                 .width_factor = {-width_factor, width_factor}},
                        std::move(name)) {}

StatusOr<Shape> RandomTranslation::ComputeOutputShape(const std::vector<Shape>& in) {
  if (in[0].size() != 3) {
    return Status::InvalidArgument(Where() + "expects an (H, W, C) input, got " +
                                   ShapeToString(in[0]));
  }
  for (const auto& [what, f] : {std::pair{"height_factor", options_.height_factor},
                                std::pair{"width_factor", options_.width_factor}}) {
    // Written so that NaN fails too.
    if (!(f[0] >= -1.0f && f[0] <= f[1] && f[1] <= 1.0f)) {
      return Status::InvalidArgument(Where() + what +
                                     ": expected -1 <= lower <= upper <= 1, got (" +
                                     std::to_string(f[0]) + ", " + std::to_string(f[1]) + ")");
    }
  }
  if (!std::isfinite(options_.params.fill_value)) {
    return Status::InvalidArgument(Where() + "fill_value must be finite");
  }
  return in[0];
}

int64_t RandomTranslation::CacheFloats(int64_t batch, bool training) const {
  return training ? 2 * batch : 0;
}

void RandomTranslation::Forward(float* out, std::span<const float* const> in,
                                const LayerContext& ctx) {
  const Shape& s = input_shape();
  if (!ctx.training) {  // inference: identity (Keras: training=False)
    std::memcpy(out, in[0], static_cast<size_t>(ctx.batch * NumElements(s)) * sizeof(float));
    return;
  }
  SampleTranslations(ctx.cache, ctx.batch, s[0], s[1], options_.height_factor,
                     options_.width_factor, *ctx.rng);
  TranslateImagesForward(out, in[0], ctx.cache, ctx.batch, s[0], s[1], s[2], options_.params);
}

void RandomTranslation::Backward(std::span<float* const> din, float* dout,
                                 std::span<const float* const>, const float*,
                                 const LayerContext& ctx) {
  // Usually the model's first layer, whose input needs no gradient.
  if (din[0] == nullptr) return;
  const Shape& s = input_shape();
  TranslateImagesBackward(din[0], dout, ctx.cache, ctx.batch, s[0], s[1], s[2], options_.params);
}

}  // namespace edgepipe::nn
