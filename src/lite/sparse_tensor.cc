#include "src/lite/sparse_tensor.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "src/lite/schema_util.h"

namespace edgepipe::lite {
namespace {

// A SparseIndexVector (int32, uint16 or uint8 values) read as int64.
Status ReadIndexVector(schema::SparseIndexVector type, const void* table, const std::string& what,
                       std::vector<int64_t>* out) {
  out->clear();
  switch (type) {
    case schema::SparseIndexVector_Int32Vector: {
      const auto* v = static_cast<const schema::Int32Vector*>(table)->values();
      if (v != nullptr) out->assign(v->begin(), v->end());
      break;
    }
    case schema::SparseIndexVector_Uint16Vector: {
      const auto* v = static_cast<const schema::Uint16Vector*>(table)->values();
      if (v != nullptr) out->assign(v->begin(), v->end());
      break;
    }
    case schema::SparseIndexVector_Uint8Vector: {
      const auto* v = static_cast<const schema::Uint8Vector*>(table)->values();
      if (v != nullptr) out->assign(v->begin(), v->end());
      break;
    }
    default:
      return Status::InvalidArgument(what + " is missing or of unknown type " +
                                     std::to_string(static_cast<int>(type)));
  }
  return Status::OK();
}

struct Level {
  bool sparse = false;
  int64_t dense_size = 0;         // DENSE levels
  std::vector<int64_t> segments;  // SPARSE_CSR levels
  std::vector<int64_t> indices;   // SPARSE_CSR levels
};

}  // namespace

Status DensifySparseTensor(const schema::SparsityParameters& sparsity,
                           std::span<const int32_t> dense_shape, size_t element_bytes,
                           std::span<const uint8_t> values, std::span<uint8_t> dense) {
  const int n = static_cast<int>(dense_shape.size());
  const auto* order_fb = sparsity.traversal_order();
  const auto* meta_fb = sparsity.dim_metadata();
  if (order_fb == nullptr || meta_fb == nullptr) {
    return Status::InvalidArgument("sparsity: traversal_order and dim_metadata are required");
  }
  const int levels = static_cast<int>(order_fb->size());
  const int k = levels - n;
  const int block_map_size =
      sparsity.block_map() ? static_cast<int>(sparsity.block_map()->size()) : 0;
  if (k < 0 || block_map_size != k || static_cast<int>(meta_fb->size()) != levels) {
    return Status::InvalidArgument(
        "sparsity: traversal_order has " + std::to_string(levels) + " entries, block_map " +
        std::to_string(block_map_size) + ", dim_metadata " + std::to_string(meta_fb->size()) +
        "; expected n + k, k and n + k for a rank-" + std::to_string(n) + " tensor");
  }
  std::vector<int> order(order_fb->begin(), order_fb->end());
  // traversal_order: a permutation of 0..n-1, then of n..n+k-1.
  std::vector<bool> seen(static_cast<size_t>(levels), false);
  for (int p = 0; p < levels; ++p) {
    const int d = order[static_cast<size_t>(p)];
    const bool in_range = p < n ? (d >= 0 && d < n) : (d >= n && d < levels);
    if (!in_range || seen[static_cast<size_t>(d)]) {
      return Status::InvalidArgument(
          "sparsity: traversal_order " +
          DimsToString(std::span<const int32_t>(order_fb->data(), order_fb->size())) +
          " is not a permutation of the dims, then of the block dims");
    }
    seen[static_cast<size_t>(d)] = true;
  }
  std::vector<int> block_map;
  if (k > 0) block_map.assign(sparsity.block_map()->begin(), sparsity.block_map()->end());
  for (int b : block_map) {
    if (b < 0 || b >= n) {
      return Status::InvalidArgument("sparsity: block_map entry " + std::to_string(b) +
                                     " out of range for rank " + std::to_string(n));
    }
  }

  std::vector<Level> level(static_cast<size_t>(levels));
  for (int p = 0; p < levels; ++p) {
    const schema::DimensionMetadata* m = meta_fb->Get(static_cast<uint32_t>(p));
    Level& l = level[static_cast<size_t>(p)];
    const std::string what = "sparsity: dim_metadata[" + std::to_string(p) + "]";
    if (m->format() == schema::DimensionType_DENSE) {
      l.dense_size = m->dense_size();
      if (l.dense_size < 0) {
        return Status::InvalidArgument(what + ": dense_size " + std::to_string(l.dense_size) +
                                       " is negative");
      }
    } else if (m->format() == schema::DimensionType_SPARSE_CSR) {
      l.sparse = true;
      RETURN_IF_ERROR(ReadIndexVector(m->array_segments_type(), m->array_segments(),
                                      what + ".array_segments", &l.segments));
      RETURN_IF_ERROR(ReadIndexVector(m->array_indices_type(), m->array_indices(),
                                      what + ".array_indices", &l.indices));
      for (size_t s = 1; s < l.segments.size(); ++s) {
        if (l.segments[s] < l.segments[s - 1]) {
          return Status::InvalidArgument(what + ": array_segments decrease at " +
                                         std::to_string(s));
        }
      }
      if (l.segments.empty() || l.segments.front() < 0 ||
          l.segments.back() > static_cast<int64_t>(l.indices.size())) {
        return Status::InvalidArgument(what + ": array_segments do not lie within the " +
                                       std::to_string(l.indices.size()) + " array_indices");
      }
    } else {
      return Status::InvalidArgument(what + ": format " + std::to_string(m->format()) +
                                     " is not DENSE or SPARSE_CSR");
    }
  }

  // Each dim's extent in the traversal: block-grid dims have shape / block
  // size entries, block dims the block size (their level's dense_size).
  std::vector<int64_t> block_size(static_cast<size_t>(k), 0);
  for (int p = n; p < levels; ++p) {
    const Level& l = level[static_cast<size_t>(p)];
    if (l.sparse) {
      return Status::InvalidArgument("sparsity: block dim at traversal position " +
                                     std::to_string(p) + " must be DENSE");
    }
    block_size[static_cast<size_t>(order[static_cast<size_t>(p)] - n)] = l.dense_size;
  }
  std::vector<int64_t> grid(dense_shape.begin(), dense_shape.end());
  for (int j = 0; j < k; ++j) {
    const int d = block_map[static_cast<size_t>(j)];
    const int64_t bs = block_size[static_cast<size_t>(j)];
    if (bs <= 0 || grid[static_cast<size_t>(d)] % bs != 0) {
      return Status::InvalidArgument("sparsity: block size " + std::to_string(bs) +
                                     " does not divide dim " + std::to_string(d) + " (" +
                                     std::to_string(dense_shape[static_cast<size_t>(d)]) + ")");
    }
    grid[static_cast<size_t>(d)] /= bs;
  }
  // extent of each traversal level, and the dense levels must match it.
  std::vector<int64_t> extent(static_cast<size_t>(levels));
  for (int p = 0; p < levels; ++p) {
    const int d = order[static_cast<size_t>(p)];
    extent[static_cast<size_t>(p)] =
        p < n ? grid[static_cast<size_t>(d)] : block_size[static_cast<size_t>(d - n)];
    const Level& l = level[static_cast<size_t>(p)];
    if (!l.sparse && l.dense_size != extent[static_cast<size_t>(p)]) {
      return Status::InvalidArgument("sparsity: dim_metadata[" + std::to_string(p) +
                                     "].dense_size " + std::to_string(l.dense_size) +
                                     ", expected " +
                                     std::to_string(extent[static_cast<size_t>(p)]));
    }
    for (int64_t idx : l.indices) {
      if (idx < 0 || idx >= extent[static_cast<size_t>(p)]) {
        return Status::InvalidArgument("sparsity: dim_metadata[" + std::to_string(p) + "] index " +
                                       std::to_string(idx) + " out of range [0, " +
                                       std::to_string(extent[static_cast<size_t>(p)]) + ")");
      }
    }
  }

  if (element_bytes == 0 || values.size() % element_bytes != 0) {
    return Status::InvalidArgument("sparse values: " + std::to_string(values.size()) +
                                   " bytes is not a whole number of elements");
  }
  const int64_t num_values = static_cast<int64_t>(values.size() / element_bytes);
  std::fill(dense.begin(), dense.end(), uint8_t{0});
  std::vector<int64_t> dense_stride(static_cast<size_t>(n), 1);
  for (int d = n - 2; d >= 0; --d) {
    dense_stride[static_cast<size_t>(d)] =
        dense_stride[static_cast<size_t>(d + 1)] * dense_shape[static_cast<size_t>(d + 1)];
  }

  // Depth-first walk over the levels (iterative: no recursion on untrusted depth).
  std::vector<int64_t> index(static_cast<size_t>(levels), 0);  // coordinate per level
  std::vector<int64_t> pos(static_cast<size_t>(levels), 0);    // current entry per level
  std::vector<int64_t> end(static_cast<size_t>(levels), 0);
  std::vector<int64_t> coord(static_cast<size_t>(n), 0);
  int64_t next_value = 0;
  // Begin level p under parent entry `parent`; false when it has no entries.
  auto begin_level = [&](int p, int64_t parent) -> Status {
    const Level& l = level[static_cast<size_t>(p)];
    if (l.sparse) {
      if (parent < 0 || parent + 1 >= static_cast<int64_t>(l.segments.size())) {
        return Status::InvalidArgument("sparsity: dim_metadata[" + std::to_string(p) +
                                       "].array_segments has " + std::to_string(l.segments.size()) +
                                       " entries, too few for entry " + std::to_string(parent));
      }
      pos[static_cast<size_t>(p)] = l.segments[static_cast<size_t>(parent)];
      end[static_cast<size_t>(p)] = l.segments[static_cast<size_t>(parent + 1)];
    } else {
      pos[static_cast<size_t>(p)] = parent * l.dense_size;
      end[static_cast<size_t>(p)] = (parent + 1) * l.dense_size;
    }
    return Status::OK();
  };
  auto coordinate = [&](int p) {
    const Level& l = level[static_cast<size_t>(p)];
    const int64_t e = pos[static_cast<size_t>(p)];
    return l.sparse ? l.indices[static_cast<size_t>(e)] : e % std::max<int64_t>(l.dense_size, 1);
  };
  if (levels == 0) {
    return Status::InvalidArgument("sparsity: a scalar cannot be sparse");
  }
  RETURN_IF_ERROR(begin_level(0, 0));
  int p = 0;
  while (p >= 0) {
    if (pos[static_cast<size_t>(p)] >= end[static_cast<size_t>(p)]) {
      --p;
      if (p >= 0) ++pos[static_cast<size_t>(p)];
      continue;
    }
    index[static_cast<size_t>(p)] = coordinate(p);
    if (p + 1 < levels) {
      RETURN_IF_ERROR(begin_level(p + 1, pos[static_cast<size_t>(p)]));
      ++p;
      continue;
    }
    // A leaf: map the traversal coordinates back to the dense position.
    for (int q = 0; q < n; ++q)
      coord[static_cast<size_t>(order[static_cast<size_t>(q)])] = index[static_cast<size_t>(q)];
    for (int q = n; q < levels; ++q) {
      const int j = order[static_cast<size_t>(q)] - n;
      const int d = block_map[static_cast<size_t>(j)];
      coord[static_cast<size_t>(d)] =
          coord[static_cast<size_t>(d)] * block_size[static_cast<size_t>(j)] +
          index[static_cast<size_t>(q)];
    }
    if (next_value >= num_values) {
      return Status::InvalidArgument("sparsity: the index metadata addresses more than the " +
                                     std::to_string(num_values) + " stored values");
    }
    int64_t flat = 0;
    for (int d = 0; d < n; ++d)
      flat += coord[static_cast<size_t>(d)] * dense_stride[static_cast<size_t>(d)];
    std::memcpy(dense.data() + static_cast<size_t>(flat) * element_bytes,
                values.data() + static_cast<size_t>(next_value) * element_bytes, element_bytes);
    ++next_value;
    ++pos[static_cast<size_t>(p)];
  }
  if (next_value != num_values) {
    return Status::InvalidArgument("sparsity: the index metadata addresses " +
                                   std::to_string(next_value) + " values, the buffer holds " +
                                   std::to_string(num_values));
  }
  return Status::OK();
}

}  // namespace edgepipe::lite
