// int8 GEMM kernels for AVX2 + FMA: vpmaddwd + vpaddd, 6x16 tile (compile flags:
// src/lite/CMakeLists.txt).
#define EDGEPIPE_INT8_GEMM_NS avx2
#include "src/lite/kernels/optimized/int8_gemm_kernels.inc"
