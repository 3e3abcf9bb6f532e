// ONNX export of edgepipe models: the converter's lowered graph
// (src/lite/converter_graph.h: BatchNormalization folded, RELU/RELU6 fused,
// every shape known) written as an ONNX ModelProto, opset 13, so a native
// runtime (onnxruntime) can run the same model as our TFLite interpreter.
//
// Op mapping (every LoweredGraph op has one, written by the op's own rule in
// src/lite/converter_ops/<op>.cc through lite::OnnxNode; a new op kind
// without a rule fails to link):
//   Dense            -> Gemm (B = the Keras kernel [in, units], C = bias)
//   Conv2D           -> Conv, W [out, in, kh, kw]
//   DepthwiseConv2D  -> Conv with group = C, W [C * mult, 1, kh, kw]
//   Pool2D           -> MaxPool / AveragePool (count_include_pad = 0: TF
//                       divides by the in-bounds count)
//   Mean             -> ReduceMean (axes attribute, opset 13)
//   Reshape          -> Reshape to [0, ...] (0 copies the batch dim)
//   Softmax          -> Softmax(axis -1), after Mul(beta) when beta != 1
//   Activation       -> Relu, Clip(0, 6), Sigmoid, Tanh; hard_swish as
//                       x * HardSigmoid(x; 1/6, 0.5) (HardSwish is opset 14)
//   Binary           -> Add / Sub / Mul (a constant operand is an initializer)
//   Concat           -> Concat; Pad -> Pad (constant 0)
//   fused RELU/RELU6 -> Relu / Clip after the op
//
// Layout: values stay NHWC, as in the TF.js model, the .tflite and
// nn::Model::Predict, so one input buffer feeds all of them. ONNX's Conv and
// pooling are NCHW: each is wrapped in Transpose(0,3,1,2) ... Transpose(0,2,3,1)
// and the weights are transposed here once. Chains of such ops leave
// back-to-back inverse Transposes between them, which onnxruntime's
// transpose optimizer cancels at session creation (with its default graph
// optimizations its profile of the Fashion-MNIST CNN shows one Transpose, at
// the input), so the cost is at the model's edges only. Transposing the
// model's input instead would change its signature from the TF.js/TFLite one.
//
// Graph inputs keep the model's input names and shapes with a symbolic batch
// dimension "batch"; outputs are named by signature key ("output_0", ...);
// float32 everywhere. Constants are TensorProto raw_data (little-endian).
//
// Pure functions; thread-safe. Errors: the converter's (Unimplemented naming
// the layer and its Keras class for a layer without an equivalent,
// InvalidArgument for an inconsistent graph), with "onnx export" context;
// ExportSavedModelToOnnx adds NotFound/IOError for the files it reads and
// writes, and writes OUT atomically (nothing is left behind on failure).
#ifndef EDGEPIPE_ONNX_ONNX_EXPORT_H_
#define EDGEPIPE_ONNX_ONNX_EXPORT_H_

#include <cstdint>
#include <string>

#include "src/core/status.h"
#include "src/lite/converter.h"

namespace edgepipe::nn {
class Model;
}  // namespace edgepipe::nn

namespace edgepipe::onnx {

inline constexpr int64_t kOnnxOpset = 13;
inline constexpr int64_t kOnnxIrVersion = 7;  // the IR version of opset 13 (ONNX 1.8)

struct OnnxExportOptions {
  std::string producer_name = "edgepipe";
  std::string producer_version = "0.1";
};

// The serialized ModelProto of `graph`.
StatusOr<std::string> ExportGraphToOnnx(const lite::InferenceGraph& graph,
                                        const OnnxExportOptions& options = {});

// A built nn::Model (weights as they are now; BatchNormalization with its
// moving statistics) through lite::InferenceGraphFromModel.
StatusOr<std::string> ExportModelToOnnx(const nn::Model& model,
                                        const OnnxExportOptions& options = {});

// A saved model folder (model.json + weights, nn::LoadAnyModel) or a Model
// artifact holding Format-Serving/, written to `out_path` (its folder created
// if missing). Returns the bytes written.
StatusOr<int64_t> ExportSavedModelToOnnx(const std::string& model_dir, const std::string& out_path,
                                         const OnnxExportOptions& options = {});

}  // namespace edgepipe::onnx

#endif  // EDGEPIPE_ONNX_ONNX_EXPORT_H_
