#include "src/lite/kernels/optimized/pooling.h"

#include <algorithm>

#include "src/lite/kernels/optimized/isa_dispatch.h"

namespace edgepipe::lite::optimized {

// The per-instruction-set builds of pooling_kernels.inc.
EDGEPIPE_DECLARE_ISA_TABLES(PoolingKernels, kPooling)

const PoolingKernels* SelectPooling(Isa isa) { return EDGEPIPE_PICK_ISA_TABLE(isa, kPooling); }

void MaxPoolInt8(int8_t* out, const int8_t* in, const reference::ConvGeometry& g, int32_t act_min,
                 int32_t act_max) {
  SelectPooling()->max_int8(out, in, g, act_min, act_max);
}

void MaxPoolFloat(float* out, const float* in, const reference::ConvGeometry& g, float act_min,
                  float act_max) {
  SelectPooling()->max_float(out, in, g, act_min, act_max);
}

void AvgPoolFloat(float* out, const float* in, const reference::ConvGeometry& g, float act_min,
                  float act_max) {
  const int64_t C = g.out_c;
  for (int b = 0; b < g.batch; ++b)
    for (int oy = 0; oy < g.out_h; ++oy) {
      const int y0 = std::max(oy * g.stride_h - g.pad_h, 0);
      const int y1 = std::min(oy * g.stride_h - g.pad_h + g.filter_h, g.in_h);
      for (int ox = 0; ox < g.out_w; ++ox) {
        const int x0 = std::max(ox * g.stride_w - g.pad_w, 0);
        const int x1 = std::min(ox * g.stride_w - g.pad_w + g.filter_w, g.in_w);
        float* o = out + ((static_cast<int64_t>(b) * g.out_h + oy) * g.out_w + ox) * C;
        std::fill(o, o + C, 0.0f);
        for (int y = y0; y < y1; ++y)
          for (int x = x0; x < x1; ++x) {
            const float* p = in + ((static_cast<int64_t>(b) * g.in_h + y) * g.in_w + x) * g.in_c;
            for (int64_t c = 0; c < C; ++c) o[c] += p[c];
          }
        const int count = (y1 - y0) * (x1 - x0);
        for (int64_t c = 0; c < C; ++c) {
          const float avg = count > 0 ? o[c] / static_cast<float>(count) : 0.0f;
          o[c] = std::min(std::max(avg, act_min), act_max);
        }
      }
    }
}

}  // namespace edgepipe::lite::optimized
