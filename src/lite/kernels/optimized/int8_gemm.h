// int8 GEMM for FULLY_CONNECTED and im2col'd CONV_2D (int8 and hybrid), with
// TFLite's exact requantization: results are bit-identical to
// reference::FullyConnectedInt8 / FullyConnectedHybrid / ConvInt8 (tested).
//
//   out[m, n] = output_stage( Σ_k lhs[m, k] · w[n, k] )
//
// Why hand-written: oneDNN's u8s8 GEMM on AVX2 uses vpmaddubsw, whose int16
// pair sums can saturate, and x - zero point of an int8 input spans
// [-255, 255], more than u8 x s8 (vpdpbusd) takes without a row-sum
// correction; exactness on every CPU needs int16 x int16 -> int32 products
// (vpmaddwd, or vpdpwssd with VNNI). So both operands are int16:
//  - the left-hand side holds x + input_offset (x - zero point, in
//    [-255, 255]), written once per call by WidenRows / Im2ColWidened, so the
//    sum is TFLite's Σ (x + offset)·w itself, with no row-sum correction;
//    rows are padded with zeros to an even length (Int8GemmRowStride);
//  - the weights are widened once in Prepare (PackInt8Weights) into panels of
//    16 output channels with k in pairs, the order vpmaddwd consumes.
// The micro-kernel keeps a 6-row x 16-channel int32 tile in 12 AVX2
// registers: per pair of k, 2 weight loads and 6 broadcasts feed 12 vpmaddwd
// (192 multiply-adds); the output stage (requantization or hybrid float
// scaling) runs on the tile in registers. With VNNI the multiply-add and the
// accumulate are one vpdpwssd; with AVX-512 a 12-row x 16-channel tile is one
// zmm per row. Dispatch (src/core/isa_dispatch.h): int8_gemm_kernels.inc is
// compiled once per instruction set, each with its own -m flags, and
// SelectInt8Gemm picks one at run time from the CPU's features
// (core/cpu_features.h), so a build for baseline x86-64 still runs VNNI
// where the CPU has it. Every variant gives the same bytes (tested per
// variant against the reference).
//
// Threads: given a pool, GemmInt8/GemmHybrid split the rows (in whole tiles)
// over it when the product has at least kInt8GemmParallelMacs multiply-adds;
// every output is computed by one thread the same way, so results do not
// depend on the thread count. No allocation in the compute functions;
// thread-compatible.
#ifndef EDGEPIPE_LITE_KERNELS_OPTIMIZED_INT8_GEMM_H_
#define EDGEPIPE_LITE_KERNELS_OPTIMIZED_INT8_GEMM_H_

#include <cstdint>
#include <vector>

#include "src/core/cpu_features.h"
#include "src/core/status.h"

namespace edgepipe {
class ThreadPool;
}

namespace edgepipe::lite::optimized {

// Below this many multiply-adds a GEMM stays on the calling thread: waking a
// pool worker and joining it was measured at ~50 us on this 2-core VM (the
// MNIST MLP at batch 64, 3.2 M MACs per layer, ran slower on 2 threads), so
// only products of ~4 M MACs (~150 us of work) are split.
inline constexpr int64_t kInt8GemmParallelMacs = int64_t{1} << 22;

// int16 elements per left-hand-side row of depth k (k rounded up to even).
inline int64_t Int8GemmRowStride(int64_t k) { return (k + 1) / 2 * 2; }

// weights [n, k] int8 -> packed panels (see above); InvalidArgument when the
// sizes are not positive.
Status PackInt8Weights(const int8_t* weights, int64_t n, int64_t k, std::vector<int16_t>* packed);

// dst[r, 0..k) = src[r, 0..k) + offset, the pad element zero; dst rows have
// Int8GemmRowStride(k) elements. offset in [-255, 255] keeps every value in
// int16 and every pair product sum in int32. Runs SelectInt8Gemm()'s
// widen_rows (kernels call the one they selected in Prepare).
void WidenRows(int16_t* dst, const int8_t* src, int64_t rows, int64_t k, int32_t offset);

struct Int8GemmRequantParams {
  int32_t output_offset;      // output zero point
  const int32_t* multiplier;  // [n] when per_channel, else [1]
  const int32_t* shift;
  bool per_channel;
  int32_t act_min, act_max;
};

// out (m, n) int8 = requant(Σ lhs·w + bias); bias [n] int32 or null. Runs
// SelectInt8Gemm()'s kernel.
void GemmInt8(int8_t* out, const int16_t* lhs, const int16_t* packed, const int32_t* bias,
              int64_t m, int64_t k, int64_t n, const Int8GemmRequantParams& p,
              ThreadPool* pool = nullptr);

struct HybridGemmParams {
  const float* row_scale;     // [m]: each left-hand row's input scale
  const float* weight_scale;  // [n] when per_channel, else [1]
  bool per_channel;
  const float* bias;  // [n] or null
  float act_min, act_max;
};

// out (m, n) float = clamp(bias + Σ lhs·w · (row_scale · weight_scale)),
// TFLite's hybrid FULLY_CONNECTED output stage.
void GemmHybrid(float* out, const int16_t* lhs, const int16_t* packed, int64_t m, int64_t k,
                int64_t n, const HybridGemmParams& p, ThreadPool* pool = nullptr);

// One instruction set's GemmInt8 / GemmHybrid / WidenRows (same contracts as
// above) and its requantization of int32 accumulators, the output stage the
// GEMM and the int8 depthwise convolution share:
//   out[i] = clamp(acc[i] · multiplier[c] >> shift[c] + output_offset,
//                  act_min, act_max), c = per_channel ? i % channels : 0,
// bit-identical to MultiplyByQuantizedMultiplier + AddZeroPoint + clamp.
struct Int8GemmKernel {
  Isa isa;  // the level the kernel was compiled for
  void (*gemm_int8)(int8_t* out, const int16_t* lhs, const int16_t* packed, const int32_t* bias,
                    int64_t m, int64_t k, int64_t n, const Int8GemmRequantParams& p,
                    ThreadPool* pool);
  void (*gemm_hybrid)(float* out, const int16_t* lhs, const int16_t* packed, int64_t m, int64_t k,
                      int64_t n, const HybridGemmParams& p, ThreadPool* pool);
  // dst[i] = src[i] + offset for i < count (int8 -> int16).
  void (*widen)(int16_t* dst, const int8_t* src, int64_t count, int32_t offset);
  void (*widen_rows)(int16_t* dst, const int8_t* src, int64_t rows, int64_t k, int32_t offset);
  void (*requantize)(int8_t* out, const int32_t* acc, int64_t count, int64_t channels,
                     const Int8GemmRequantParams& p);
};

// pool ? pool->num_threads() : 1, and pool->ParallelFor over [0, n) calling
// fn(context, begin, end) per range (inline when pool is null). For the
// per-level kernel files, which must not instantiate std::function
// (isa_dispatch.h); defined in int8_gemm.cc.
int PoolThreads(const ThreadPool* pool);
void ParallelRanges(ThreadPool* pool, int64_t n,
                    void (*fn)(void* context, int64_t begin, int64_t end), void* context);

// The best kernel at or below `isa` (a static object: kernels store the
// pointer in their prepared data). The caller makes sure the CPU supports
// `isa` (SelectedIsa() always is).
const Int8GemmKernel* SelectInt8Gemm(Isa isa = SelectedIsa());

}  // namespace edgepipe::lite::optimized

#endif  // EDGEPIPE_LITE_KERNELS_OPTIMIZED_INT8_GEMM_H_
