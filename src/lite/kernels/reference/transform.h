// Reference data-movement math: CONCATENATION, PAD and TRANSPOSE over any
// rank (<= 6).
// Plain loops on bytes (element size given), so one routine serves float32
// and int8. No interpreter types, no allocation.
#ifndef EDGEPIPE_LITE_KERNELS_REFERENCE_TRANSFORM_H_
#define EDGEPIPE_LITE_KERNELS_REFERENCE_TRANSFORM_H_

#include <cstddef>
#include <cstdint>

namespace edgepipe::lite::reference {

// Concatenates `n` inputs along an axis. With outer = product of dims before
// the axis, input i contributes chunk_bytes[i] = dims[axis..] product × elem
// bytes per outer index.
void Concatenate(uint8_t* out, const uint8_t* const* inputs, const int64_t* chunk_bytes, int n,
                 int64_t outer);

// out dims = in dims + before + after (rank <= 6); padded elements get the
// `elem`-byte `pad_value`.
void Pad(uint8_t* out, const uint8_t* in, const int32_t* in_dims, const int32_t* before,
         const int32_t* after, int rank, size_t elem, const uint8_t* pad_value);

// out[j0..j{r-1}] = in[...] with out dim k = in dim perm[k] (rank <= 6).
void Transpose(uint8_t* out, const uint8_t* in, const int32_t* in_dims, const int32_t* perm,
               int rank, size_t elem);

}  // namespace edgepipe::lite::reference

#endif  // EDGEPIPE_LITE_KERNELS_REFERENCE_TRANSFORM_H_
