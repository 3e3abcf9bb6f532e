// Reference SLICE / STRIDED_SLICE (one strided copy), GATHER and the
// reductions SUM / REDUCE_MAX over any rank <= 6, as TFLite's reference
// kernels compute them. No interpreter types, no allocation.
#ifndef EDGEPIPE_LITE_KERNELS_REFERENCE_SLICE_REDUCE_H_
#define EDGEPIPE_LITE_KERNELS_REFERENCE_SLICE_REDUCE_H_

#include <cstddef>
#include <cstdint>

namespace edgepipe::lite::reference {

inline constexpr int kMaxSliceRank = 6;

// out[i0..i5] = in[start[k] + i_k · stride[k]] over `count` per dim (all
// padded to 6 dims; in_dims gives the input's layout). Element size `elem`.
struct StridedSliceParams {
  int64_t in_dims[kMaxSliceRank];
  int64_t start[kMaxSliceRank];
  int64_t stride[kMaxSliceRank];
  int64_t count[kMaxSliceRank];
};
void StridedSlice(uint8_t* out, const uint8_t* in, const StridedSliceParams& p, size_t elem);

// out: [outer, n_indices, inner] from params [outer, axis_size, inner];
// indices already checked to lie in [0, axis_size).
void Gather(uint8_t* out, const uint8_t* params, const int32_t* indices, int64_t outer,
            int64_t axis_size, int64_t n_indices, int64_t inner, size_t elem);

// Reduces `in` (dims padded to 6) over the dims with reduce[k] set, in
// input order (TFLite's accumulation order). out has the kept dims.
enum class ReduceOp { kSum, kMax };
void ReduceFloat(ReduceOp op, float* out, const float* in, const int64_t* in_dims,
                 const bool* reduce);
void ReduceMaxInt8(int8_t* out, const int8_t* in, const int64_t* in_dims, const bool* reduce);

// TFLite's int8 SUM: the int32 sum of the raw values, rescaled in float,
// round(sum · in_scale/out_scale − in_zp · in_scale/out_scale · count)
// + out_zp, clamped to int8 (TFLite casts without clamping; equal in range).
struct ReduceSumInt8Params {
  int32_t input_zp, output_zp;
  float scale;  // input_scale / output_scale
};
// `sum`: scratch of one int32 per output element.
void ReduceSumInt8(int8_t* out, int32_t* sum, const int8_t* in, const int64_t* in_dims,
                   const bool* reduce, const ReduceSumInt8Params& p);

// Last-dim L2 normalization: x / sqrt(max(sum x², 1e-6)) per row.
void L2NormalizeFloat(float* out, const float* in, int64_t rows, int64_t depth);
// TFLite's int8 form (output scale 1/128, zero point 0): per row the int32
// sum of squares of q - input_zp, its inverse square root as a fixed-point
// multiplier (GetInvSqrtQuantizedMultiplierExp), each q - input_zp times it
// with 7 more bits, clamped to int8.
void L2NormalizeInt8(int8_t* out, const int8_t* in, int64_t rows, int64_t depth, int32_t input_zp);

// out[b] = op(lhs[b]) · op(rhs[b]), op = transpose when adj, over up to 3
// batch dims `batch` (the broadcast of both); a batch stride of 0 repeats
// that operand. lhs matrices: [rows, inner] ([inner, rows] with adj_x);
// rhs: [inner, cols] ([cols, inner] with adj_y). Sums in k order.
struct BatchMatMulShape {
  int64_t batch[3];
  int64_t lhs_batch_stride[3], rhs_batch_stride[3];
  int64_t rows, inner, cols;
  bool adj_x, adj_y;
};
void BatchMatMulFloat(float* out, const float* lhs, const float* rhs, const BatchMatMulShape& s);
// int8: int32 sums of (lhs - lhs_zp)(rhs - rhs_zp), requantized by
// lhs_scale · rhs_scale / out_scale, plus out_zp, clamped (TFLite's).
struct BatchMatMulInt8Params {
  int32_t lhs_zp, rhs_zp, output_zp, multiplier;
  int shift;
};
void BatchMatMulInt8(int8_t* out, const int8_t* lhs, const int8_t* rhs, const BatchMatMulShape& s,
                     const BatchMatMulInt8Params& p);

}  // namespace edgepipe::lite::reference

#endif  // EDGEPIPE_LITE_KERNELS_REFERENCE_SLICE_REDUCE_H_
