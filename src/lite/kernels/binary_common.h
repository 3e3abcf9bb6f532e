// Prepare-time broadcasting for ADD/SUB/MUL (internal to src/lite/kernels):
// NumPy rules, rank <= 6.
#ifndef EDGEPIPE_LITE_KERNELS_BINARY_COMMON_H_
#define EDGEPIPE_LITE_KERNELS_BINARY_COMMON_H_

#include <string>
#include <vector>

#include "src/lite/kernels/kernel.h"
#include "src/lite/kernels/optimized/elementwise.h"
#include "src/lite/kernels/parallel_bands.h"
#include "src/lite/kernels/reference/elementwise.h"
#include "src/lite/schema_util.h"

namespace edgepipe::lite {

inline Status ComputeBroadcast(const KernelTensor& a, const KernelTensor& b,
                               reference::BroadcastShape* s, std::vector<int32_t>* out_dims) {
  constexpr int kR = reference::kMaxBroadcastRank;
  const int ra = static_cast<int>(a.dims.size()), rb = static_cast<int>(b.dims.size());
  if (ra > kR || rb > kR) {
    return Status::Unimplemented("broadcasting beyond rank " + std::to_string(kR) + ": " +
                                 DimsToString(a.dims) + " and " + DimsToString(b.dims));
  }
  const int r = std::max(ra, rb);
  std::array<int32_t, kR> da{}, db{};
  for (int i = 0; i < kR; ++i) {
    const int ia = i - (kR - ra), ib = i - (kR - rb);
    da[static_cast<size_t>(i)] = ia >= 0 ? a.dims[static_cast<size_t>(ia)] : 1;
    db[static_cast<size_t>(i)] = ib >= 0 ? b.dims[static_cast<size_t>(ib)] : 1;
  }
  out_dims->clear();
  int64_t sa = 1, sb = 1;
  for (int i = kR - 1; i >= 0; --i) {
    const auto k = static_cast<size_t>(i);
    int32_t od;
    if (da[k] == db[k]) {
      od = da[k];
    } else if (da[k] == 1) {
      od = db[k];
    } else if (db[k] == 1) {
      od = da[k];
    } else {
      return Status::InvalidArgument("shapes " + DimsToString(a.dims) + " and " +
                                     DimsToString(b.dims) + " do not broadcast");
    }
    s->out_dims[k] = od;
    s->a_strides[k] = da[k] == 1 ? 0 : sa;
    s->b_strides[k] = db[k] == 1 ? 0 : sb;
    sa *= da[k];
    sb *= db[k];
  }
  for (int i = kR - r; i < kR; ++i) out_dims->push_back(s->out_dims[static_cast<size_t>(i)]);
  s->same_shape = a.dims == b.dims;
  s->num_elements = 1;
  for (int32_t d : s->out_dims) s->num_elements *= d;
  return Status::OK();
}

// reference::BinaryFloat on the context's pool: without broadcasting the
// flat output is cut into slices (parallel_bands.h), each computed exactly as
// the whole would be (element by element), so results do not depend on the
// thread count; broadcasting shapes run on the calling thread.
inline void BinaryFloatOnPool(KernelContext& ctx, const optimized::ElementwiseKernels& kernels,
                              reference::BinaryOp op, float* out, const float* a, const float* b,
                              const reference::BroadcastShape& s, float act_min, float act_max) {
  if (!s.same_shape) {
    kernels.binary_float(op, out, a, b, s, act_min, act_max);
    return;
  }
  // Memory-bound: two loads and a store per element, ~16 multiply-adds' time.
  ForEachSlice(ctx, s.num_elements, 16, [&](int64_t begin, int64_t end) {
    reference::BroadcastShape slice = s;
    slice.num_elements = end - begin;
    kernels.binary_float(op, out + begin, a + begin, b + begin, slice, act_min, act_max);
  });
}

}  // namespace edgepipe::lite

#endif  // EDGEPIPE_LITE_KERNELS_BINARY_COMMON_H_
