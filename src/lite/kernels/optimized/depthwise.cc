#include "src/lite/kernels/optimized/depthwise.h"

#include "src/core/isa_dispatch.h"

namespace edgepipe::lite::optimized {

// The per-instruction-set builds of depthwise_kernels.inc.
EDGEPIPE_DECLARE_ISA_TABLES(DepthwiseKernels, kDepthwise)

namespace {

constexpr int kBlock = 16;  // channels per vector block (depthwise_kernels.inc)

int64_t TapPairs(int taps) { return (taps + 1) / 2; }

// Position of channel c of a 16-channel block, interleaved with its partner
// tap, in the two vectors vpunpcklwd/vpunpckhwd make of (tap a, tap b): the
// unpacks work per 128-bit half, so vector 0 holds channels 0-3 and 8-11,
// vector 1 channels 4-7 and 12-15, each as (a, b) pairs.
int InterleavedIndex(int c, int which_tap) {
  const int half = c / 8, within = c % 8;
  const int vector = within / 4;
  return vector * 16 + half * 8 + (within % 4) * 2 + which_tap;
}

}  // namespace

const DepthwiseKernels* SelectDepthwise(Isa isa) {
  return EDGEPIPE_PICK_ISA_TABLE(isa, kDepthwise);
}

void PackDepthwiseInt8Filter(const int8_t* filter, int taps, int channels,
                             std::vector<int16_t>* packed) {
  const int blocks = channels / kBlock;
  const int64_t pairs = TapPairs(taps);
  packed->assign(static_cast<size_t>(blocks * pairs * 2 * kBlock), 0);
  for (int blk = 0; blk < blocks; ++blk)
    for (int64_t pair = 0; pair < pairs; ++pair) {
      int16_t* dst = packed->data() + (blk * pairs + pair) * 2 * kBlock;
      for (int which = 0; which < 2; ++which) {
        const int64_t tap = 2 * pair + which;
        if (tap >= taps) continue;  // odd tap count: the partner weight stays 0
        for (int c = 0; c < kBlock; ++c) {
          dst[InterleavedIndex(c, which)] = filter[tap * channels + blk * kBlock + c];
        }
      }
    }
}

void PackDepthwiseFloatFilter(const float* filter, const float* bias, int taps, int channels,
                              int lanes, std::vector<float>* packed) {
  const int64_t blocks = (channels + lanes - 1) / lanes;
  const int64_t block_floats = (int64_t{taps} + 1) * lanes;
  packed->assign(static_cast<size_t>(blocks * block_floats), 0.0f);
  for (int c = 0; c < channels; ++c) {
    float* dst = packed->data() + (c / lanes) * block_floats + c % lanes;
    for (int64_t tap = 0; tap < taps; ++tap) dst[tap * lanes] = filter[tap * channels + c];
    if (bias != nullptr) dst[int64_t{taps} * lanes] = bias[c];
  }
}

}  // namespace edgepipe::lite::optimized
