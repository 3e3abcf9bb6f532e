#include "src/lite/kernels/kernel.h"

#include <limits>

#include "src/lite/schema_util.h"

namespace edgepipe::lite {

Status ExpectType(const KernelTensor& t, schema::TensorType type, const char* role) {
  if (t.type == type) return Status::OK();
  return Status::InvalidArgument(std::string(role) + " '" + t.name + "' is " +
                                 TensorTypeName(t.type) + ", expected " + TensorTypeName(type));
}

Status ExpectRank(const KernelTensor& t, int rank, const char* role) {
  if (static_cast<int>(t.dims.size()) == rank) return Status::OK();
  return Status::InvalidArgument(std::string(role) + " '" + t.name + "' has shape " +
                                 DimsToString(t.dims) + ", expected rank " + std::to_string(rank));
}

Status ActivationRange(schema::ActivationFunctionType act, float* min, float* max) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  switch (act) {
    case schema::ActivationFunctionType_NONE:
      *min = -kInf;
      *max = kInf;
      return Status::OK();
    case schema::ActivationFunctionType_RELU:
      *min = 0.0f;
      *max = kInf;
      return Status::OK();
    case schema::ActivationFunctionType_RELU_N1_TO_1:
      *min = -1.0f;
      *max = 1.0f;
      return Status::OK();
    case schema::ActivationFunctionType_RELU6:
      *min = 0.0f;
      *max = 6.0f;
      return Status::OK();
    default:
      return Status::Unimplemented("fused activation " + std::to_string(static_cast<int>(act)) +
                                   " is not supported (NONE, RELU, RELU_N1_TO_1, RELU6 are)");
  }
}

}  // namespace edgepipe::lite
