// Shape and element-wise kernels (Keras semantics), float32, forward and
// backward: Add, Concatenate (last axis), ZeroPadding2D (NHWC), Rescaling,
// Normalization (+ its adapt statistics). Flatten and Reshape need no kernel
// (row-major data is unchanged; the layer just relabels the shape).
//
// Backward ADDS into the input gradients (caller zeroes them); a null din
// is skipped. Single thread, no allocation.
#ifndef EDGEPIPE_NN_KERNELS_ELEMENTWISE_H_
#define EDGEPIPE_NN_KERNELS_ELEMENTWISE_H_

#include <cstdint>

namespace edgepipe::nn::kernels {

// ---- Add: out = sum of the inputs (same shapes) -----------------------------
// out: (size), written. ins: num_inputs pointers, each (size).
void AddForward(float* out, const float* const* ins, int num_inputs, int64_t size);
// dins[i]: (size) += dout (null entries skipped). dout: (size).
void AddBackward(float* const* dins, const float* dout, int num_inputs, int64_t size);

// ---- Concatenate along the last axis ------------------------------------------
// out: (rows, sum(widths)), written. ins[i]: (rows, widths[i]).
void ConcatenateForward(float* out, const float* const* ins, const int64_t* widths, int num_inputs,
                        int64_t rows);
// dins[i]: (rows, widths[i]) += the matching columns of dout (null skipped).
// dout: (rows, sum(widths)).
void ConcatenateBackward(float* const* dins, const float* dout, const int64_t* widths,
                         int num_inputs, int64_t rows);

// ---- ZeroPadding2D (NHWC) -------------------------------------------------------
struct ZeroPadding2DDims {
  int64_t n, h, w, c;
  int64_t top, bottom, left, right;
  int64_t oh() const { return h + top + bottom; }
  int64_t ow() const { return w + left + right; }
};
// out: (N, OH, OW, C), written (borders 0). in: (N, H, W, C).
void ZeroPadding2DForward(float* out, const float* in, const ZeroPadding2DDims& d);
// din: (N, H, W, C) += interior of dout: (N, OH, OW, C).
void ZeroPadding2DBackward(float* din, const float* dout, const ZeroPadding2DDims& d);

// ---- Rescaling: out = in * scale + offset ----------------------------------------
// out, in: (size); may alias.
void RescalingForward(float* out, const float* in, float scale, float offset, int64_t size);
// din: (size) += dout * scale.
void RescalingBackward(float* din, const float* dout, float scale, int64_t size);

// ---- Normalization (last axis, Keras 3) ---------------------------------------------
// out = (in - mean) / max(sqrt(variance), kNormalizationEpsilon), per channel.
inline constexpr float kNormalizationEpsilon = 1e-7f;  // keras.backend.epsilon()
// out, in: (rows, C); may alias. mean, variance: (C).
void NormalizationForward(float* out, const float* in, const float* mean, const float* variance,
                          int64_t rows, int64_t c);
// din: (rows, C) += dout / max(sqrt(variance), eps). dout: (rows, C).
void NormalizationBackward(float* din, const float* dout, const float* variance, int64_t rows,
                           int64_t c);

// Streaming adapt(): Welford-style merge of batches into per-channel count,
// mean and biased variance (what Keras' adapt stores), in double.
struct NormalizationStats {
  int64_t count = 0;
  // Per channel, (C) each; the caller sizes them (C doubles) before Update.
  double* mean = nullptr;
  double* m2 = nullptr;  // sum of squared deviations
};
// Merges in: (rows, C) into stats (count 0 starts fresh; zero mean/m2 first).
void NormalizationAdaptUpdate(NormalizationStats& stats, const float* in, int64_t rows, int64_t c);
// mean, variance: (C), written (variance = m2 / count; 0 if count == 0).
void NormalizationAdaptFinish(float* mean, float* variance, const NormalizationStats& stats,
                              int64_t c);

}  // namespace edgepipe::nn::kernels

#endif  // EDGEPIPE_NN_KERNELS_ELEMENTWISE_H_
