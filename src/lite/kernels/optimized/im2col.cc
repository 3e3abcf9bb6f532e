#include "src/lite/kernels/optimized/im2col.h"

#include <algorithm>
#include <cstring>

#include "src/lite/kernels/optimized/int8_gemm.h"

namespace edgepipe::lite::optimized {

namespace {

// The one im2col loop: rows of `row_stride` elements (>= the patch size k;
// the tail, if any, gets `pad`), window points in the padding get `pad`, and
// copy(dst, src, count) moves in-image spans (a memcpy, or the int8 -> int16
// widening). A filter row inside the image is one contiguous span when
// dilation_w is 1 and is copied in one call (a CNN's conv1 has in_c 1).
template <typename Dst, typename Src, typename Copy>
void Im2ColRows(Dst* cols, int64_t row_stride, const Src* in, const reference::ConvGeometry& g,
                int b, Dst pad, const Copy& copy) {
  const int64_t k = static_cast<int64_t>(g.filter_h) * g.filter_w * g.in_c;
  const Src* image = in + static_cast<int64_t>(b) * g.in_h * g.in_w * g.in_c;
  for (int oy = 0; oy < g.out_h; ++oy) {
    for (int ox = 0; ox < g.out_w; ++ox) {
      Dst* row = cols + (static_cast<int64_t>(oy) * g.out_w + ox) * row_stride;
      const int ix0 = ox * g.stride_w - g.pad_w;
      const bool whole_rows = g.dilation_w == 1 && ix0 >= 0 && ix0 + g.filter_w <= g.in_w;
      for (int ky = 0; ky < g.filter_h; ++ky) {
        const int iy = oy * g.stride_h - g.pad_h + ky * g.dilation_h;
        Dst* dst_row = row + static_cast<int64_t>(ky) * g.filter_w * g.in_c;
        if (iy < 0 || iy >= g.in_h) {
          std::fill(dst_row, dst_row + static_cast<int64_t>(g.filter_w) * g.in_c, pad);
          continue;
        }
        const Src* src_row = image + static_cast<int64_t>(iy) * g.in_w * g.in_c;
        if (whole_rows) {
          copy(dst_row, src_row + static_cast<int64_t>(ix0) * g.in_c,
               static_cast<int64_t>(g.filter_w) * g.in_c);
          continue;
        }
        for (int kx = 0; kx < g.filter_w; ++kx) {
          const int ix = ix0 + kx * g.dilation_w;
          Dst* dst = dst_row + static_cast<int64_t>(kx) * g.in_c;
          if (ix < 0 || ix >= g.in_w) {
            std::fill(dst, dst + g.in_c, pad);
          } else {
            copy(dst, src_row + static_cast<int64_t>(ix) * g.in_c, g.in_c);
          }
        }
      }
      std::fill(row + k, row + row_stride, pad);
    }
  }
}

}  // namespace

template <typename T>
void Im2Col(T* cols, const T* in, const reference::ConvGeometry& g, int b, T pad) {
  const int64_t k = static_cast<int64_t>(g.filter_h) * g.filter_w * g.in_c;
  Im2ColRows(cols, k, in, g, b, pad, [](T* dst, const T* src, int64_t count) {
    std::memcpy(dst, src, sizeof(T) * static_cast<size_t>(count));
  });
}

template void Im2Col<float>(float*, const float*, const reference::ConvGeometry&, int, float);

void Im2ColWidened(int16_t* cols, const int8_t* in, const reference::ConvGeometry& g, int b,
                   int32_t offset) {
  const int64_t k = static_cast<int64_t>(g.filter_h) * g.filter_w * g.in_c;
  // Once per image: the instruction set's widening loop (isa_dispatch.h).
  const auto widen = SelectInt8Gemm()->widen;
  Im2ColRows(cols, Int8GemmRowStride(k), in, g, b, int16_t{0},
             [offset, widen](int16_t* dst, const int8_t* src, int64_t count) {
               widen(dst, src, count, offset);
             });
}

bool IsPointwise(const reference::ConvGeometry& g) {
  return g.filter_h == 1 && g.filter_w == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_h == 0 &&
         g.pad_w == 0 && g.out_h == g.in_h && g.out_w == g.in_w;
}

}  // namespace edgepipe::lite::optimized
