// OpResolver: operator code (or custom operator name) -> kernel registration.
//
// BuiltinOpResolver() holds every kernel edgepipe has, plus the custom
// operators it ships (MediaPipe's Convolution2DTransposeBias). A user who
// needs their own custom operator copies it, adds theirs and hands the copy
// to the interpreter (InterpreterOptions::op_resolver):
//
//   static const lite::OpRegistration kMyOp{schema::BuiltinOperator_CUSTOM, "MyOp",
//                                           1, 1, 1, PrepareMyOp, EvalMyOp};
//   lite::OpResolver resolver = lite::BuiltinOpResolver();   // a copy
//   RETURN_IF_ERROR(resolver.AddCustom(&kMyOp));
//   lite::InterpreterOptions options;
//   options.op_resolver = &resolver;
//
// Add/AddCustom refuse a second registration for the same code or name (two
// kernels for one op is a bug, not a preference). The resolver does not own
// the registrations: each must outlive every interpreter built with it (see
// OpRegistration). Copyable; lookups are thread-safe once built; Add is not.
#ifndef EDGEPIPE_LITE_KERNELS_OP_RESOLVER_H_
#define EDGEPIPE_LITE_KERNELS_OP_RESOLVER_H_

#include <map>
#include <string>
#include <string_view>

#include "src/core/status.h"
#include "src/lite/kernels/kernel.h"

namespace edgepipe::lite {

class OpResolver {
 public:
  // A builtin kernel. InvalidArgument naming the op when its code is already
  // registered, when the code is CUSTOM (use AddCustom), or when the
  // registration lacks Prepare/Eval.
  Status Add(const OpRegistration* registration);
  // A custom operator, found by the model's OperatorCode.custom_code, which
  // must equal registration->name (non-empty) and builtin_code must be
  // CUSTOM. InvalidArgument naming it when the name is taken or the
  // registration is incomplete.
  Status AddCustom(const OpRegistration* registration);
  // Null when no kernel is registered for the code / custom name.
  const OpRegistration* Find(int32_t builtin_code) const;
  const OpRegistration* FindCustom(std::string_view custom_code) const;
  // "FULLY_CONNECTED, RESHAPE, SOFTMAX, custom Convolution2DTransposeBias"
  // (for error messages).
  std::string SupportedOpsString() const;

 private:
  std::map<int32_t, const OpRegistration*> registrations_;
  std::map<std::string, const OpRegistration*, std::less<>> custom_;
};

// The resolver with every builtin kernel of edgepipe (built once, shared).
const OpResolver& BuiltinOpResolver();

// One per kernel file.
const OpRegistration* RegisterFullyConnected();
const OpRegistration* RegisterReshape();
const OpRegistration* RegisterSoftmax();
const OpRegistration* RegisterConv2D();
const OpRegistration* RegisterDepthwiseConv2D();
const OpRegistration* RegisterMaxPool2D();
const OpRegistration* RegisterAveragePool2D();
const OpRegistration* RegisterMean();
const OpRegistration* RegisterRelu();
const OpRegistration* RegisterRelu6();
const OpRegistration* RegisterLogistic();
const OpRegistration* RegisterTanh();
const OpRegistration* RegisterHardSwish();
const OpRegistration* RegisterAdd();
const OpRegistration* RegisterSub();
const OpRegistration* RegisterMul();
const OpRegistration* RegisterConcatenation();
const OpRegistration* RegisterPad();
const OpRegistration* RegisterQuantize();
const OpRegistration* RegisterDequantize();
const OpRegistration* RegisterResizeBilinear();
const OpRegistration* RegisterResizeNearestNeighbor();
const OpRegistration* RegisterDepthToSpace();
const OpRegistration* RegisterSpaceToDepth();
const OpRegistration* RegisterDensify();
const OpRegistration* RegisterExp();
const OpRegistration* RegisterLog();
const OpRegistration* RegisterSqrt();
const OpRegistration* RegisterRsqrt();
const OpRegistration* RegisterAbs();
const OpRegistration* RegisterGelu();
const OpRegistration* RegisterLeakyRelu();
const OpRegistration* RegisterDiv();
const OpRegistration* RegisterMaximum();
const OpRegistration* RegisterMinimum();
const OpRegistration* RegisterTranspose();
const OpRegistration* RegisterSqueeze();
const OpRegistration* RegisterPrelu();
const OpRegistration* RegisterSlice();
const OpRegistration* RegisterStridedSlice();
const OpRegistration* RegisterGather();
const OpRegistration* RegisterSum();
const OpRegistration* RegisterReduceMax();
const OpRegistration* RegisterL2Normalization();
const OpRegistration* RegisterBatchMatMul();
const OpRegistration* RegisterSplit();
const OpRegistration* RegisterPack();
const OpRegistration* RegisterUnpack();
const OpRegistration* RegisterTransposeConv();
// Custom operators edgepipe ships (registered by name).
const OpRegistration* RegisterConvolution2DTransposeBias();

}  // namespace edgepipe::lite

#endif  // EDGEPIPE_LITE_KERNELS_OP_RESOLVER_H_
