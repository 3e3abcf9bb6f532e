// Reference float softmax over the last dimension (max-subtracted, as TFLite).
#ifndef EDGEPIPE_LITE_KERNELS_REFERENCE_SOFTMAX_H_
#define EDGEPIPE_LITE_KERNELS_REFERENCE_SOFTMAX_H_

#include <cstdint>

namespace edgepipe::lite::reference {

// out: (N, D) = softmax(beta * in (N, D)) row by row. out may alias in.
void SoftmaxFloat(float* out, const float* in, int64_t N, int64_t D, float beta);

// int8 softmax as TFLite's builtin kernel computes it: a 256-entry float
// table of exp(-input_scale · beta · k), a float sum per row, and
// round(p · 256) - 128 (output scale 1/256, zero point -128, enforced by
// Prepare). Fill `table` once with PopulateSoftmaxTable.
void PopulateSoftmaxTable(float* table, float input_scale, float beta);
void SoftmaxInt8(int8_t* out, const int8_t* in, int64_t N, int64_t D, const float* table,
                 float output_scale, int32_t output_zero_point);

}  // namespace edgepipe::lite::reference

#endif  // EDGEPIPE_LITE_KERNELS_REFERENCE_SOFTMAX_H_
