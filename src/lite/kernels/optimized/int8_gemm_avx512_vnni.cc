// int8 GEMM kernels for AVX-512 F/BW/VL + VNNI: vpdpwssd on zmm, 12x16 tile (compile flags:
// src/lite/CMakeLists.txt).
#define EDGEPIPE_INT8_GEMM_NS avx512_vnni
#include "src/lite/kernels/optimized/int8_gemm_kernels.inc"
