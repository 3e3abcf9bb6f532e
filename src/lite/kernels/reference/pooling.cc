#include "src/lite/kernels/reference/pooling.h"

#include <algorithm>
#include <limits>

#include "src/lite/quantization_util.h"

namespace edgepipe::lite::reference {
namespace {

// Calls fn(out_index_base, in_index_base_of_each_valid_point...) through a
// window visitor: visit(in_offset) for each valid point, then finish(count).
template <typename Window>
void ForEachWindow(const ConvGeometry& g, Window&& window) {
  for (int b = 0; b < g.batch; ++b)
    for (int oy = 0; oy < g.out_h; ++oy)
      for (int ox = 0; ox < g.out_w; ++ox) {
        const int y0 = std::max(oy * g.stride_h - g.pad_h, 0);
        const int y1 = std::min(oy * g.stride_h - g.pad_h + g.filter_h, g.in_h);
        const int x0 = std::max(ox * g.stride_w - g.pad_w, 0);
        const int x1 = std::min(ox * g.stride_w - g.pad_w + g.filter_w, g.in_w);
        const int64_t out_base =
            ((static_cast<int64_t>(b) * g.out_h + oy) * g.out_w + ox) * g.out_c;
        window(b, y0, y1, x0, x1, out_base);
      }
}

inline int64_t InIndex(const ConvGeometry& g, int b, int y, int x) {
  return ((static_cast<int64_t>(b) * g.in_h + y) * g.in_w + x) * g.in_c;
}

}  // namespace

void MaxPoolFloat(float* out, const float* in, const ConvGeometry& g, float act_min,
                  float act_max) {
  ForEachWindow(g, [&](int b, int y0, int y1, int x0, int x1, int64_t ob) {
    for (int c = 0; c < g.out_c; ++c) {
      float m = std::numeric_limits<float>::lowest();
      for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x) m = std::max(m, in[InIndex(g, b, y, x) + c]);
      out[ob + c] = std::min(std::max(m, act_min), act_max);
    }
  });
}

void MaxPoolInt8(int8_t* out, const int8_t* in, const ConvGeometry& g, int32_t act_min,
                 int32_t act_max) {
  ForEachWindow(g, [&](int b, int y0, int y1, int x0, int x1, int64_t ob) {
    for (int c = 0; c < g.out_c; ++c) {
      int32_t m = -128;
      for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x) m = std::max<int32_t>(m, in[InIndex(g, b, y, x) + c]);
      out[ob + c] = static_cast<int8_t>(std::min(std::max(m, act_min), act_max));
    }
  });
}

void AvgPoolFloat(float* out, const float* in, const ConvGeometry& g, float act_min,
                  float act_max) {
  ForEachWindow(g, [&](int b, int y0, int y1, int x0, int x1, int64_t ob) {
    const int count = (y1 - y0) * (x1 - x0);
    for (int c = 0; c < g.out_c; ++c) {
      float sum = 0.0f;
      for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x) sum += in[InIndex(g, b, y, x) + c];
      const float avg = count > 0 ? sum / static_cast<float>(count) : 0.0f;
      out[ob + c] = std::min(std::max(avg, act_min), act_max);
    }
  });
}

void AvgPoolInt8(int8_t* out, const int8_t* in, const ConvGeometry& g, int32_t act_min,
                 int32_t act_max) {
  ForEachWindow(g, [&](int b, int y0, int y1, int x0, int x1, int64_t ob) {
    const int32_t count = (y1 - y0) * (x1 - x0);
    for (int c = 0; c < g.out_c; ++c) {
      int32_t sum = 0;
      for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x) sum += in[InIndex(g, b, y, x) + c];
      int32_t avg = 0;
      if (count > 0) avg = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
      out[ob + c] = static_cast<int8_t>(std::min(std::max(avg, act_min), act_max));
    }
  });
}

void MeanHwFloat(float* out, const float* in, int batch, int h, int w, int c) {
  // Pixel-major: each channel still sums its pixels in order (the same
  // floats as a channel-major loop), but the inner loop runs over contiguous
  // channels and vectorizes (MobileNet's 7x7x64 mean: 1.3 -> ~0.2 us).
  const int64_t n = static_cast<int64_t>(h) * w;
  for (int b = 0; b < batch; ++b) {
    float* sum = out + static_cast<int64_t>(b) * c;
    std::fill(sum, sum + c, 0.0f);
    for (int64_t i = 0; i < n; ++i) {
      const float* px = in + (b * n + i) * c;
      for (int ch = 0; ch < c; ++ch) sum[ch] += px[ch];
    }
    for (int ch = 0; ch < c; ++ch) sum[ch] /= static_cast<float>(n);
  }
}

void MeanHwInt8(int8_t* out, const int8_t* in, int batch, int h, int w, int c,
                int32_t input_zero_point, int32_t output_zero_point, int32_t multiplier,
                int shift) {
  const int32_t n = h * w;
  for (int b = 0; b < batch; ++b) {
    for (int ch = 0; ch < c; ++ch) {
      int32_t acc = 0;
      for (int32_t i = 0; i < n; ++i)
        acc += in[(static_cast<int64_t>(b) * n + i) * c + ch] - input_zero_point;
      acc = MultiplyByQuantizedMultiplier(acc, multiplier, shift);
      acc = acc > 0 ? (acc + n / 2) / n : (acc - n / 2) / n;
      acc += output_zero_point;
      out[static_cast<int64_t>(b) * c + ch] =
          static_cast<int8_t>(std::min(std::max(acc, -128), 127));
    }
  }
}

}  // namespace edgepipe::lite::reference
