#include "src/lite/kernels/optimized/im2col.h"

#include <algorithm>
#include <cstring>

#include "src/lite/kernels/optimized/int8_gemm.h"

namespace edgepipe::lite::optimized {

template <typename T>
void Im2Col(T* cols, const T* in, const reference::ConvGeometry& g, int b, T pad) {
  const int64_t row_len = static_cast<int64_t>(g.filter_h) * g.filter_w * g.in_c;
  const T* image = in + static_cast<int64_t>(b) * g.in_h * g.in_w * g.in_c;
  for (int oy = 0; oy < g.out_h; ++oy) {
    for (int ox = 0; ox < g.out_w; ++ox) {
      T* row = cols + (static_cast<int64_t>(oy) * g.out_w + ox) * row_len;
      for (int ky = 0; ky < g.filter_h; ++ky) {
        const int iy = oy * g.stride_h - g.pad_h + ky * g.dilation_h;
        for (int kx = 0; kx < g.filter_w; ++kx) {
          const int ix = ox * g.stride_w - g.pad_w + kx * g.dilation_w;
          T* dst = row + (static_cast<int64_t>(ky) * g.filter_w + kx) * g.in_c;
          if (iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w) {
            std::fill(dst, dst + g.in_c, pad);
          } else {
            std::memcpy(dst, image + (static_cast<int64_t>(iy) * g.in_w + ix) * g.in_c,
                        sizeof(T) * static_cast<size_t>(g.in_c));
          }
        }
      }
    }
  }
}

template void Im2Col<float>(float*, const float*, const reference::ConvGeometry&, int, float);

void Im2ColWidened(int16_t* cols, const int8_t* in, const reference::ConvGeometry& g, int b,
                   int32_t offset) {
  const int64_t k = static_cast<int64_t>(g.filter_h) * g.filter_w * g.in_c;
  const int64_t stride = Int8GemmRowStride(k);
  const int8_t* image = in + static_cast<int64_t>(b) * g.in_h * g.in_w * g.in_c;
  for (int oy = 0; oy < g.out_h; ++oy) {
    for (int ox = 0; ox < g.out_w; ++ox) {
      int16_t* row = cols + (static_cast<int64_t>(oy) * g.out_w + ox) * stride;
      const int ix0 = ox * g.stride_w - g.pad_w;
      // A filter row inside the image is one contiguous input span when
      // dilation_w is 1: widen it in one call (conv1 of a CNN has in_c 1).
      const bool whole_rows = g.dilation_w == 1 && ix0 >= 0 && ix0 + g.filter_w <= g.in_w;
      for (int ky = 0; ky < g.filter_h; ++ky) {
        const int iy = oy * g.stride_h - g.pad_h + ky * g.dilation_h;
        int16_t* dst_row = row + static_cast<int64_t>(ky) * g.filter_w * g.in_c;
        if (iy < 0 || iy >= g.in_h) {
          std::fill(dst_row, dst_row + static_cast<int64_t>(g.filter_w) * g.in_c, int16_t{0});
          continue;
        }
        const int8_t* src_row = image + static_cast<int64_t>(iy) * g.in_w * g.in_c;
        if (whole_rows) {
          WidenInt8(dst_row, src_row + static_cast<int64_t>(ix0) * g.in_c,
                    static_cast<int64_t>(g.filter_w) * g.in_c, offset);
          continue;
        }
        for (int kx = 0; kx < g.filter_w; ++kx) {
          const int ix = ix0 + kx * g.dilation_w;
          int16_t* dst = dst_row + static_cast<int64_t>(kx) * g.in_c;
          if (ix < 0 || ix >= g.in_w) {
            std::fill(dst, dst + g.in_c, int16_t{0});
          } else {
            WidenInt8(dst, src_row + static_cast<int64_t>(ix) * g.in_c, g.in_c, offset);
          }
        }
      }
      if (stride > k) row[k] = 0;
    }
  }
}

bool IsPointwise(const reference::ConvGeometry& g) {
  return g.filter_h == 1 && g.filter_w == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_h == 0 &&
         g.pad_w == 0 && g.out_h == g.in_h && g.out_w == g.in_w;
}

}  // namespace edgepipe::lite::optimized
