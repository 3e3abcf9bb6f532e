// BatchNormalization over the last (channel) axis (Keras semantics), float32,
// forward (training and inference) and backward (training).
//
// Input is seen as (M, C) with M = N * H * W (any leading shape). Training
// normalises with the batch mean and the biased batch variance
// (sum (x - mean)^2 / M), and updates the running statistics as Keras 3 does:
//   moving = moving * momentum + batch * (1 - momentum)
// (the biased variance also feeds moving_variance). Inference uses the moving
// statistics. Keras defaults: momentum 0.99, epsilon 1e-3.
//
// gamma / beta may be null (Keras scale=False / center=False: 1 and 0).
// Backward ADDS into din / dgamma / dbeta (caller zeroes them); each may be
// null. Statistics are accumulated in double so large M stays accurate.
// No allocation. Single thread (memory bound; callers may split by channel).
#ifndef EDGEPIPE_NN_KERNELS_BATCH_NORM_H_
#define EDGEPIPE_NN_KERNELS_BATCH_NORM_H_

#include <cstdint>

namespace edgepipe::nn::kernels {

inline constexpr float kBatchNormMomentum = 0.99f;
inline constexpr float kBatchNormEpsilon = 1e-3f;

// out: (M, C), written. batch_mean, batch_inv_std: (C), written (what
// Backward reads: mean and 1 / sqrt(var + epsilon)). moving_mean,
// moving_variance: (C), updated in place. in: (M, C). gamma, beta: (C) or null.
void BatchNormTrainingForward(float* out, float* batch_mean, float* batch_inv_std,
                              float* moving_mean, float* moving_variance, const float* in,
                              const float* gamma, const float* beta, int64_t m, int64_t c,
                              float momentum, float epsilon);

// out: (M, C), written. in: (M, C). moving_mean, moving_variance,
// gamma (or null), beta (or null): (C).
void BatchNormInferenceForward(float* out, const float* in, const float* moving_mean,
                               const float* moving_variance, const float* gamma, const float* beta,
                               int64_t m, int64_t c, float epsilon);

// Backward of BatchNormTrainingForward (batch statistics depend on the input).
// din: (M, C) += ; dgamma, dbeta: (C) += ; each may be null. dout, in: (M, C).
// batch_mean, batch_inv_std: (C) from the Forward. gamma: (C) or null.
void BatchNormTrainingBackward(float* din, float* dgamma, float* dbeta, const float* dout,
                               const float* in, const float* batch_mean, const float* batch_inv_std,
                               const float* gamma, int64_t m, int64_t c);

// Backward of BatchNormInferenceForward (statistics are constants; used when
// a frozen BN layer is fine-tuned around). Same gradient conventions.
void BatchNormInferenceBackward(float* din, float* dgamma, float* dbeta, const float* dout,
                                const float* in, const float* moving_mean,
                                const float* moving_variance, const float* gamma, int64_t m,
                                int64_t c, float epsilon);

}  // namespace edgepipe::nn::kernels

#endif  // EDGEPIPE_NN_KERNELS_BATCH_NORM_H_
