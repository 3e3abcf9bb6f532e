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
  auto fill = [&](int64_t count) {
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

}  // namespace edgepipe::lite::reference
