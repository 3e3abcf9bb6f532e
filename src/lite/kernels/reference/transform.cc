#include "src/lite/kernels/reference/transform.h"

#include <cstring>

namespace edgepipe::lite::reference {

void Concatenate(uint8_t* out, const uint8_t* const* inputs, const int64_t* chunk_bytes, int n,
                 int64_t outer) {
  for (int64_t o = 0; o < outer; ++o) {
    for (int i = 0; i < n; ++i) {
      const auto bytes = static_cast<size_t>(chunk_bytes[i]);
      if (bytes == 0) continue;
      std::memcpy(out, inputs[i] + o * chunk_bytes[i], bytes);
      out += bytes;
    }
  }
}

namespace {

// Recursive over dims: writes the padded block of dim d.
void PadDim(uint8_t*& out, const uint8_t*& in, const int32_t* in_dims, const int32_t* before,
            const int32_t* after, int rank, int d, size_t elem, const uint8_t* pad_value,
            const int64_t* out_block) {
  // A pad value whose bytes are all equal (0.0f, any int8) is one memset:
  // MediaPipe pads channels by hundreds of values per pixel.
  bool one_byte = true;
  for (size_t k = 1; k < elem; ++k) one_byte = one_byte && pad_value[k] == pad_value[0];
  auto fill = [&](int64_t count) {
    if (count <= 0) return;
    if (one_byte) {
      std::memset(out, pad_value[0], static_cast<size_t>(count) * elem);
      out += static_cast<size_t>(count) * elem;
      return;
    }
    for (int64_t k = 0; k < count; ++k) {
      std::memcpy(out, pad_value, elem);
      out += elem;
    }
  };
  if (d == rank - 1) {
    fill(before[d]);
    const size_t bytes = static_cast<size_t>(in_dims[d]) * elem;
    if (bytes) std::memcpy(out, in, bytes);
    out += bytes;
    in += bytes;
    fill(after[d]);
    return;
  }
  fill(before[d] * out_block[d + 1]);
  for (int32_t i = 0; i < in_dims[d]; ++i) {
    PadDim(out, in, in_dims, before, after, rank, d + 1, elem, pad_value, out_block);
  }
  fill(after[d] * out_block[d + 1]);
}

}  // namespace

void Pad(uint8_t* out, const uint8_t* in, const int32_t* in_dims, const int32_t* before,
         const int32_t* after, int rank, size_t elem, const uint8_t* pad_value) {
  if (rank == 0) {
    std::memcpy(out, in, elem);
    return;
  }
  int64_t out_block[7];  // elements of one index of dim d in the output
  out_block[rank] = 1;
  for (int d = rank - 1; d >= 0; --d) {
    out_block[d] = out_block[d + 1] * (static_cast<int64_t>(in_dims[d]) + before[d] + after[d]);
  }
  PadDim(out, in, in_dims, before, after, rank, 0, elem, pad_value, out_block);
}

void Transpose(uint8_t* out, const uint8_t* in, const int32_t* in_dims, const int32_t* perm,
               int rank, size_t elem) {
  constexpr int kR = 6;
  // Padded to 6 dims on the left; walk the output in order, stepping the
  // input by the stride of the dim each output dim comes from.
  int64_t in_stride[kR] = {}, out_dims[kR], step[kR];
  int64_t s = 1;
  for (int k = rank - 1; k >= 0; --k) {
    in_stride[k] = s;
    s *= in_dims[k];
  }
  const int pad = kR - rank;
  for (int k = 0; k < kR; ++k) {
    if (k < pad) {
      out_dims[k] = 1;
      step[k] = 0;
    } else {
      out_dims[k] = in_dims[perm[k - pad]];
      step[k] = in_stride[perm[k - pad]];
    }
  }
  for (int64_t i0 = 0; i0 < out_dims[0]; ++i0)
    for (int64_t i1 = 0; i1 < out_dims[1]; ++i1)
      for (int64_t i2 = 0; i2 < out_dims[2]; ++i2)
        for (int64_t i3 = 0; i3 < out_dims[3]; ++i3)
          for (int64_t i4 = 0; i4 < out_dims[4]; ++i4) {
            const int64_t base =
                i0 * step[0] + i1 * step[1] + i2 * step[2] + i3 * step[3] + i4 * step[4];
            for (int64_t i5 = 0; i5 < out_dims[5]; ++i5) {
              std::memcpy(out, in + static_cast<size_t>(base + i5 * step[5]) * elem, elem);
              out += elem;
            }
          }
}

}  // namespace edgepipe::lite::reference
