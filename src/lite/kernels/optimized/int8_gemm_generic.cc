// int8 GEMM kernels for baseline x86-64 (SSE2) or any other CPU: plain loops (compile flags:
// src/lite/CMakeLists.txt).
#define EDGEPIPE_INT8_GEMM_NS generic
#include "src/lite/kernels/optimized/int8_gemm_kernels.inc"
