#include "src/lite/kernels/optimized/pooling.h"

#include "src/core/isa_dispatch.h"

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
  SelectPooling()->avg_float(out, in, g, act_min, act_max);
}

}  // namespace edgepipe::lite::optimized
