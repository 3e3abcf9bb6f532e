#include "src/lite/kernels/op_resolver.h"

#include <cstdlib>

#include "src/lite/schema_util.h"

namespace edgepipe::lite {

Status OpResolver::Add(const OpRegistration* registration) {
  if (registration == nullptr || registration->prepare == nullptr ||
      registration->eval == nullptr) {
    return Status::InvalidArgument("op registration without Prepare/Eval");
  }
  if (registration->builtin_code == schema::BuiltinOperator_CUSTOM) {
    return Status::InvalidArgument(std::string("custom operator '") + registration->name +
                                   "' must be added with AddCustom");
  }
  auto [it, inserted] = registrations_.emplace(registration->builtin_code, registration);
  if (!inserted) {
    return Status::InvalidArgument(std::string("a kernel for ") + registration->name +
                                   " (builtin code " + std::to_string(registration->builtin_code) +
                                   ") is already registered");
  }
  return Status::OK();
}

Status OpResolver::AddCustom(const OpRegistration* registration) {
  if (registration == nullptr || registration->prepare == nullptr ||
      registration->eval == nullptr) {
    return Status::InvalidArgument("custom op registration without Prepare/Eval");
  }
  if (registration->name == nullptr || registration->name[0] == '\0') {
    return Status::InvalidArgument("custom op registration without a name");
  }
  if (registration->builtin_code != schema::BuiltinOperator_CUSTOM) {
    return Status::InvalidArgument(
        std::string("custom op '") + registration->name + "' has builtin code " +
        std::to_string(registration->builtin_code) + ", expected CUSTOM (32)");
  }
  auto [it, inserted] = custom_.emplace(registration->name, registration);
  if (!inserted) {
    return Status::InvalidArgument(std::string("a kernel for custom op '") + registration->name +
                                   "' is already registered");
  }
  return Status::OK();
}

const OpRegistration* OpResolver::FindCustom(std::string_view custom_code) const {
  auto it = custom_.find(custom_code);
  return it == custom_.end() ? nullptr : it->second;
}

const OpRegistration* OpResolver::Find(int32_t builtin_code) const {
  auto it = registrations_.find(builtin_code);
  return it == registrations_.end() ? nullptr : it->second;
}

std::string OpResolver::SupportedOpsString() const {
  std::string out;
  for (const auto& [code, reg] : registrations_) {
    if (!out.empty()) out += ", ";
    out += reg->name;
  }
  for (const auto& [name, reg] : custom_) {
    if (!out.empty()) out += ", ";
    out += "custom " + name;
  }
  return out;
}

const OpResolver& BuiltinOpResolver() {
  static const OpResolver* resolver = [] {
    auto* r = new OpResolver();
    for (const OpRegistration* reg : {RegisterFullyConnected(),
                                      RegisterReshape(),
                                      RegisterSoftmax(),
                                      RegisterConv2D(),
                                      RegisterDepthwiseConv2D(),
                                      RegisterMaxPool2D(),
                                      RegisterAveragePool2D(),
                                      RegisterMean(),
                                      RegisterRelu(),
                                      RegisterRelu6(),
                                      RegisterLogistic(),
                                      RegisterTanh(),
                                      RegisterHardSwish(),
                                      RegisterAdd(),
                                      RegisterSub(),
                                      RegisterMul(),
                                      RegisterConcatenation(),
                                      RegisterPad(),
                                      RegisterQuantize(),
                                      RegisterDequantize(),
                                      RegisterResizeBilinear(),
                                      RegisterResizeNearestNeighbor(),
                                      RegisterDepthToSpace(),
                                      RegisterSpaceToDepth(),
                                      RegisterDensify(),
                                      RegisterExp(),
                                      RegisterLog(),
                                      RegisterSqrt(),
                                      RegisterRsqrt(),
                                      RegisterAbs(),
                                      RegisterGelu(),
                                      RegisterLeakyRelu(),
                                      RegisterDiv(),
                                      RegisterMaximum(),
                                      RegisterMinimum(),
                                      RegisterTranspose(),
                                      RegisterSqueeze(),
                                      RegisterPrelu(),
                                      RegisterSlice(),
                                      RegisterStridedSlice(),
                                      RegisterGather(),
                                      RegisterSum(),
                                      RegisterReduceMax(),
                                      RegisterL2Normalization(),
                                      RegisterBatchMatMul(),
                                      RegisterSplit(),
                                      RegisterPack(),
                                      RegisterUnpack(),
                                      RegisterTransposeConv()}) {
      // A duplicate here is a programming error in this list, caught by
      // lite_test (OpResolverTest) before it can ship.
      if (!r->Add(reg).ok()) std::abort();
    }
    for (const OpRegistration* reg : {RegisterConvolution2DTransposeBias()}) {
      if (!r->AddCustom(reg).ok()) std::abort();
    }
    return r;
  }();
  return *resolver;
}

}  // namespace edgepipe::lite
