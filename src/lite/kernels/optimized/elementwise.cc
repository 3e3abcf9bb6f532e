#include "src/lite/kernels/optimized/elementwise.h"

#include "src/core/isa_dispatch.h"

namespace edgepipe::lite::optimized {

// The per-instruction-set builds of elementwise_kernels.inc.
EDGEPIPE_DECLARE_ISA_TABLES(ElementwiseKernels, kElementwise)

const ElementwiseKernels* SelectElementwise(Isa isa) {
  return EDGEPIPE_PICK_ISA_TABLE(isa, kElementwise);
}

}  // namespace edgepipe::lite::optimized
