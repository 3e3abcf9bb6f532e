#include "src/lite/kernels/reference/slice_reduce.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "src/lite/quantization_util.h"

namespace edgepipe::lite::reference {

void StridedSlice(uint8_t* out, const uint8_t* in, const StridedSliceParams& p, size_t elem) {
  int64_t in_stride[kMaxSliceRank];
  int64_t s = 1;
  for (int k = kMaxSliceRank - 1; k >= 0; --k) {
    in_stride[k] = s;
    s *= p.in_dims[k];
  }
  auto at = [&](int k, int64_t i) { return (p.start[k] + i * p.stride[k]) * in_stride[k]; };
  for (int64_t i0 = 0; i0 < p.count[0]; ++i0)
    for (int64_t i1 = 0; i1 < p.count[1]; ++i1)
      for (int64_t i2 = 0; i2 < p.count[2]; ++i2)
        for (int64_t i3 = 0; i3 < p.count[3]; ++i3)
          for (int64_t i4 = 0; i4 < p.count[4]; ++i4) {
            const int64_t base = at(0, i0) + at(1, i1) + at(2, i2) + at(3, i3) + at(4, i4);
            for (int64_t i5 = 0; i5 < p.count[5]; ++i5) {
              std::memcpy(out, in + static_cast<size_t>(base + at(5, i5)) * elem, elem);
              out += elem;
            }
          }
}

void Gather(uint8_t* out, const uint8_t* params, const int32_t* indices, int64_t outer,
            int64_t axis_size, int64_t n_indices, int64_t inner, size_t elem) {
  const size_t chunk = static_cast<size_t>(inner) * elem;
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < n_indices; ++i) {
      std::memcpy(out, params + static_cast<size_t>(o * axis_size + indices[i]) * chunk, chunk);
      out += chunk;
    }
  }
}

namespace {

// Calls f(in_index, out_index) for every input element in order.
template <typename F>
void ForEachReduced(const int64_t* in_dims, const bool* reduce, F f) {
  int64_t out_stride[kMaxSliceRank];
  int64_t s = 1;
  for (int k = kMaxSliceRank - 1; k >= 0; --k) {
    out_stride[k] = reduce[k] ? 0 : s;
    if (!reduce[k]) s *= in_dims[k];
  }
  int64_t i = 0;
  for (int64_t i0 = 0; i0 < in_dims[0]; ++i0)
    for (int64_t i1 = 0; i1 < in_dims[1]; ++i1)
      for (int64_t i2 = 0; i2 < in_dims[2]; ++i2)
        for (int64_t i3 = 0; i3 < in_dims[3]; ++i3)
          for (int64_t i4 = 0; i4 < in_dims[4]; ++i4) {
            const int64_t base = i0 * out_stride[0] + i1 * out_stride[1] + i2 * out_stride[2] +
                                 i3 * out_stride[3] + i4 * out_stride[4];
            for (int64_t i5 = 0; i5 < in_dims[5]; ++i5) f(i++, base + i5 * out_stride[5]);
          }
}

int64_t OutputElements(const int64_t* in_dims, const bool* reduce) {
  int64_t n = 1;
  for (int k = 0; k < kMaxSliceRank; ++k) {
    if (!reduce[k]) n *= in_dims[k];
  }
  return n;
}

}  // namespace

void ReduceFloat(ReduceOp op, float* out, const float* in, const int64_t* in_dims,
                 const bool* reduce) {
  const float init = op == ReduceOp::kSum ? 0.0f : std::numeric_limits<float>::lowest();
  std::fill(out, out + OutputElements(in_dims, reduce), init);
  if (op == ReduceOp::kSum) {
    ForEachReduced(in_dims, reduce, [&](int64_t i, int64_t o) { out[o] += in[i]; });
  } else {
    ForEachReduced(in_dims, reduce,
                   [&](int64_t i, int64_t o) { out[o] = std::max(out[o], in[i]); });
  }
}

void ReduceMaxInt8(int8_t* out, const int8_t* in, const int64_t* in_dims, const bool* reduce) {
  std::fill(out, out + OutputElements(in_dims, reduce), std::numeric_limits<int8_t>::lowest());
  ForEachReduced(in_dims, reduce, [&](int64_t i, int64_t o) { out[o] = std::max(out[o], in[i]); });
}

void ReduceSumInt8(int8_t* out, int32_t* sum, const int8_t* in, const int64_t* in_dims,
                   const bool* reduce, const ReduceSumInt8Params& p) {
  const int64_t n_out = OutputElements(in_dims, reduce);
  int64_t count = 1;
  for (int k = 0; k < kMaxSliceRank; ++k) count *= reduce[k] ? in_dims[k] : 1;
  std::fill(sum, sum + n_out, 0);
  ForEachReduced(in_dims, reduce, [&](int64_t i, int64_t o) { sum[o] += in[i]; });
  const float bias = static_cast<float>(-p.input_zp) * p.scale * static_cast<float>(count);
  for (int64_t o = 0; o < n_out; ++o) {
    const auto v =
        static_cast<int64_t>(RoundHalfAway(static_cast<float>(sum[o]) * p.scale + bias)) +
        p.output_zp;
    out[o] = static_cast<int8_t>(std::clamp<int64_t>(v, -128, 127));
  }
}

void L2NormalizeInt8(int8_t* out, const int8_t* in, int64_t rows, int64_t depth, int32_t input_zp) {
  constexpr int kOutputScaleBits = 7;  // output scale 1/128
  for (int64_t r = 0; r < rows; ++r) {
    const int8_t* x = in + r * depth;
    int32_t acc = 0;
    for (int64_t c = 0; c < depth; ++c) {
      const int32_t v = x[c] - input_zp;
      acc += v * v;
    }
    int32_t inv_multiplier = 0;
    int inv_shift = 0;
    GetInvSqrtQuantizedMultiplierExp(acc, -1, &inv_multiplier, &inv_shift);
    for (int64_t c = 0; c < depth; ++c) {
      const int32_t v = MultiplyByQuantizedMultiplier(x[c] - input_zp, inv_multiplier,
                                                      inv_shift + kOutputScaleBits);
      out[r * depth + c] = static_cast<int8_t>(std::clamp<int32_t>(v, -128, 127));
    }
  }
}

void L2NormalizeFloat(float* out, const float* in, int64_t rows, int64_t depth) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = in + r * depth;
    float squared = 0.0f;
    for (int64_t c = 0; c < depth; ++c) squared += x[c] * x[c];
    const float norm = std::sqrt(std::max(squared, 1e-6f));
    for (int64_t c = 0; c < depth; ++c) out[r * depth + c] = x[c] / norm;
  }
}

void BatchMatMulFloat(float* out, const float* lhs, const float* rhs, const BatchMatMulShape& s) {
  for (int64_t b0 = 0; b0 < s.batch[0]; ++b0)
    for (int64_t b1 = 0; b1 < s.batch[1]; ++b1)
      for (int64_t b2 = 0; b2 < s.batch[2]; ++b2) {
        const float* l = lhs + b0 * s.lhs_batch_stride[0] + b1 * s.lhs_batch_stride[1] +
                         b2 * s.lhs_batch_stride[2];
        const float* r = rhs + b0 * s.rhs_batch_stride[0] + b1 * s.rhs_batch_stride[1] +
                         b2 * s.rhs_batch_stride[2];
        for (int64_t i = 0; i < s.rows; ++i) {
          for (int64_t j = 0; j < s.cols; ++j) {
            float acc = 0.0f;
            for (int64_t k = 0; k < s.inner; ++k) {
              const float lv = s.adj_x ? l[k * s.rows + i] : l[i * s.inner + k];
              const float rv = s.adj_y ? r[j * s.inner + k] : r[k * s.cols + j];
              acc += lv * rv;
            }
            *out++ = acc;
          }
        }
      }
}

void BatchMatMulInt8(int8_t* out, const int8_t* lhs, const int8_t* rhs, const BatchMatMulShape& s,
                     const BatchMatMulInt8Params& p) {
  for (int64_t b0 = 0; b0 < s.batch[0]; ++b0)
    for (int64_t b1 = 0; b1 < s.batch[1]; ++b1)
      for (int64_t b2 = 0; b2 < s.batch[2]; ++b2) {
        const int8_t* l = lhs + b0 * s.lhs_batch_stride[0] + b1 * s.lhs_batch_stride[1] +
                          b2 * s.lhs_batch_stride[2];
        const int8_t* r = rhs + b0 * s.rhs_batch_stride[0] + b1 * s.rhs_batch_stride[1] +
                          b2 * s.rhs_batch_stride[2];
        for (int64_t i = 0; i < s.rows; ++i) {
          for (int64_t j = 0; j < s.cols; ++j) {
            int32_t acc = 0;
            for (int64_t k = 0; k < s.inner; ++k) {
              const int32_t lv = s.adj_x ? l[k * s.rows + i] : l[i * s.inner + k];
              const int32_t rv = s.adj_y ? r[j * s.inner + k] : r[k * s.cols + j];
              acc += (lv - p.lhs_zp) * (rv - p.rhs_zp);
            }
            const int32_t v = AddZeroPoint(
                MultiplyByQuantizedMultiplier(acc, p.multiplier, p.shift), p.output_zp);
            *out++ = static_cast<int8_t>(std::clamp<int32_t>(v, -128, 127));
          }
        }
      }
}

}  // namespace edgepipe::lite::reference
