// The TFLite side of the converter: writes one LoweredGraph as a .tflite
// flatbuffer in one quantization mode. The generic parts (graph inputs and
// outputs with their QUANTIZE/DEQUANTIZE, constants in float32, float16 or
// int8, weights and biases, quantization parameters of activations, operator
// codes and versions, the signature and min_runtime_version) live here; each
// op's operators and options are written by its ConverterOp (EmitTflite),
// which calls the helpers below.
//
// One TfliteEmitter writes one model (not reusable); not thread-safe. It
// borrows `graph` and `options`, which must outlive it.
#ifndef EDGEPIPE_LITE_CONVERTER_OPS_TFLITE_EMITTER_H_
#define EDGEPIPE_LITE_CONVERTER_OPS_TFLITE_EMITTER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "src/lite/calibration.h"
#include "src/lite/converter.h"
#include "src/lite/converter_graph.h"
#include "src/lite/quantizer.h"
#include "src/lite/schema/schema_generated.h"

namespace edgepipe::lite {

// Builds the object-API model tensor by tensor; every tensor gets its own
// buffer (empty for activations), after the empty sentinel buffer 0.
class ModelWriter {
 public:
  ModelWriter();
  int AddTensor(std::string name, std::vector<int32_t> shape, std::vector<int32_t> signature,
                schema::TensorType type, const void* data = nullptr, size_t bytes = 0,
                const QuantParams* q = nullptr);
  uint32_t OpcodeIndex(schema::BuiltinOperator op, int version);
  schema::OperatorT& AddOp(schema::BuiltinOperator op, std::vector<int32_t> inputs,
                           std::vector<int32_t> outputs, int version = 1);
  std::string Finish(const std::vector<std::pair<std::string, int>>& inputs,
                     const std::vector<std::pair<std::string, int>>& outputs,
                     const std::string& signature_key, bool min_runtime_version);

 private:
  schema::ModelT model_;
  std::unique_ptr<schema::SubGraphT> subgraph_;
};

schema::ActivationFunctionType ToSchema(FusedActivation a);
schema::Padding ToSchema(Padding p);
std::vector<int32_t> Dims(const Shape& s);

class TfliteEmitter {
 public:
  // `ranges`: calibrated per value id (full integer only, else empty).
  TfliteEmitter(const LoweredGraph& g, const ConverterOptions& o, std::vector<TensorRange> ranges);

  StatusOr<std::string> Run();

  // ---- For the op rules (converter_ops/<op>.cc) ----
  bool full() const { return o_.quantization == QuantizationMode::kFullInteger; }
  bool f16() const { return o_.quantization == QuantizationMode::kFloat16; }
  bool dynamic() const { return o_.quantization == QuantizationMode::kDynamicRange; }
  const LoweredValue& Value(int v) const { return g_.values[static_cast<size_t>(v)]; }
  // Tensor index of value v (already emitted).
  int tensor(int v) const { return tensor_[static_cast<size_t>(v)]; }
  // int8 parameters of value v (full integer, already emitted).
  const QuantParams& params(int v) const { return params_[static_cast<size_t>(v)]; }

  // TF's tensor-name prefix of a node: "<model>/<op name>/".
  std::string Prefix(const LoweredNode& node) const;
  // prefix + base, plus ";<prefix>Relu" / "Relu6" for a fused activation.
  static std::string FusedName(const std::string& prefix, const std::string& base,
                               FusedActivation a);
  static const char* ActivationOpName(FusedActivation a);  // "Relu", "Relu6" or nullptr

  // The output tensor of node value v; its int8 parameters are `fixed` if
  // given (TFLite's fixed output ranges, or the input's for ops that must
  // keep them), else calibrated.
  int Output(int v, const std::string& intermediate, std::optional<QuantParams> fixed = {});

  schema::OperatorT& AddOp(schema::BuiltinOperator op, std::vector<int32_t> inputs,
                           std::vector<int32_t> outputs, int version = 1) {
    return w_.AddOp(op, std::move(inputs), std::move(outputs), version);
  }
  int AddTensor(std::string name, std::vector<int32_t> shape, std::vector<int32_t> signature,
                schema::TensorType type, const void* data = nullptr, size_t bytes = 0,
                const QuantParams* q = nullptr) {
    return w_.AddTensor(std::move(name), std::move(shape), std::move(signature), type, data, bytes,
                        q);
  }

  // A float constant: float32, or float16 + DEQUANTIZE in float16 mode.
  int FloatConst(const std::string& name, const std::vector<int32_t>& shape, const float* data,
                 int64_t n);
  int Int32Const(const std::string& name, const std::vector<int32_t>& shape,
                 const std::vector<int32_t>& values);

  struct Weights {
    int tensor = -1;
    bool int8 = false;
    std::vector<float> scales;
  };
  // Weights already in TFLite layout. Per channel: `channels` along axis
  // `axis` (0 or last), else per tensor. int8 in full-integer mode and in
  // dynamic-range mode past dynamic_range_min_elements.
  Weights EmitWeights(const std::string& name, const std::vector<int32_t>& shape,
                      const std::vector<float>& w, bool per_channel, int axis);
  int EmitBias(const std::string& name, const Tensor& bias, int input_value, const Weights& w);

  // Version of a weighted op: float, hybrid (float in, int8 weights) or int8.
  int WeightedVersion(schema::BuiltinOperator op, bool int8_weights) const;
  int SimpleVersion() const { return full() ? 2 : 1; }

  // Input tensor of a node, requantized to `want` if its params differ
  // (int8 CONCATENATION needs one scale; TF inserts the same QUANTIZE).
  int InputAs(int v, const QuantParams& want, const std::string& name);

 private:
  schema::TensorType act_type() const {
    return full() ? schema::TensorType_INT8 : schema::TensorType_FLOAT32;
  }
  std::vector<int32_t> BatchOne(int v) const;
  int AddActivation(int v, const std::string& name);
  std::string ActivationName(int v, const std::string& intermediate) const;
  QuantParams Calibrated(int v) const;
  int EmitInput(int v);
  int EmitOutput(int v, int index);

  const LoweredGraph& g_;
  const ConverterOptions& o_;
  std::vector<TensorRange> ranges_;
  ModelWriter w_;
  std::vector<int> tensor_;          // value id -> tensor index
  std::vector<QuantParams> params_;  // value id -> int8 params (full integer)
  std::vector<int> output_index_;    // value id -> graph output index or -1
};

}  // namespace edgepipe::lite

#endif  // EDGEPIPE_LITE_CONVERTER_OPS_TFLITE_EMITTER_H_
