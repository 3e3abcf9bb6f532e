// int8 GEMM for FULLY_CONNECTED and im2col'd CONV_2D (int8 and hybrid), with
// TFLite's exact requantization: results are bit-identical to
// reference::FullyConnectedInt8 / FullyConnectedHybrid (tested).
//
// Why hand-written: no AVX-512-VNNI here, and oneDNN's u8s8 GEMM on AVX2 uses
// vpmaddubsw, whose int16 pair sums can saturate; exactness needs int16 x
// int16 -> int32 products (vpmaddwd). Weights are widened to int16 once in
// Prepare (PackInt8Weights), so the inner loop is load, madd, add.
// Dispatch: AVX2 when the compiler targets it (-march=native), else plain
// loops with the same results.
//
// No allocation in the compute functions; thread-compatible.
#ifndef EDGEPIPE_LITE_KERNELS_OPTIMIZED_INT8_GEMM_H_
#define EDGEPIPE_LITE_KERNELS_OPTIMIZED_INT8_GEMM_H_

#include <cstdint>
#include <vector>

#include "src/core/status.h"

namespace edgepipe::lite::optimized {

// packed = weights [U, C] widened to int16, each row padded with zeros to a
// multiple of 16, followed by the U row sums (as two int16 halves of an
// int32 each, low then high).
Status PackInt8Weights(const int8_t* weights, int64_t U, int64_t C, std::vector<int16_t>* packed);

struct Int8GemmRequantParams {
  int32_t input_offset;   // -input zero point
  int32_t output_offset;  // output zero point
  const int32_t* multiplier;
  const int32_t* shift;
  bool per_channel;
  int32_t act_min, act_max;
};

// out (B, U) int8 = requant(Σ w·(x + input_offset) + bias).
void FullyConnectedInt8Packed(int8_t* out, const int8_t* in, const int16_t* packed,
                              const int32_t* bias, int64_t B, int64_t C, int64_t U,
                              const Int8GemmRequantParams& p);

// out (B, U) float = clamp(bias + Σ w·(q - offset[b]) · scale[b] · wscale[u or 0]).
void FullyConnectedHybridPacked(float* out, const int8_t* in_q, const float* input_scale,
                                const int32_t* input_offset, const int16_t* packed,
                                const float* weight_scale, bool per_channel, const float* bias,
                                int64_t B, int64_t C, int64_t U, float act_min, float act_max);

}  // namespace edgepipe::lite::optimized

#endif  // EDGEPIPE_LITE_KERNELS_OPTIMIZED_INT8_GEMM_H_
