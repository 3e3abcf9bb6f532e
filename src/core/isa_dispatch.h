// The one mechanism by which hand-vectorized kernels — the TFLite runtime's
// (src/lite/kernels/optimized) and the training engine's (src/nn/kernels) —
// run the best code the CPU has, in a build for baseline x86-64
// (EDGEPIPE_MARCH).
//
// A kernel family F (e.g. lite's int8_gemm, depthwise, pooling, elementwise, gemv,
// conv_direct; nn's conv2d_loops, pooling_loops, optimizer_loops) has
//  - F.h: its entry points and a table of them, `struct FKernels { Isa isa;
//    <function pointers> }`, and `const FKernels* SelectF(Isa = SelectedIsa())`;
//  - F_kernels.inc: the implementation, written once with `#if __AVX2__`,
//    `__AVXVNNI__`, `__AVX512F__`, `__AVX512VNNI__` blocks (or plain loops the
//    compiler vectorizes for each level). edgepipe_isa_kernels() in the top
//    CMakeLists.txt compiles it once per level (generic, avx2, avx2_vnni,
//    avx512_vnni), each time through a generated F_<level>.cc that defines
//    EDGEPIPE_ISA_NS (the level's name) and EDGEPIPE_ISA_LEVEL (its Isa value)
//    and includes the .inc, with that level's -march/-m flags whatever the
//    rest of the build targets. The .inc ends with the level's table,
//    `extern const FKernels kF{EDGEPIPE_ISA_LEVEL, ...}`;
//  - F.cc: SelectF, from EDGEPIPE_DECLARE_ISA_TABLES and
//    EDGEPIPE_PICK_ISA_TABLE below.
// Callers select once (a lite kernel in Prepare, keeping the table in its op
// data; an nn kernel per call, one load of SelectedIsa()) and run one indirect
// call; EDGEPIPE_ISA (core/cpu_features.h) or a test override applies from
// the next selection on.
//
// ODR and SIGILL safety: a per-level file must not define anything the
// linker could merge with another file's copy (an inline function or a
// template instantiated from a shared header, emitted out of line): the
// linker keeps one copy, maybe the AVX-512 one, and a CPU without AVX-512
// would then run it from generic code. So everything a .inc defines sits in
// the family's namespace followed by EDGEPIPE_ISA_NS (e.g.
// edgepipe::nn::kernels::avx2::, helpers in an anonymous namespace inside
// it), and it includes only standard headers, <immintrin.h> and project
// headers whose inline functions the compiler inlines. The family's symbols
// test (src/core/isa_symbols_test.cc, registered per library by
// edgepipe_isa_kernels) checks the compiled objects with nm and objdump:
// every global or weak symbol they define names the object's own level
// namespace, and no generic or AVX2 object uses a register its level lacks.
//
// Header-only; thread-safe (the tables are constant).
#ifndef EDGEPIPE_CORE_ISA_DISPATCH_H_
#define EDGEPIPE_CORE_ISA_DISPATCH_H_

#include "src/core/cpu_features.h"

// Declares `const Table name` in each level's namespace, inside the family's
// namespace (used in F.cc). Only the generic level exists off x86-64.
#if defined(__x86_64__)
#define EDGEPIPE_HAS_X86_ISAS 1
#define EDGEPIPE_DECLARE_ISA_TABLES(Table, name) \
  namespace generic {                            \
  extern const Table name;                       \
  }                                              \
  namespace avx2 {                               \
  extern const Table name;                       \
  }                                              \
  namespace avx2_vnni {                          \
  extern const Table name;                       \
  }                                              \
  namespace avx512_vnni {                        \
  extern const Table name;                       \
  }
#define EDGEPIPE_PICK_ISA_TABLE(isa, name) \
  ::edgepipe::PickIsaTable(isa, &generic::name, &avx2::name, &avx2_vnni::name, &avx512_vnni::name)
#else
#define EDGEPIPE_DECLARE_ISA_TABLES(Table, name) \
  namespace generic {                            \
  extern const Table name;                       \
  }
#define EDGEPIPE_PICK_ISA_TABLE(isa, name) ((void)(isa), &generic::name)
#endif

namespace edgepipe {

// The table of the best compiled level at or below `isa`. There is no
// AVX-512 level without VNNI: such a CPU (kAvx512) runs the AVX2 tables.
template <typename Table>
const Table* PickIsaTable(Isa isa, const Table* generic, const Table* avx2, const Table* avx2_vnni,
                          const Table* avx512_vnni) {
  switch (isa) {
    case Isa::kAvx512Vnni:
      return avx512_vnni;
    case Isa::kAvx2Vnni:
      return avx2_vnni;
    case Isa::kAvx512:
    case Isa::kAvx2:
      return avx2;
    case Isa::kGeneric:
      break;
  }
  return generic;
}

}  // namespace edgepipe

#endif  // EDGEPIPE_CORE_ISA_DISPATCH_H_
