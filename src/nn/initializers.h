// Keras weight initializers: glorot_uniform, glorot_normal, he_normal,
// he_uniform, zeros, ones, random_normal.
//
// Fans follow Keras's `_compute_fans`: a rank-2 shape (in, out) has
// fan_in = in, fan_out = out; a convolution kernel (kh, kw, in, out) has
// fan_in = kh*kw*in, fan_out = kh*kw*out (so a depthwise kernel (kh, kw, C, 1)
// has fan_in = kh*kw*C, fan_out = kh*kw); rank 1 uses the one dimension for both.
// The *_normal variance-scaling initializers draw a normal truncated at two
// standard deviations, with the stddev divided by 0.87962566103423978 (the
// stddev of the unit normal truncated to [-2, 2]) exactly as Keras does, so
// the variance is the intended one. Draws come from our Rng, so the values
// are ours (not TF's), but reproducible on every platform.
#ifndef EDGEPIPE_NN_INITIALIZERS_H_
#define EDGEPIPE_NN_INITIALIZERS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "src/core/status.h"
#include "src/core/tensor.h"
#include "src/nn/random.h"

namespace edgepipe::nn {

struct Initializer {
  enum class Kind {
    kGlorotUniform,
    kGlorotNormal,
    kHeNormal,
    kHeUniform,
    kZeros,
    kOnes,
    kRandomNormal
  };
  Kind kind = Kind::kGlorotUniform;
  float mean = 0.0f;     // random_normal only
  float stddev = 0.05f;  // random_normal only (Keras default)

  static Initializer Zeros() { return {Kind::kZeros}; }
  static Initializer Ones() { return {Kind::kOnes}; }
};

// "glorot_uniform", ... (the Keras snake_case identifiers).
const char* InitializerName(const Initializer& init);
// Keras class names for model.json: "GlorotUniform", "Zeros", ...
const char* InitializerClassName(const Initializer& init);
// Accepts the snake_case identifier or the class name; InvalidArgument otherwise.
StatusOr<Initializer> ParseInitializer(std::string_view name);

// Fills data (NumElements(shape) floats) drawing from rng.
void Initialize(float* data, const Shape& shape, const Initializer& init, Rng& rng);

// One standard normal draw (Box-Muller on two 24-bit uniforms).
float StandardNormal(Rng& rng);

}  // namespace edgepipe::nn

#endif  // EDGEPIPE_NN_INITIALIZERS_H_
