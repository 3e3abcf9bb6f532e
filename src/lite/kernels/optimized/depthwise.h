// Depthwise convolution with depth_multiplier 1, vectorised over channels.
// Same results as reference::DepthwiseConv* (int8 bit-exact; float sums
// taps in the same order, within 1e-5 relative: the vector paths fuse
// multiply and add). Compiled once per instruction set and picked at run
// time (src/core/isa_dispatch.h). The kernels take a band of output rows
// as a geometry of their own (any out_h, pad_h may be negative), so callers
// may split the rows over threads. No allocation; thread-compatible.
//
// float: the filter and bias are packed once (PackDepthwiseFloatFilter)
// into blocks of the level's vector width of channels. Each output row is
// cut into interior columns (every tap inside the image) and border
// columns; interior pixels go in runs of up to 8, each run's accumulators
// (8 pixels x one vector of channels) stay in registers over all taps, and
// bias and activation are applied before the one store. Rows clip their
// taps once per row. A last partial block of channels uses masked loads and
// stores (AVX2/AVX-512).
//
// int8: per output pixel, each window tap adds in[c]·filter[tap, c] for 16
// channels at once (AVX2 intrinsics; VNNI's vpdpwssd where the CPU has it).
#ifndef EDGEPIPE_LITE_KERNELS_OPTIMIZED_DEPTHWISE_H_
#define EDGEPIPE_LITE_KERNELS_OPTIMIZED_DEPTHWISE_H_

#include <cstdint>
#include <vector>

#include "src/core/cpu_features.h"
#include "src/lite/kernels/reference/conv.h"

namespace edgepipe::lite::optimized {

// Repacks filter [taps, channels] and bias [channels] (may be null: zeros)
// into ceil(channels / lanes) blocks of (taps + 1)·lanes floats: each tap's
// `lanes` channel weights, then the block's biases; channels past the last
// are zero. Replaces *packed.
void PackDepthwiseFloatFilter(const float* filter, const float* bias, int taps, int channels,
                              int lanes, std::vector<float>* packed);

// int8: channels in blocks of 16 as int16 (x - zero point, weight) pairs of
// two window taps, so one vpmaddwd does 16 multiply-adds exactly; the
// filter is repacked once by PackDepthwiseInt8Filter. Channels past the
// last full block run as plain loops. tap_offsets: scratch of
// filter_h·filter_w int64 (where each tap of the current pixel reads).
void PackDepthwiseInt8Filter(const int8_t* filter, int taps, int channels,
                             std::vector<int16_t>* packed);

// One instruction set's kernels; the depthwise kernel selects in Prepare.
struct DepthwiseKernels {
  Isa isa;          // the level the kernels were compiled for
  int float_lanes;  // channels per float vector: PackDepthwiseFloatFilter's `lanes`
  // float: `packed` from PackDepthwiseFloatFilter with these float_lanes.
  void (*float_m1)(float* out, const float* in, const float* packed,
                   const reference::ConvGeometry& g, float act_min, float act_max);
  // int8: `packed` from PackDepthwiseInt8Filter.
  void (*int8_m1)(int8_t* out, const int8_t* in, const int8_t* filter, const int16_t* packed,
                  const int32_t* bias, const reference::ConvGeometry& g,
                  const reference::Int8ConvParams& p, int64_t* tap_offsets);
};

// The best kernels at or below `isa` (a static table). The caller makes
// sure the CPU supports `isa` (SelectedIsa() always is).
const DepthwiseKernels* SelectDepthwise(Isa isa = SelectedIsa());

}  // namespace edgepipe::lite::optimized

#endif  // EDGEPIPE_LITE_KERNELS_OPTIMIZED_DEPTHWISE_H_
