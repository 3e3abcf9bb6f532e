// Reference float softmax over the last dimension (max-subtracted, as TFLite).
#ifndef EDGEPIPE_LITE_KERNELS_REFERENCE_SOFTMAX_H_
#define EDGEPIPE_LITE_KERNELS_REFERENCE_SOFTMAX_H_

#include <cstdint>

namespace edgepipe::lite::reference {

// out: (N, D) = softmax(beta * in (N, D)) row by row. out may alias in.
void SoftmaxFloat(float* out, const float* in, int64_t N, int64_t D, float beta);

}  // namespace edgepipe::lite::reference

#endif  // EDGEPIPE_LITE_KERNELS_REFERENCE_SOFTMAX_H_
