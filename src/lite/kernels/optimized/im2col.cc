#include "src/lite/kernels/optimized/im2col.h"

#include <algorithm>
#include <cstring>

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
template void Im2Col<int8_t>(int8_t*, const int8_t*, const reference::ConvGeometry&, int, int8_t);

bool IsPointwise(const reference::ConvGeometry& g) {
  return g.filter_h == 1 && g.filter_w == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_h == 0 &&
         g.pad_w == 0 && g.out_h == g.in_h && g.out_w == g.in_w;
}

}  // namespace edgepipe::lite::optimized
