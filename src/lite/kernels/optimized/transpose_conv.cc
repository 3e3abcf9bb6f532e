#include "src/lite/kernels/optimized/transpose_conv.h"

#include <algorithm>
#include <limits>

#include "src/core/gemm.h"

namespace edgepipe::lite::optimized {

void PackTransposeConvFilter(const float* filter, const reference::TransposeConvShape& s,
                             std::vector<float>* packed) {
  const int64_t ic = s.in_c;
  packed->resize(static_cast<size_t>(int64_t{s.out_c} * s.filter_h * s.filter_w * ic));
  for (int32_t oc = 0; oc < s.out_c; ++oc)
    for (int32_t fy = 0; fy < s.filter_h; ++fy)
      for (int32_t fx = 0; fx < s.filter_w; ++fx) {
        const float* src = filter + ((int64_t{oc} * s.filter_h + fy) * s.filter_w + fx) * ic;
        float* dst = packed->data() + ((int64_t{fy} * s.filter_w + fx) * s.out_c + oc) * ic;
        std::copy(src, src + ic, dst);
      }
}

int64_t TransposeConvColsElements(const reference::TransposeConvShape& s) {
  return int64_t{s.in_h} * s.in_w * s.filter_h * s.filter_w * s.out_c;
}

void TransposeConvFloatGemm(float* out, const float* in, const float* packed_filter,
                            const float* bias, const reference::TransposeConvShape& s,
                            bool bias_first, float act_min, float act_max, float* cols) {
  const int64_t oc_n = s.out_c, in_pixels = int64_t{s.in_h} * s.in_w;
  const int64_t taps = int64_t{s.filter_h} * s.filter_w, n = taps * oc_n;
  const int64_t out_pixels = int64_t{s.out_h} * s.out_w;
  for (int32_t b = 0; b < s.batches; ++b) {
    float* o_img = out + b * out_pixels * oc_n;
    const float* i_img = in + b * in_pixels * s.in_c;
    Sgemm(false, true, in_pixels, n, s.in_c, 1.0f, i_img, s.in_c, packed_filter, s.in_c, 0.0f, cols,
          n);
    for (int64_t p = 0; p < out_pixels; ++p) {
      float* o = o_img + p * oc_n;
      if (bias_first && bias != nullptr) {
        std::copy(bias, bias + oc_n, o);
      } else {
        std::fill(o, o + oc_n, 0.0f);
      }
    }
    reference::ForEachTransposeConvTap(s, [&](int64_t in_p, int64_t tap, int64_t out_p) {
      float* o = o_img + out_p * oc_n;
      const float* t = cols + in_p * n + tap * oc_n;
      for (int64_t k = 0; k < oc_n; ++k) o[k] += t[k];
    });
    const bool add_bias = !bias_first && bias != nullptr;
    for (int64_t p = 0; p < out_pixels; ++p) {
      float* o = o_img + p * oc_n;
      for (int64_t k = 0; k < oc_n; ++k) {
        const float v = add_bias ? o[k] + bias[k] : o[k];
        o[k] = std::min(std::max(v, act_min), act_max);
      }
    }
  }
}

namespace {

// Byte offsets of the pieces of the int8 scratch, each 64-byte aligned.
struct Int8Scratch {
  size_t lhs, cols, acc, ones, total;
};
size_t Align64(size_t n) { return (n + 63) / 64 * 64; }
Int8Scratch Int8ScratchLayout(const reference::TransposeConvShape& s) {
  const size_t in_pixels = static_cast<size_t>(s.in_h) * static_cast<size_t>(s.in_w);
  const size_t n = static_cast<size_t>(s.filter_h) * static_cast<size_t>(s.filter_w) *
                   static_cast<size_t>(s.out_c);
  Int8Scratch l{};
  l.lhs = 0;
  l.cols =
      l.lhs + Align64(in_pixels * static_cast<size_t>(Int8GemmRowStride(s.in_c)) * sizeof(int16_t));
  l.acc = l.cols + Align64(in_pixels * n * sizeof(float));
  l.ones = l.acc + Align64(static_cast<size_t>(s.out_h) * static_cast<size_t>(s.out_w) *
                           static_cast<size_t>(s.out_c) * sizeof(int32_t));
  l.total = l.ones + Align64(in_pixels * sizeof(float));
  return l;
}

}  // namespace

Status PackTransposeConvFilterInt8(const int8_t* filter, const reference::TransposeConvShape& s,
                                   std::vector<int16_t>* packed) {
  const int64_t ic = s.in_c;
  std::vector<int8_t> rows(static_cast<size_t>(int64_t{s.out_c} * s.filter_h * s.filter_w * ic));
  for (int32_t oc = 0; oc < s.out_c; ++oc)
    for (int32_t fy = 0; fy < s.filter_h; ++fy)
      for (int32_t fx = 0; fx < s.filter_w; ++fx) {
        const int8_t* src = filter + ((int64_t{oc} * s.filter_h + fy) * s.filter_w + fx) * ic;
        int8_t* dst = rows.data() + ((int64_t{fy} * s.filter_w + fx) * s.out_c + oc) * ic;
        std::copy(src, src + ic, dst);
      }
  return PackInt8Weights(rows.data(), int64_t{s.filter_h} * s.filter_w * s.out_c, ic, packed);
}

size_t TransposeConvInt8ScratchBytes(const reference::TransposeConvShape& s) {
  return Int8ScratchLayout(s).total;
}

void TransposeConvInt8Gemm(int8_t* out, const int8_t* in, const int16_t* packed_filter,
                           const int32_t* bias, const reference::TransposeConvShape& s,
                           const reference::Int8ConvParams& p, const Int8GemmKernel& gemm,
                           void* scratch) {
  const Int8Scratch l = Int8ScratchLayout(s);
  auto* base = static_cast<unsigned char*>(scratch);
  auto* lhs = reinterpret_cast<int16_t*>(base + l.lhs);
  auto* cols = reinterpret_cast<float*>(base + l.cols);
  auto* acc = reinterpret_cast<int32_t*>(base + l.acc);
  auto* ones = reinterpret_cast<float*>(base + l.ones);
  const int64_t oc_n = s.out_c, in_pixels = int64_t{s.in_h} * s.in_w;
  const int64_t n = int64_t{s.filter_h} * s.filter_w * oc_n;
  const int64_t out_elements = int64_t{s.out_h} * s.out_w * oc_n;
  std::fill(ones, ones + in_pixels, 1.0f);
  const float unit = 1.0f;
  // Unit scales, no bias, no clamp: each output is float(Σ) (exact, see header).
  const HybridGemmParams hp{ones,
                            &unit,
                            false,
                            nullptr,
                            -std::numeric_limits<float>::infinity(),
                            std::numeric_limits<float>::infinity()};
  for (int32_t b = 0; b < s.batches; ++b) {
    WidenRows(lhs, in + b * in_pixels * s.in_c, in_pixels, s.in_c, p.input_offset);
    gemm.gemm_hybrid(cols, lhs, packed_filter, in_pixels, s.in_c, n, hp, nullptr);
    std::fill(acc, acc + out_elements, 0);
    reference::ForEachTransposeConvTap(s, [&](int64_t in_p, int64_t tap, int64_t out_p) {
      int32_t* __restrict o = acc + out_p * oc_n;
      const float* __restrict t = cols + in_p * n + tap * oc_n;
      for (int64_t k = 0; k < oc_n; ++k) o[k] += static_cast<int32_t>(t[k]);
    });
    reference::RequantizeTransposeConvInt8(out + b * out_elements, acc, bias, out_elements, s.out_c,
                                           p);
  }
}

}  // namespace edgepipe::lite::optimized
