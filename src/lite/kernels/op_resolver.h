// OpResolver: builtin operator code -> kernel registration.
//
// One resolver holds every kernel edgepipe has; Add refuses a second
// registration for the same code (two kernels for one op is a bug, not a
// preference). The resolver does not own the registrations (they are static
// objects in the kernel files). Lookups are thread-safe once built; Add is not.
#ifndef EDGEPIPE_LITE_KERNELS_OP_RESOLVER_H_
#define EDGEPIPE_LITE_KERNELS_OP_RESOLVER_H_

#include <map>
#include <string>

#include "src/core/status.h"
#include "src/lite/kernels/kernel.h"

namespace edgepipe::lite {

class OpResolver {
 public:
  // InvalidArgument naming the op when its code is already registered, or
  // when the registration lacks Prepare/Eval.
  Status Add(const OpRegistration* registration);
  // Null when no kernel is registered for the code.
  const OpRegistration* Find(int32_t builtin_code) const;
  // "FULLY_CONNECTED, RESHAPE, SOFTMAX" (for error messages).
  std::string SupportedOpsString() const;

 private:
  std::map<int32_t, const OpRegistration*> registrations_;
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

}  // namespace edgepipe::lite

#endif  // EDGEPIPE_LITE_KERNELS_OP_RESOLVER_H_
