// Reference image resizing and block rearrangement (NHWC), as TFLite's
// reference kernels compute them: RESIZE_BILINEAR (float32, int8 with its
// 10-bit fixed-point weights), RESIZE_NEAREST_NEIGHBOR, DEPTH_TO_SPACE and
// SPACE_TO_DEPTH (byte moves, any element size). No interpreter types, no
// allocation.
#ifndef EDGEPIPE_LITE_KERNELS_REFERENCE_RESIZE_H_
#define EDGEPIPE_LITE_KERNELS_REFERENCE_RESIZE_H_

#include <cstddef>
#include <cstdint>

namespace edgepipe::lite::reference {

struct ResizeShape {
  int32_t batches, in_h, in_w, out_h, out_w, depth;
  bool align_corners, half_pixel_centers;
};

// Where output row (or column) `pos` reads from along one axis of `in_size`
// resized to `out_size`, by TFLite's formulas; the kernels below and the fast
// path (optimized/resize.h) all take their taps from these.
//   float:  source = lo·(1 - frac) + hi·frac  (frac may be negative with
//           half_pixel_centers at the first position; lo == hi there).
//   int8:   the same in 1/1024ths: frac10 = scaled - 1024·lo.
//   nearest: the one source position.
struct BilinearTap {
  int32_t lo, hi;
  float frac;
};
struct BilinearTap10 {
  int32_t lo, hi, frac10;
};
BilinearTap BilinearTapFloat(int32_t pos, int32_t in_size, int32_t out_size, bool align_corners,
                             bool half_pixel_centers);
BilinearTap10 BilinearTapInt8(int32_t pos, int32_t in_size, int32_t out_size, bool align_corners,
                              bool half_pixel_centers);
int32_t NearestSource(int32_t pos, int32_t in_size, int32_t out_size, bool align_corners,
                      bool half_pixel_centers);

// ResizeBilinearInt8 is TFLite's ResizeBilinearInteger (10-bit weights,
// round half away from zero). The runtimes of the conformance test agree with
// it within one step but not exactly: LiteRT.js, tfjs-tflite and Arm NN all
// give floor(v + 0.5) of the float expression of ResizeBilinearFloat on the
// int8 values (measured: equal on 210 of 210 elements with default and
// align_corners; 4 of 210 differ with half_pixel_centers), ours differs from
// them in 3-22 of 210 elements by one step.
// out: (B, out_h, out_w, C); in: (B, in_h, in_w, C).
void ResizeBilinearFloat(float* out, const float* in, const ResizeShape& s);
void ResizeBilinearInt8(int8_t* out, const int8_t* in, const ResizeShape& s);
// `elem` bytes per value: the op only copies values.
void ResizeNearestNeighbor(uint8_t* out, const uint8_t* in, const ResizeShape& s, size_t elem);

// out: (B, H·b, W·b, C / b²); in: (B, H, W, C).
void DepthToSpace(uint8_t* out, const uint8_t* in, int32_t batches, int32_t in_h, int32_t in_w,
                  int32_t in_depth, int32_t block, size_t elem);
// out: (B, H / b, W / b, C·b²); in: (B, H, W, C).
void SpaceToDepth(uint8_t* out, const uint8_t* in, int32_t batches, int32_t in_h, int32_t in_w,
                  int32_t in_depth, int32_t block, size_t elem);

}  // namespace edgepipe::lite::reference

#endif  // EDGEPIPE_LITE_KERNELS_REFERENCE_RESIZE_H_
