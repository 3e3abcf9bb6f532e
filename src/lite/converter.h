// TFLite converter: trained model -> .tflite flatbuffer bytes, in float32 or
// one of TF's post-training quantization modes.
//
// Two steps, so the part that knows the training library stays thin:
//   1. InferenceGraphFromModel(nn model) (converter_nn.cc) ->
//      InferenceGraph: an inference-only DAG of ops over named tensors, one op
//      per Keras layer, weights still in Keras layout. The adapter translates
//      layer by layer; it does no optimisation.
//   Every op kind has one home, src/lite/converter_ops/<op>.cc (interface in
//   converter_ops/converter_op.h): its shape inference, float evaluation,
//   TFLite emission with its int8 rule, ONNX emission and runtime versions.
//   2. ConvertToTFLite(graph, options) -> bytes. It lowers the graph the way
//      TF's converter does (converter_graph.h: BatchNormalization folded into
//      the convolution/Dense before it, RELU/RELU6 fused into the op before
//      them, shapes inferred), then writes TFLite ops:
//        Dense -> FULLY_CONNECTED (weights [out, in], keep_num_dims = false);
//        Conv2D -> CONV_2D (weights [out, kh, kw, in]);
//        DepthwiseConv2D -> DEPTHWISE_CONV_2D (weights [1, kh, kw, C*mult]);
//        Pool2D -> MAX_POOL_2D / AVERAGE_POOL_2D; Mean -> MEAN;
//        Reshape -> RESHAPE; Softmax -> SOFTMAX; Activation -> RELU, RELU6,
//        LOGISTIC, TANH, HARD_SWISH; Binary -> ADD, SUB, MUL; Concat ->
//        CONCATENATION; Pad -> PAD; an unfoldable BatchNorm -> MUL + ADD;
//      inputs "serving_default_<input>:0" with shape [1, ...] and
//      shape_signature [-1, ...]; outputs "StatefulPartitionedCall:<i>";
//      one SignatureDef; version 3, buffer 0 empty, both builtin code fields,
//      a "min_runtime_version" metadata entry.
//
// Quantization (ConverterOptions::quantization, TF's meanings):
//   kDynamicRange  int8 weights, float activations (hybrid kernels): CONV_2D /
//                  DEPTHWISE_CONV_2D per channel, FULLY_CONNECTED per tensor
//                  (what TF 2.x's converter writes and what Arm NN 20.08 and
//                  tfjs-tflite read), asymmetric_quantize_inputs = true.
//                  Weights with fewer than `dynamic_range_min_elements`
//                  elements stay float32 (TF's threshold, 1024).
//   kFloat16       every float constant stored as FLOAT16, each followed by a
//                  DEQUANTIZE op to float32.
//   kFullInteger   int8 everywhere (quantizer.h has the parameter rules),
//                  activation ranges calibrated on `representative_dataset`
//                  (calibration.h). Model inputs/outputs are float32 wrapped in
//                  QUANTIZE/DEQUANTIZE unless inference_input_type /
//                  inference_output_type ask for int8 or uint8.
//
// All functions are pure apart from calling the representative dataset
// (thread-safe if it is); errors are Status values naming the op and what is
// unsupported or inconsistent.
#ifndef EDGEPIPE_LITE_CONVERTER_H_
#define EDGEPIPE_LITE_CONVERTER_H_

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "src/core/status.h"
#include "src/core/tensor.h"

namespace edgepipe::nn {
class Model;
class Sequential;
}  // namespace edgepipe::nn

namespace edgepipe::lite {

enum class FusedActivation { kNone, kRelu, kRelu6 };
enum class Padding { kSame, kValid };

// Every op reads the tensors named in its trailing `inputs` field: a graph
// input's name or an earlier op's name (an op's output tensor is named after
// the op, as a Keras layer's output is). Empty `inputs` = the previous op's
// output (the single graph input for the first op), so a Sequential chain
// needs no wiring. `inputs` is the LAST member of every op so that
// aggregate initialisation by position ({"softmax", 1.0f}) keeps working.

// out = act(in · kernel + bias); in: [B, in_features].
struct DenseOp {
  std::string name;  // layer name, e.g. "dense_1"
  Tensor kernel;     // float32 [in, units] (Keras layout)
  Tensor bias;       // float32 [units]
  FusedActivation activation = FusedActivation::kNone;
  std::vector<std::string> inputs = {};
};

// NHWC convolution; in: [B, H, W, in_channels].
struct Conv2DOp {
  std::string name;
  Tensor kernel;  // float32 [kh, kw, in, out] (Keras layout)
  Tensor bias;    // float32 [out]
  int stride_h = 1, stride_w = 1;
  Padding padding = Padding::kValid;
  int dilation_h = 1, dilation_w = 1;
  FusedActivation activation = FusedActivation::kNone;
  std::vector<std::string> inputs = {};
};

struct DepthwiseConv2DOp {
  std::string name;
  Tensor kernel;  // float32 [kh, kw, C, multiplier] (Keras layout)
  Tensor bias;    // float32 [C * multiplier]
  int stride_h = 1, stride_w = 1;
  Padding padding = Padding::kValid;
  int dilation_h = 1, dilation_w = 1;
  FusedActivation activation = FusedActivation::kNone;
  std::vector<std::string> inputs = {};
};

// Inference BatchNormalization over the last axis:
// out = gamma * (in - mean) / sqrt(variance + epsilon) + beta.
struct BatchNormOp {
  std::string name;
  Tensor gamma, beta, mean, variance;  // float32 [C] each
  float epsilon = 1e-3f;
  std::vector<std::string> inputs = {};
};

enum class PoolKind { kMax, kAverage };
struct Pool2DOp {
  std::string name;
  PoolKind kind = PoolKind::kMax;
  int filter_h = 2, filter_w = 2;
  int stride_h = 2, stride_w = 2;
  Padding padding = Padding::kValid;
  std::vector<std::string> inputs = {};
};

// Mean over `axes` (GlobalAveragePooling2D: {1, 2}, keep_dims false).
struct MeanOp {
  std::string name;
  std::vector<int> axes = {1, 2};
  bool keep_dims = false;
  std::vector<std::string> inputs = {};
};

// Reshape to [B] + shape (Flatten: shape = {-1}); at most one -1.
struct ReshapeOp {
  std::string name;
  Shape shape;  // without the batch dimension
  std::vector<std::string> inputs = {};
};

// softmax(beta * x) over the last dim.
struct SoftmaxOp {
  std::string name;
  float beta = 1.0f;
  std::vector<std::string> inputs = {};
};

enum class ActivationKind { kRelu, kRelu6, kLogistic, kTanh, kHardSwish };
struct ActivationOp {
  std::string name;
  ActivationKind kind = ActivationKind::kRelu;
  std::vector<std::string> inputs = {};
};

// Element-wise in0 <op> in1 with numpy broadcasting. With a `constant` (any
// float32 tensor broadcastable against the input, e.g. [] or [C]) the op has
// one input and computes in0 <op> constant.
enum class BinaryKind { kAdd, kSub, kMul };
struct BinaryOp {
  std::string name;
  BinaryKind kind = BinaryKind::kAdd;
  std::optional<Tensor> constant = std::nullopt;
  FusedActivation activation = FusedActivation::kNone;
  std::vector<std::string> inputs = {};
};

struct ConcatOp {
  std::string name;
  int axis = -1;  // over the full shape (batch is axis 0); negative counts from the end
  std::vector<std::string> inputs = {};
};

// Zero padding; paddings[d] = {before, after} for every dim, batch included.
struct PadOp {
  std::string name;
  std::vector<std::array<int64_t, 2>> paddings;
  std::vector<std::string> inputs = {};
};

using InferenceOp =
    std::variant<DenseOp, Conv2DOp, DepthwiseConv2DOp, BatchNormOp, Pool2DOp, MeanOp, ReshapeOp,
                 SoftmaxOp, ActivationOp, BinaryOp, ConcatOp, PadOp>;

// Name and Keras class-like kind ("Dense", "Conv2D", ...) of an op.
const std::string& OpName(const InferenceOp& op);
const char* OpKindName(const InferenceOp& op);
const std::vector<std::string>& OpInputs(const InferenceOp& op);

struct GraphInput {
  std::string name;  // signature key and tensor name; e.g. "image_floats"
  Shape shape;       // {-1, ...}: -1 = batch
};

struct GraphOutput {
  std::string name;    // signature key, e.g. "output_0"
  std::string tensor;  // the op (or graph input) whose output this is
};

// A DAG; ops are listed in a topological order (each op after its inputs).
struct InferenceGraph {
  std::string model_name = "sequential";  // prefix of intermediate tensor names
  // Single-input shorthand (Sequential models): used when `inputs` is empty.
  std::string input_name;
  Shape input_shape;
  std::vector<GraphInput> inputs = {};
  // Single-output shorthand: the last op's output under this key, used when
  // `outputs` is empty.
  std::string output_name = "output_0";
  std::vector<GraphOutput> outputs = {};
  std::vector<InferenceOp> ops;
};

// Yields one sample (one float32 tensor per model input, batch dimension
// included, usually 1) per call, nullopt at the end (TF's
// representative_dataset generator). Called from the converting thread only.
using RepresentativeDataset = std::function<StatusOr<std::optional<std::vector<Tensor>>>()>;

enum class QuantizationMode { kNone, kDynamicRange, kFloat16, kFullInteger };
const char* QuantizationModeName(QuantizationMode mode);  // "none", "dynamic_range", ...

struct ConverterOptions {
  std::string signature_key = "serving_default";
  // TF writes the oldest TFLite runtime that can run the model.
  bool write_min_runtime_version = true;
  QuantizationMode quantization = QuantizationMode::kNone;
  // kDynamicRange: weights with fewer elements stay float (TF: 1024).
  int64_t dynamic_range_min_elements = 1024;
  // kFullInteger: required; read once, to the end (nullopt).
  RepresentativeDataset representative_dataset = {};
  // kFullInteger only: kFloat32 (default), kInt8 or kUInt8.
  DType inference_input_type = DType::kFloat32;
  DType inference_output_type = DType::kFloat32;
};

// Step 1: a built nn::Model (Sequential or functional, one or more inputs)
// -> InferenceGraph, reading the weights as they are now (BatchNormalization
// in inference mode: moving statistics). Layer -> op:
//   Dense -> DenseOp (rank-1 input; higher ranks: a 1x1 Conv2DOp, reshaped
//     around it when the input is not (H, W, C)); Conv2D -> Conv2DOp;
//   DepthwiseConv2D -> DepthwiseConv2DOp (no bias: zeros, as TF writes);
//   BatchNormalization -> BatchNormOp; MaxPooling2D / AveragePooling2D ->
//   Pool2DOp; GlobalAveragePooling2D -> MeanOp {1, 2}; Flatten / Reshape ->
//   ReshapeOp (static shape); ZeroPadding2D -> PadOp; Rescaling -> MUL(scale)
//   + ADD(offset) (a *1 or +0 left out); Normalization -> SUB(mean) +
//   MUL(1 / max(sqrt(variance), 1e-7)); Add -> BinaryOp ADD (pairwise for 3+
//   inputs); Concatenate -> ConcatOp (last axis); ReLU / Activation ->
//   ActivationOp (RELU, RELU6, LOGISTIC, TANH, HARD_SWISH) or SoftmaxOp,
//   linear dropped; Dropout dropped. A Dense/Conv `activation=` relu/relu6
//   is fused into the op; any other is a separate op after it.
// The op writing a layer's output is named after the layer (extra ops
// "<layer>/..."); graph inputs are the model's input names, the output is
// model.output_name(). Errors: FailedPrecondition for an unbuilt model;
// Unimplemented naming the layer and its class for a layer or configuration
// without a TFLite equivalent here (e.g. ReLU max_value other than 6).
StatusOr<InferenceGraph> InferenceGraphFromModel(const nn::Model& model);
// Same as InferenceGraphFromModel (kept for existing callers).
StatusOr<InferenceGraph> InferenceGraphFromSequential(const nn::Sequential& model);

// Step 2. InvalidArgument for inconsistent graphs or options (shapes that do
// not chain, unknown or duplicate names, inference types without full
// integer, ...), naming the op or option; errors of the representative
// dataset are returned with context.
StatusOr<std::string> ConvertToTFLite(const InferenceGraph& graph,
                                      const ConverterOptions& options = {});

// Steps 1 + 2.
StatusOr<std::string> ConvertModel(const nn::Model& model, const ConverterOptions& options = {});
StatusOr<std::string> ConvertSequential(const nn::Sequential& model,
                                        const ConverterOptions& options = {});

}  // namespace edgepipe::lite

#endif  // EDGEPIPE_LITE_CONVERTER_H_
