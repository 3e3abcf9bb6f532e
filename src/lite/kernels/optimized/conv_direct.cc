#include "src/lite/kernels/optimized/conv_direct.h"

#include <algorithm>

#include "src/core/isa_dispatch.h"

namespace edgepipe::lite::optimized {

// The per-instruction-set builds of conv_direct_kernels.inc.
EDGEPIPE_DECLARE_ISA_TABLES(ConvDirectKernel, kConvDirect)

const ConvDirectKernel* SelectConvDirect(Isa isa) {
  const ConvDirectKernel* kernel = EDGEPIPE_PICK_ISA_TABLE(isa, kConvDirect);
  return kernel->conv != nullptr ? kernel : nullptr;
}

const ConvDirectKernel* SelectConvDirect() { return SelectConvDirect(SelectedIsa()); }

void PackConvDirectFilter(const float* filter, const float* bias, int out_c, int filter_h,
                          int filter_w, int in_c, const ConvDirectKernel& kernel,
                          std::vector<float>* packed) {
  const int64_t lanes = kernel.lanes;
  const int64_t padded = (int64_t{out_c} + lanes - 1) / lanes * lanes;
  const int64_t group = kernel.group_vectors * lanes;
  const int64_t k = int64_t{filter_h} * filter_w * in_c;
  packed->assign(static_cast<size_t>((k + 1) * padded), 0.0f);
  for (int64_t oc = 0; oc < out_c; ++oc) {
    const int64_t oc0 = oc / group * group, width = std::min(group, padded - oc0);
    for (int64_t j = 0; j < k; ++j) {
      (*packed)[static_cast<size_t>(oc0 * k + j * width + (oc - oc0))] = filter[oc * k + j];
    }
    if (bias != nullptr) (*packed)[static_cast<size_t>(k * padded + oc)] = bias[oc];
  }
}

}  // namespace edgepipe::lite::optimized
