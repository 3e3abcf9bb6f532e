// TRANSPOSE_CONV / MediaPipe's Convolution2DTransposeBias as one GEMM plus a
// scatter ("col2im"): every input pixel times every filter tap is
//   cols (in_h·in_w, fh·fw·out_c) = input (in_h·in_w, in_c) · filterᵀ
// through oneDNN's sgemm (core/gemm.h), then each tap's out_c values are added
// into the output pixel it lands on, in the reference's order (input pixels
// row by row, taps row by row). Only the in_c-long dot products are formed
// differently from reference::TransposeConvFloat (blocked and fused by the
// GEMM), so results agree to float rounding (~1e-6 relative), not bit for bit.
//
// Memory: the repacked filter (PackTransposeConvFilter, once in Prepare) and
// `cols` (TransposeConvColsElements floats of scratch) belong to the caller.
// No allocation; thread-compatible.
#ifndef EDGEPIPE_LITE_KERNELS_OPTIMIZED_TRANSPOSE_CONV_H_
#define EDGEPIPE_LITE_KERNELS_OPTIMIZED_TRANSPOSE_CONV_H_

#include <cstdint>
#include <vector>

#include "src/core/status.h"
#include "src/lite/kernels/optimized/int8_gemm.h"
#include "src/lite/kernels/reference/transpose_conv.h"

namespace edgepipe::lite::optimized {

// filter [out_c, fh, fw, in_c] -> [fh, fw, out_c, in_c] (each tap's out_c
// rows together, so a tap's results are contiguous in `cols`).
void PackTransposeConvFilter(const float* filter, const reference::TransposeConvShape& s,
                             std::vector<float>* packed);

// Floats of `cols` scratch for one image.
int64_t TransposeConvColsElements(const reference::TransposeConvShape& s);

// Same contract as reference::TransposeConvFloat, with the packed filter.
void TransposeConvFloatGemm(float* out, const float* in, const float* packed_filter,
                            const float* bias, const reference::TransposeConvShape& s,
                            bool bias_first, float act_min, float act_max, float* cols);

// int8: the same GEMM + scatter on the exact int8 GEMM (int8_gemm.h). Its
// hybrid output stage with unit scales, no bias and no clamp returns each
// int32 dot product as a float, exactly while |Σ| < 2^24; with
// |x - zero point| <= 255 and |w| <= 127 that holds for in_c <= 518
// (kTransposeConvInt8MaxGemmDepth; deeper filters use the reference). The
// int32 sums are then scattered, biased and requantized as the reference
// does, so results are bit-identical to reference::TransposeConvInt8.
inline constexpr int32_t kTransposeConvInt8MaxGemmDepth = 518;

// filter [out_c, fh, fw, in_c] int8 -> the GEMM's packed panels of the
// [fh·fw·out_c, in_c] matrix (PackInt8Weights).
Status PackTransposeConvFilterInt8(const int8_t* filter, const reference::TransposeConvShape& s,
                                   std::vector<int16_t>* packed);

// Scratch of one image, in bytes (64-byte aligned pieces): the widened input,
// the GEMM's float columns, the int32 accumulators and the unit row scales.
size_t TransposeConvInt8ScratchBytes(const reference::TransposeConvShape& s);

// Same contract as reference::TransposeConvInt8 (s.in_c <=
// kTransposeConvInt8MaxGemmDepth), with the packed filter and `scratch`.
void TransposeConvInt8Gemm(int8_t* out, const int8_t* in, const int16_t* packed_filter,
                           const int32_t* bias, const reference::TransposeConvShape& s,
                           const reference::Int8ConvParams& p, const Int8GemmKernel& gemm,
                           void* scratch);

}  // namespace edgepipe::lite::optimized

#endif  // EDGEPIPE_LITE_KERNELS_OPTIMIZED_TRANSPOSE_CONV_H_
