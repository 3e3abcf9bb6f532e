// Float32 TFLite converter: trained model -> .tflite flatbuffer bytes.
//
// Two steps, so the part that knows the training library stays thin:
//   1. InferenceGraphFromSequential(nn model) -> InferenceGraph, a small
//      inference-only description (Dropout removed, ReLU layers fused into
//      the Dense before them, kernels still in Keras [in, out] layout);
//   2. ConvertToTFLite(graph) -> bytes, written the way TF's converter
//      writes a Keras MLP:
//        - one FULLY_CONNECTED per Dense: weights transposed to [out, in],
//          keep_num_dims = false, fused RELU when the Dense has relu;
//        - input "serving_default_<input_name>:0", shape [1, F],
//          shape_signature [-1, F]; output "StatefulPartitionedCall:0";
//        - SignatureDef "<signature_key>" with input key <input_name> and
//          output key <output_name> ("output_0");
//        - version 3, buffer 0 empty, one buffer per tensor, both
//          deprecated_builtin_code (min(code, 127)) and builtin_code set,
//          a "min_runtime_version" metadata entry.
//
// All functions are pure (thread-safe); errors are Status values naming the
// layer and what is unsupported.
#ifndef EDGEPIPE_LITE_CONVERTER_H_
#define EDGEPIPE_LITE_CONVERTER_H_

#include <string>
#include <variant>
#include <vector>

#include "src/core/status.h"
#include "src/core/tensor.h"

namespace edgepipe::nn {
class Sequential;
}

namespace edgepipe::lite {

enum class FusedActivation { kNone, kRelu, kRelu6 };

// out = act(in · kernel + bias).
struct DenseOp {
  std::string name;  // layer name, e.g. "dense_1"
  Tensor kernel;     // float32 [in, units] (Keras layout)
  Tensor bias;       // float32 [units]
  FusedActivation activation = FusedActivation::kNone;
};

// softmax(beta * x) over the last dim.
struct SoftmaxOp {
  std::string name;
  float beta = 1.0f;
};

using InferenceOp = std::variant<DenseOp, SoftmaxOp>;

// A feed-forward chain: input -> ops[0] -> ... -> ops.back() -> output.
struct InferenceGraph {
  std::string model_name = "sequential";  // prefix of intermediate tensor names
  std::string input_name;                 // signature input key, e.g. "image_floats"
  Shape input_shape;                      // {-1, features}: -1 = batch
  std::string output_name = "output_0";   // signature output key
  std::vector<InferenceOp> ops;
};

struct ConverterOptions {
  std::string signature_key = "serving_default";
  // TF writes the oldest TFLite runtime that can run the model; our float
  // FULLY_CONNECTED/SOFTMAX/RESHAPE graphs run on 1.5.0.
  bool write_min_runtime_version = true;
};

// Step 1. Supported layers: Dense (linear/relu), Dropout (dropped), ReLU
// (fused into the preceding Dense). Anything else is Unimplemented naming
// the layer and its class. The model must be built.
StatusOr<InferenceGraph> InferenceGraphFromSequential(const nn::Sequential& model);

// Step 2. InvalidArgument for inconsistent graphs (shapes that do not chain,
// bad names), naming the op.
StatusOr<std::string> ConvertToTFLite(const InferenceGraph& graph,
                                      const ConverterOptions& options = {});

// Steps 1 + 2.
StatusOr<std::string> ConvertSequential(const nn::Sequential& model,
                                        const ConverterOptions& options = {});

}  // namespace edgepipe::lite

#endif  // EDGEPIPE_LITE_CONVERTER_H_
