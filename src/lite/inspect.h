// A summary of a .tflite model for humans and `edgepipe lite inspect`:
// tensors (name, shape, type, bytes, constant or not), operators, parameter
// count, file size, multiply-accumulates per example and the activation arena.
//
// Inspect loads the model with the Interpreter (so it reports exactly what
// the interpreter would refuse). Pure function of the bytes; thread-safe.
#ifndef EDGEPIPE_LITE_INSPECT_H_
#define EDGEPIPE_LITE_INSPECT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "src/core/status.h"

namespace edgepipe::lite {

struct TensorSummary {
  int index = 0;
  std::string name;
  std::vector<int32_t> shape;
  std::vector<int32_t> shape_signature;  // empty if the file has none
  std::string type;                      // "float32"
  size_t bytes = 0;
  bool constant = false;  // holds weights
};

struct OperatorSummary {
  int index = 0;
  std::string op;  // "FULLY_CONNECTED"
  int version = 1;
  std::vector<int> inputs;
  std::vector<int> outputs;
  std::string options;  // e.g. "fused_activation=RELU keep_num_dims=false"
  int64_t macs = 0;     // multiply-accumulates at batch 1
};

struct ModelSummary {
  std::string name;
  uint32_t schema_version = 0;
  size_t file_bytes = 0;
  std::string description;
  std::vector<std::string> signature_keys;
  std::vector<TensorSummary> tensors;
  std::vector<OperatorSummary> operators;
  std::vector<int> inputs;
  std::vector<int> outputs;
  int64_t num_parameters = 0;  // elements of constant tensors
  size_t parameter_bytes = 0;
  int64_t macs = 0;                                           // per example (batch 1)
  size_t arena_bytes = 0;                                     // activations at batch 1
  std::vector<std::pair<std::string, std::string>> metadata;  // name -> printable value
};

StatusOr<ModelSummary> InspectModel(std::string_view bytes, const std::string& name_for_errors);
StatusOr<ModelSummary> InspectFile(const std::string& path);

// Multi-line human-readable rendering.
std::string FormatSummary(const ModelSummary& summary);

}  // namespace edgepipe::lite

#endif  // EDGEPIPE_LITE_INSPECT_H_
