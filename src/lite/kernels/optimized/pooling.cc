#include "src/lite/kernels/optimized/pooling.h"

#include "src/core/isa_dispatch.h"

namespace edgepipe::lite::optimized {

// The per-instruction-set builds of pooling_kernels.inc.
EDGEPIPE_DECLARE_ISA_TABLES(PoolingKernels, kPooling)

const PoolingKernels* SelectPooling(Isa isa) { return EDGEPIPE_PICK_ISA_TABLE(isa, kPooling); }

}  // namespace edgepipe::lite::optimized
