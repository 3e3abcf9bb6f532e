#include "src/nn/initializers.h"

#include <cmath>
#include <numbers>

namespace edgepipe::nn {
namespace {

struct Fans {
  double in, out;
};

Fans ComputeFans(const Shape& shape) {
  if (shape.empty()) return {1, 1};
  if (shape.size() == 1) return {static_cast<double>(shape[0]), static_cast<double>(shape[0])};
  if (shape.size() == 2) return {static_cast<double>(shape[0]), static_cast<double>(shape[1])};
  double receptive = 1;
  for (size_t i = 0; i + 2 < shape.size(); ++i) receptive *= static_cast<double>(shape[i]);
  return {receptive * static_cast<double>(shape[shape.size() - 2]),
          receptive * static_cast<double>(shape.back())};
}

constexpr float kTruncatedStddev = 0.87962566103423978f;

float TruncatedNormal(Rng& rng) {
  for (;;) {
    const float z = StandardNormal(rng);
    if (std::fabs(z) <= 2.0f) return z;
  }
}

}  // namespace

float StandardNormal(Rng& rng) {
  // 1 - u is in (0, 1]: log never sees 0.
  const float u1 = 1.0f - rng.UniformFloat();
  const float u2 = rng.UniformFloat();
  return std::sqrt(-2.0f * std::log(u1)) * std::cos(2.0f * std::numbers::pi_v<float> * u2);
}

const char* InitializerName(const Initializer& init) {
  switch (init.kind) {
    case Initializer::Kind::kGlorotUniform:
      return "glorot_uniform";
    case Initializer::Kind::kGlorotNormal:
      return "glorot_normal";
    case Initializer::Kind::kHeNormal:
      return "he_normal";
    case Initializer::Kind::kHeUniform:
      return "he_uniform";
    case Initializer::Kind::kZeros:
      return "zeros";
    case Initializer::Kind::kOnes:
      return "ones";
    case Initializer::Kind::kRandomNormal:
      return "random_normal";
  }
  return "glorot_uniform";
}

const char* InitializerClassName(const Initializer& init) {
  switch (init.kind) {
    case Initializer::Kind::kGlorotUniform:
      return "GlorotUniform";
    case Initializer::Kind::kGlorotNormal:
      return "GlorotNormal";
    case Initializer::Kind::kHeNormal:
      return "HeNormal";
    case Initializer::Kind::kHeUniform:
      return "HeUniform";
    case Initializer::Kind::kZeros:
      return "Zeros";
    case Initializer::Kind::kOnes:
      return "Ones";
    case Initializer::Kind::kRandomNormal:
      return "RandomNormal";
  }
  return "GlorotUniform";
}

StatusOr<Initializer> ParseInitializer(std::string_view name) {
  for (int k = 0; k <= static_cast<int>(Initializer::Kind::kRandomNormal); ++k) {
    Initializer init{static_cast<Initializer::Kind>(k)};
    if (name == InitializerName(init) || name == InitializerClassName(init)) return init;
  }
  return Status::InvalidArgument("unsupported initializer '" + std::string(name) +
                                 "' (glorot_uniform, glorot_normal, he_normal, he_uniform, zeros, "
                                 "ones, random_normal)");
}

void Initialize(float* data, const Shape& shape, const Initializer& init, Rng& rng) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  const Fans fans = ComputeFans(shape);
  auto uniform = [&](float limit) {
    for (int64_t i = 0; i < n; ++i) data[i] = (2.0f * rng.UniformFloat() - 1.0f) * limit;
  };
  auto truncated = [&](float stddev) {
    for (int64_t i = 0; i < n; ++i) data[i] = TruncatedNormal(rng) * stddev;
  };
  switch (init.kind) {
    case Initializer::Kind::kGlorotUniform:
      uniform(static_cast<float>(std::sqrt(6.0 / (fans.in + fans.out))));
      break;
    case Initializer::Kind::kHeUniform:
      uniform(static_cast<float>(std::sqrt(6.0 / fans.in)));
      break;
    case Initializer::Kind::kGlorotNormal:
      truncated(static_cast<float>(std::sqrt(2.0 / (fans.in + fans.out))) / kTruncatedStddev);
      break;
    case Initializer::Kind::kHeNormal:
      truncated(static_cast<float>(std::sqrt(2.0 / fans.in)) / kTruncatedStddev);
      break;
    case Initializer::Kind::kZeros:
      for (int64_t i = 0; i < n; ++i) data[i] = 0.0f;
      break;
    case Initializer::Kind::kOnes:
      for (int64_t i = 0; i < n; ++i) data[i] = 1.0f;
      break;
    case Initializer::Kind::kRandomNormal:
      for (int64_t i = 0; i < n; ++i) data[i] = init.mean + init.stddev * StandardNormal(rng);
      break;
  }
}

}  // namespace edgepipe::nn
