// RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR with the per-axis taps planned
// once (in Prepare) instead of per output pixel: each output row and column
// knows its source rows/columns and weights (reference::BilinearTapFloat,
// BilinearTapInt8, NearestSource — the reference kernels' own formulas), and
// the inner loop runs over the channels of a pixel with no index math, so
// the compiler vectorises it. Every output is the reference's expression on
// the same values in the same order: bit-identical to reference::
// ResizeBilinearFloat / ResizeBilinearInt8 / ResizeNearestNeighbor (tested).
// int8 sums in int32, which is exact (|Σ p·w| <= 128·2048·2048 = 2^29), so
// it mixes rows, then columns, then rounds, each as one long loop.
//
// Memory: a ResizePlan holds only vectors sized by the output's height and
// width; it is built in Prepare and read (never written) by Eval.
// No allocation in the Resize* functions; thread-compatible.
#ifndef EDGEPIPE_LITE_KERNELS_OPTIMIZED_RESIZE_H_
#define EDGEPIPE_LITE_KERNELS_OPTIMIZED_RESIZE_H_

#include <cstddef>
#include <cstdint>

#include "src/lite/kernels/reference/resize.h"

namespace edgepipe::lite::optimized {

// The taps of one axis, in the int32 and float arrays a kernel keeps in
// Node::params_i32 / params_f32. Layout of the int32 part for n positions:
//   bilinear float: lo[n], hi[n]            (+ frac[n] floats)
//   bilinear int8:  lo[n], hi[n], frac10[n]
//   nearest:        src[n]
// PlanResize appends the height axis, then the width axis.
enum class ResizeKind { kBilinearFloat, kBilinearInt8, kNearest };

// Number of int32 / float values PlanResize appends for shape `s`.
size_t ResizePlanInts(ResizeKind kind, const reference::ResizeShape& s);
size_t ResizePlanFloats(ResizeKind kind, const reference::ResizeShape& s);

// Fills ints[ResizePlanInts] and floats[ResizePlanFloats] (null if 0).
void PlanResize(ResizeKind kind, const reference::ResizeShape& s, int32_t* ints, float* floats);

// out: (B, out_h, out_w, C); in: (B, in_h, in_w, C); ints/floats from PlanResize.
void ResizeBilinearFloat(float* out, const float* in, const reference::ResizeShape& s,
                         const int32_t* ints, const float* floats);
// Only output rows [row_begin, row_end) of the batches * out_h rows (row
// b * out_h + y is row y of image b), each computed as ResizeBilinearFloat
// computes it: disjoint row ranges may run on different threads.
void ResizeBilinearFloatRows(float* out, const float* in, const reference::ResizeShape& s,
                             const int32_t* ints, const float* floats, int64_t row_begin,
                             int64_t row_end);
// scratch: ResizeInt8ScratchElements(s) int32 (one source row and one
// output row, mixed), owned by the caller.
int64_t ResizeInt8ScratchElements(const reference::ResizeShape& s);
void ResizeBilinearInt8(int8_t* out, const int8_t* in, const reference::ResizeShape& s,
                        const int32_t* ints, int32_t* scratch);
// `elem` bytes per value.
void ResizeNearestNeighbor(uint8_t* out, const uint8_t* in, const reference::ResizeShape& s,
                           size_t elem, const int32_t* ints);

}  // namespace edgepipe::lite::optimized

#endif  // EDGEPIPE_LITE_KERNELS_OPTIMIZED_RESIZE_H_
