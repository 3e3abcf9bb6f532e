#include "src/lite/kernels/optimized/conv_direct.h"

#include <algorithm>

namespace edgepipe::lite::optimized {

#if defined(__x86_64__)
namespace avx2 {
void ConvDirect(float* out, const float* image, const float* packed,
                const reference::ConvGeometry& g, float act_min, float act_max);
}
namespace avx512 {
void ConvDirect(float* out, const float* image, const float* packed,
                const reference::ConvGeometry& g, float act_min, float act_max);
}
#endif

const ConvDirectKernel* SelectConvDirect(Isa isa) {
#if defined(__x86_64__)
  static const ConvDirectKernel kAvx2{Isa::kAvx2, 8, 2, avx2::ConvDirect};
  static const ConvDirectKernel kAvx512{Isa::kAvx512, 16, 4, avx512::ConvDirect};
  switch (isa) {
    case Isa::kAvx512Vnni:
    case Isa::kAvx512:
      return &kAvx512;
    case Isa::kAvx2Vnni:
    case Isa::kAvx2:
      return &kAvx2;
    case Isa::kGeneric:
      break;
  }
#else
  (void)isa;
#endif
  return nullptr;
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
