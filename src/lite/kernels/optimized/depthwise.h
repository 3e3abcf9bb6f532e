// Depthwise convolution with depth_multiplier 1, vectorised over channels:
// per output pixel, each window tap adds in[c]·filter[tap, c] for a vector
// of channels at once (AVX2 intrinsics: GCC 12 at -O2 does not vectorise
// these loops; VNNI's vpdpwssd where the CPU has it). Same results as
// reference::DepthwiseConv* (int8 bit-exact; float sums taps in the same
// order, within 1e-5 relative: the vector paths may fuse multiply and add).
// Compiled once per instruction set and picked at run time
// (optimized/isa_dispatch.h). The kernels take a band of output rows as a
// geometry of their own (any out_h), so callers may split the rows over
// threads. No allocation; thread-compatible.
#ifndef EDGEPIPE_LITE_KERNELS_OPTIMIZED_DEPTHWISE_H_
#define EDGEPIPE_LITE_KERNELS_OPTIMIZED_DEPTHWISE_H_

#include <cstdint>
#include <vector>

#include "src/core/cpu_features.h"
#include "src/lite/kernels/reference/conv.h"

namespace edgepipe::lite::optimized {

// float: 8 channels per vector. tap_offsets: scratch of filter_h·filter_w
// int64 (where each tap of the current pixel reads), as for int8.
void DepthwiseConvFloatM1(float* out, const float* in, const float* filter, const float* bias,
                          const reference::ConvGeometry& g, float act_min, float act_max,
                          int64_t* tap_offsets);

// int8: channels in blocks of 16 as int16 (x - zero point, weight) pairs of
// two window taps, so one vpmaddwd does 16 multiply-adds exactly; the
// filter is repacked once by PackDepthwiseInt8Filter. Channels past the
// last full block run as plain loops. tap_offsets: scratch of
// filter_h·filter_w int64 (where each tap of the current pixel reads).
void PackDepthwiseInt8Filter(const int8_t* filter, int taps, int channels,
                             std::vector<int16_t>* packed);
void DepthwiseConvInt8M1(int8_t* out, const int8_t* in, const int8_t* filter, const int16_t* packed,
                         const int32_t* bias, const reference::ConvGeometry& g,
                         const reference::Int8ConvParams& p, int64_t* tap_offsets);

// One instruction set's kernels (same contracts as above). The free
// functions above run SelectDepthwise()'s; kernels select in Prepare.
struct DepthwiseKernels {
  Isa isa;  // the level the kernels were compiled for
  void (*float_m1)(float* out, const float* in, const float* filter, const float* bias,
                   const reference::ConvGeometry& g, float act_min, float act_max,
                   int64_t* tap_offsets);
  void (*int8_m1)(int8_t* out, const int8_t* in, const int8_t* filter, const int16_t* packed,
                  const int32_t* bias, const reference::ConvGeometry& g,
                  const reference::Int8ConvParams& p, int64_t* tap_offsets);
};

// The best kernels at or below `isa` (a static table). The caller makes
// sure the CPU supports `isa` (SelectedIsa() always is).
const DepthwiseKernels* SelectDepthwise(Isa isa = SelectedIsa());

}  // namespace edgepipe::lite::optimized

#endif  // EDGEPIPE_LITE_KERNELS_OPTIMIZED_DEPTHWISE_H_
