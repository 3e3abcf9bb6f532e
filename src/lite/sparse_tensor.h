// Sparse constant tensors (TFLite's SparsityParameters, a TACO-style format):
// the interpreter densifies each one once, at load, so no kernel ever sees a
// sparse tensor (DENSIFY then only copies a constant and is folded away).
//
// The format: an n-dim tensor, optionally split into k-dim blocks, is walked
// in `traversal_order` (n + k levels: the n block-grid dims, then the k
// in-block dims); each level is DENSE (dense_size entries) or SPARSE_CSR
// (array_segments / array_indices, as CSR row pointers / column indices);
// `block_map[j]` names the original dim block dim j splits. The values are
// the stored elements in traversal order.
//
// Pure functions over untrusted input: every index is bounds-checked and a
// failure is InvalidArgument naming the field; thread-safe.
#ifndef EDGEPIPE_LITE_SPARSE_TENSOR_H_
#define EDGEPIPE_LITE_SPARSE_TENSOR_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "src/core/status.h"
#include "src/lite/schema/schema_generated.h"

namespace edgepipe::lite {

// Writes the dense tensor of shape `dense_shape` (row-major, elements of
// `element_bytes`) into `dense` (exactly elements x element_bytes bytes,
// zero-filled here first) from the stored `values` (a whole number of
// elements). Every stored value must be used exactly once.
Status DensifySparseTensor(const schema::SparsityParameters& sparsity,
                           std::span<const int32_t> dense_shape, size_t element_bytes,
                           std::span<const uint8_t> values, std::span<uint8_t> dense);

}  // namespace edgepipe::lite

#endif  // EDGEPIPE_LITE_SPARSE_TENSOR_H_
