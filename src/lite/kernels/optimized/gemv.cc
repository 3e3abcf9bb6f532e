#include "src/lite/kernels/optimized/gemv.h"

#include <algorithm>

#include "src/core/isa_dispatch.h"

namespace edgepipe::lite::optimized {

// The per-instruction-set builds of gemv_kernels.inc.
EDGEPIPE_DECLARE_ISA_TABLES(GemvKernels, kGemv)

const GemvKernels* SelectGemv(Isa isa) { return EDGEPIPE_PICK_ISA_TABLE(isa, kGemv); }

void PackGemvWeights(const float* weights, const float* bias, int64_t U, int64_t C, int lanes,
                     std::vector<float>* packed) {
  const int64_t panel_units = int64_t{kGemvPanelVectors} * lanes;
  const int64_t padded_units = (U + lanes - 1) / lanes * lanes;
  packed->assign(static_cast<size_t>(padded_units * (C + 1)), 0.0f);
  float* dst = packed->data();
  for (int64_t u0 = 0; u0 < U; u0 += panel_units) {
    const int64_t width = std::min(panel_units, padded_units - u0);  // P
    const int64_t units = std::min(width, U - u0);
    for (int64_t c = 0; c < C; ++c)
      for (int64_t u = 0; u < units; ++u) dst[c * width + u] = weights[(u0 + u) * C + c];
    if (bias != nullptr) {
      for (int64_t u = 0; u < units; ++u) dst[C * width + u] = bias[u0 + u];
    }
    dst += width * (C + 1);
  }
}

}  // namespace edgepipe::lite::optimized
