#include "src/nn/kernels/optimizer_loops.h"

#include "src/core/isa_dispatch.h"

namespace edgepipe::nn::kernels {

// The per-instruction-set builds of optimizer_loops_kernels.inc.
EDGEPIPE_DECLARE_ISA_TABLES(OptimizerLoops, kOptimizerLoops)

const OptimizerLoops* SelectOptimizerLoops(Isa isa) {
  return EDGEPIPE_PICK_ISA_TABLE(isa, kOptimizerLoops);
}

}  // namespace edgepipe::nn::kernels
