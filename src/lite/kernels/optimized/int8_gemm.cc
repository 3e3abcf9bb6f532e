#include "src/lite/kernels/optimized/int8_gemm.h"

#include <algorithm>
#include <cstring>

#include "src/core/parallel.h"
#include "src/core/isa_dispatch.h"

namespace edgepipe::lite::optimized {

// The per-instruction-set builds of int8_gemm_kernels.inc.
EDGEPIPE_DECLARE_ISA_TABLES(Int8GemmKernel, kInt8Gemm)

namespace {

constexpr int64_t kPanel = 16;  // output channels per weight panel (int8_gemm_kernels.inc)

int64_t NumPanels(int64_t n) { return (n + kPanel - 1) / kPanel; }

}  // namespace

const Int8GemmKernel* SelectInt8Gemm(Isa isa) { return EDGEPIPE_PICK_ISA_TABLE(isa, kInt8Gemm); }

int PoolThreads(const ThreadPool* pool) { return pool == nullptr ? 1 : pool->num_threads(); }

void ParallelRanges(ThreadPool* pool, int64_t n,
                    void (*fn)(void* context, int64_t begin, int64_t end), void* context) {
  if (pool == nullptr) {
    fn(context, 0, n);
    return;
  }
  pool->ParallelFor(
      n, [fn, context](int64_t begin, int64_t end, int /*thread*/) { fn(context, begin, end); });
}

Status PackInt8Weights(const int8_t* weights, int64_t n, int64_t k, std::vector<int16_t>* packed) {
  if (n <= 0 || k <= 0) {
    return Status::InvalidArgument("int8 GEMM weights need positive sizes, got [" +
                                   std::to_string(n) + ", " + std::to_string(k) + "]");
  }
  const int64_t pairs = Int8GemmRowStride(k) / 2;
  packed->assign(static_cast<size_t>(NumPanels(n) * pairs * 2 * kPanel), 0);
  int16_t* base = packed->data();
  for (int64_t row = 0; row < n; ++row) {
    int16_t* panel = base + (row / kPanel) * pairs * 2 * kPanel;
    const int64_t j = row % kPanel;
    for (int64_t c = 0; c < k; ++c) panel[(c / 2) * 32 + 2 * j + c % 2] = weights[row * k + c];
  }
  return Status::OK();
}

void WidenRows(int16_t* dst, const int8_t* src, int64_t rows, int64_t k, int32_t offset) {
  SelectInt8Gemm()->widen_rows(dst, src, rows, k, offset);
}

void GemmInt8(int8_t* out, const int16_t* lhs, const int16_t* packed, const int32_t* bias,
              int64_t m, int64_t k, int64_t n, const Int8GemmRequantParams& p, ThreadPool* pool) {
  SelectInt8Gemm()->gemm_int8(out, lhs, packed, bias, m, k, n, p, pool);
}

void GemmHybrid(float* out, const int16_t* lhs, const int16_t* packed, int64_t m, int64_t k,
                int64_t n, const HybridGemmParams& p, ThreadPool* pool) {
  SelectInt8Gemm()->gemm_hybrid(out, lhs, packed, m, k, n, p, pool);
}

}  // namespace edgepipe::lite::optimized
