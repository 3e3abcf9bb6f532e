#include "src/lite/converter.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>

#include "flatbuffers/flatbuffers.h"
#include "src/lite/calibration.h"
#include "src/lite/converter_graph.h"
#include "src/lite/quantizer.h"
#include "src/lite/schema/schema_generated.h"
#include "src/lite/schema_util.h"

namespace edgepipe::lite {

const char* QuantizationModeName(QuantizationMode mode) {
  switch (mode) {
    case QuantizationMode::kNone:
      return "none";
    case QuantizationMode::kDynamicRange:
      return "dynamic_range";
    case QuantizationMode::kFloat16:
      return "float16";
    case QuantizationMode::kFullInteger:
      return "full_integer";
  }
  return "?";
}

namespace {

using schema::BuiltinOperator;
using schema::TensorType;

// The oldest TFLite runtime that runs (op, version), from TF's
// tools/versioning/runtime_version.cc, for the ops this converter writes.
const char* RuntimeVersion(BuiltinOperator op, int version) {
  static const std::map<std::pair<int, int>, const char*> kTable = {
      {{schema::BuiltinOperator_AVERAGE_POOL_2D, 1}, "1.5.0"},
      {{schema::BuiltinOperator_AVERAGE_POOL_2D, 2}, "1.14.0"},
      {{schema::BuiltinOperator_CONV_2D, 1}, "1.5.0"},
      {{schema::BuiltinOperator_CONV_2D, 3}, "1.14.0"},
      {{schema::BuiltinOperator_CONV_2D, 5}, "2.4.0"},
      {{schema::BuiltinOperator_DEPTHWISE_CONV_2D, 1}, "1.5.0"},
      {{schema::BuiltinOperator_DEPTHWISE_CONV_2D, 2}, "1.12.0"},
      {{schema::BuiltinOperator_DEPTHWISE_CONV_2D, 3}, "1.14.0"},
      {{schema::BuiltinOperator_DEPTHWISE_CONV_2D, 6}, "2.3.0"},
      {{schema::BuiltinOperator_ADD, 1}, "1.5.0"},
      {{schema::BuiltinOperator_ADD, 2}, "1.14.0"},
      {{schema::BuiltinOperator_SUB, 1}, "1.6.0"},
      {{schema::BuiltinOperator_SUB, 2}, "1.14.0"},
      {{schema::BuiltinOperator_MUL, 1}, "1.5.0"},
      {{schema::BuiltinOperator_MUL, 2}, "1.14.0"},
      {{schema::BuiltinOperator_CONCATENATION, 1}, "1.5.0"},
      {{schema::BuiltinOperator_CONCATENATION, 2}, "1.14.0"},
      {{schema::BuiltinOperator_FULLY_CONNECTED, 1}, "1.5.0"},
      {{schema::BuiltinOperator_FULLY_CONNECTED, 4}, "1.14.0"},
      {{schema::BuiltinOperator_FULLY_CONNECTED, 9}, "2.3.0"},
      {{schema::BuiltinOperator_MAX_POOL_2D, 1}, "1.5.0"},
      {{schema::BuiltinOperator_MAX_POOL_2D, 2}, "1.14.0"},
      {{schema::BuiltinOperator_PAD, 1}, "1.5.0"},
      {{schema::BuiltinOperator_PAD, 2}, "1.14.0"},
      {{schema::BuiltinOperator_RESHAPE, 1}, "1.5.0"},
      {{schema::BuiltinOperator_SOFTMAX, 1}, "1.5.0"},
      {{schema::BuiltinOperator_SOFTMAX, 2}, "1.14.0"},
      {{schema::BuiltinOperator_MEAN, 1}, "1.6.0"},
      {{schema::BuiltinOperator_MEAN, 2}, "1.14.0"},
      {{schema::BuiltinOperator_RELU6, 1}, "1.5.0"},
      {{schema::BuiltinOperator_RELU6, 2}, "1.14.0"},
      {{schema::BuiltinOperator_RELU, 1}, "1.5.0"},
      {{schema::BuiltinOperator_RELU, 2}, "2.1.0"},
      {{schema::BuiltinOperator_TANH, 1}, "1.14.0"},
      {{schema::BuiltinOperator_TANH, 2}, "1.14.0"},
      {{schema::BuiltinOperator_LOGISTIC, 1}, "1.14.0"},
      {{schema::BuiltinOperator_LOGISTIC, 2}, "1.14.0"},
      {{schema::BuiltinOperator_DEQUANTIZE, 2}, "1.14.0"},
      {{schema::BuiltinOperator_DEQUANTIZE, 3}, "1.15.0"},
      {{schema::BuiltinOperator_QUANTIZE, 1}, "1.14.0"},
      {{schema::BuiltinOperator_HARD_SWISH, 1}, "1.15.0"},
  };
  auto it = kTable.find({op, version});
  return it == kTable.end() ? "1.5.0" : it->second;
}

bool VersionLess(const std::string& a, const std::string& b) {
  auto parts = [](const std::string& s) {
    std::vector<int> v;
    size_t pos = 0;
    while (pos <= s.size()) {
      const size_t dot = s.find('.', pos);
      v.push_back(std::atoi(s.substr(pos, dot - pos).c_str()));
      if (dot == std::string::npos) break;
      pos = dot + 1;
    }
    return v;
  };
  return parts(a) < parts(b);
}

// Builds the object-API model tensor by tensor; every tensor gets its own
// buffer (empty for activations), after the empty sentinel buffer 0.
class ModelWriter {
 public:
  ModelWriter() {
    model_.version = kSchemaVersion;
    model_.description = "edgepipe lite converter";
    model_.buffers.push_back(std::make_unique<schema::BufferT>());  // buffer 0: empty sentinel
    subgraph_ = std::make_unique<schema::SubGraphT>();
    subgraph_->name = "main";
  }

  int AddTensor(std::string name, std::vector<int32_t> shape, std::vector<int32_t> signature,
                TensorType type, const void* data = nullptr, size_t bytes = 0,
                const QuantParams* q = nullptr) {
    auto buffer = std::make_unique<schema::BufferT>();
    if (data != nullptr && bytes > 0) {
      const auto* p = static_cast<const uint8_t*>(data);
      buffer->data.assign(p, p + bytes);
    }
    model_.buffers.push_back(std::move(buffer));
    auto t = std::make_unique<schema::TensorT>();
    t->name = std::move(name);
    t->shape = std::move(shape);
    t->shape_signature = std::move(signature);
    t->type = type;
    t->buffer = static_cast<uint32_t>(model_.buffers.size() - 1);
    if (q != nullptr) {
      t->quantization = std::make_unique<schema::QuantizationParametersT>();
      t->quantization->scale = q->scale;
      t->quantization->zero_point = q->zero_point;
      t->quantization->quantized_dimension = q->quantized_dimension;
    }
    subgraph_->tensors.push_back(std::move(t));
    return static_cast<int>(subgraph_->tensors.size() - 1);
  }

  uint32_t OpcodeIndex(BuiltinOperator op, int version) {
    for (size_t i = 0; i < model_.operator_codes.size(); ++i) {
      auto& code = model_.operator_codes[i];
      if (code->builtin_code == op) {
        // One code per operator at the highest version any use needs (TF).
        code->version = std::max(code->version, version);
        return static_cast<uint32_t>(i);
      }
    }
    auto code = std::make_unique<schema::OperatorCodeT>();
    code->builtin_code = op;
    // Readers older than schema 3a (Arm NN 20.08) only look at this byte.
    code->deprecated_builtin_code = static_cast<int8_t>(
        std::min<int32_t>(op, schema::BuiltinOperator_PLACEHOLDER_FOR_GREATER_OP_CODES));
    code->version = version;
    model_.operator_codes.push_back(std::move(code));
    return static_cast<uint32_t>(model_.operator_codes.size() - 1);
  }

  schema::OperatorT& AddOp(BuiltinOperator op, std::vector<int32_t> inputs,
                           std::vector<int32_t> outputs, int version = 1) {
    auto o = std::make_unique<schema::OperatorT>();
    o->opcode_index = OpcodeIndex(op, version);
    o->inputs = std::move(inputs);
    o->outputs = std::move(outputs);
    subgraph_->operators.push_back(std::move(o));
    return *subgraph_->operators.back();
  }

  std::string Finish(const std::vector<std::pair<std::string, int>>& inputs,
                     const std::vector<std::pair<std::string, int>>& outputs,
                     const std::string& signature_key, bool min_runtime_version) {
    auto sig = std::make_unique<schema::SignatureDefT>();
    sig->signature_key = signature_key;
    sig->subgraph_index = 0;
    for (const auto& [key, tensor] : inputs) {
      subgraph_->inputs.push_back(tensor);
      auto map = std::make_unique<schema::TensorMapT>();
      map->name = key;
      map->tensor_index = static_cast<uint32_t>(tensor);
      sig->inputs.push_back(std::move(map));
    }
    for (const auto& [key, tensor] : outputs) {
      subgraph_->outputs.push_back(tensor);
      auto map = std::make_unique<schema::TensorMapT>();
      map->name = key;
      map->tensor_index = static_cast<uint32_t>(tensor);
      sig->outputs.push_back(std::move(map));
    }
    model_.signature_defs.push_back(std::move(sig));
    if (min_runtime_version) {
      std::string version = "1.5.0";
      for (const auto& code : model_.operator_codes) {
        const std::string v =
            RuntimeVersion(static_cast<BuiltinOperator>(code->builtin_code), code->version);
        if (VersionLess(version, v)) version = v;
      }
      // As TF writes it: the version string NUL-padded to 16 bytes.
      auto buffer = std::make_unique<schema::BufferT>();
      buffer->data.assign(16, 0);
      std::memcpy(buffer->data.data(), version.data(), std::min<size_t>(version.size(), 15));
      model_.buffers.push_back(std::move(buffer));
      auto meta = std::make_unique<schema::MetadataT>();
      meta->name = "min_runtime_version";
      meta->buffer = static_cast<uint32_t>(model_.buffers.size() - 1);
      model_.metadata.push_back(std::move(meta));
    }
    model_.subgraphs.push_back(std::move(subgraph_));
    flatbuffers::FlatBufferBuilder fbb(1 << 16);
    schema::FinishModelBuffer(fbb, schema::Model::Pack(fbb, &model_));
    return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
  }

  const schema::TensorT& tensor(int i) const { return *subgraph_->tensors[static_cast<size_t>(i)]; }

 private:
  schema::ModelT model_;
  std::unique_ptr<schema::SubGraphT> subgraph_;
};

schema::ActivationFunctionType ToSchema(FusedActivation a) {
  switch (a) {
    case FusedActivation::kRelu:
      return schema::ActivationFunctionType_RELU;
    case FusedActivation::kRelu6:
      return schema::ActivationFunctionType_RELU6;
    case FusedActivation::kNone:
      break;
  }
  return schema::ActivationFunctionType_NONE;
}

schema::Padding ToSchema(Padding p) {
  return p == Padding::kSame ? schema::Padding_SAME : schema::Padding_VALID;
}

const char* ActivationOpName(FusedActivation a) {
  switch (a) {
    case FusedActivation::kRelu:
      return "Relu";
    case FusedActivation::kRelu6:
      return "Relu6";
    case FusedActivation::kNone:
      break;
  }
  return nullptr;
}

std::vector<int32_t> Dims(const Shape& s) { return std::vector<int32_t>(s.begin(), s.end()); }

// The float/int8 tensors of one lowered graph, written mode by mode.
class Emitter {
 public:
  Emitter(const LoweredGraph& g, const ConverterOptions& o, std::vector<TensorRange> ranges)
      : g_(g), o_(o), ranges_(std::move(ranges)) {
    tensor_.assign(g.values.size(), -1);
    params_.resize(g.values.size());
    output_index_.assign(g.values.size(), -1);
    for (size_t i = 0; i < g.outputs.size(); ++i) {
      int& slot = output_index_[static_cast<size_t>(g.outputs[i].second)];
      if (slot < 0) slot = static_cast<int>(i);
    }
  }

  StatusOr<std::string> Run() {
    for (size_t i = 0; i < g_.outputs.size(); ++i) {
      const int v = g_.outputs[i].second;
      if (output_index_[static_cast<size_t>(v)] != static_cast<int>(i) ||
          std::count(g_.inputs.begin(), g_.inputs.end(), v)) {
        return Status::Unimplemented("converter: output '" + g_.outputs[i].first +
                                     "' is a graph input or another output's tensor");
      }
    }
    std::vector<std::pair<std::string, int>> inputs, outputs;
    for (int v : g_.inputs) inputs.emplace_back(Value(v).name, EmitInput(v));
    for (const LoweredNode& node : g_.nodes) RETURN_IF_ERROR(EmitNode(node));
    for (size_t i = 0; i < g_.outputs.size(); ++i) {
      outputs.emplace_back(g_.outputs[i].first,
                           EmitOutput(g_.outputs[i].second, static_cast<int>(i)));
    }
    return w_.Finish(inputs, outputs, o_.signature_key, o_.write_min_runtime_version);
  }

 private:
  bool full() const { return o_.quantization == QuantizationMode::kFullInteger; }
  bool f16() const { return o_.quantization == QuantizationMode::kFloat16; }
  bool dynamic() const { return o_.quantization == QuantizationMode::kDynamicRange; }
  TensorType act_type() const {
    return full() ? schema::TensorType_INT8 : schema::TensorType_FLOAT32;
  }
  const LoweredValue& Value(int v) const { return g_.values[static_cast<size_t>(v)]; }

  // Shape [1, ...] and signature [-1, ...] of an activation.
  std::vector<int32_t> BatchOne(int v) const {
    std::vector<int32_t> d = Dims(Value(v).shape);
    d[0] = 1;
    return d;
  }

  int AddActivation(int v, const std::string& name) {
    const QuantParams* q = full() ? &params_[static_cast<size_t>(v)] : nullptr;
    const int t = w_.AddTensor(name, BatchOne(v), Dims(Value(v).shape), act_type(), nullptr, 0, q);
    tensor_[static_cast<size_t>(v)] = t;
    return t;
  }

  // The name of value v's tensor: outputs get TF's "StatefulPartitionedCall:i"
  // unless a DEQUANTIZE/QUANTIZE still follows them.
  std::string ActivationName(int v, const std::string& intermediate) const {
    const int out = output_index_[static_cast<size_t>(v)];
    if (out >= 0 && (!full() || o_.inference_output_type == DType::kInt8)) {
      return "StatefulPartitionedCall:" + std::to_string(out);
    }
    return intermediate;
  }

  QuantParams Calibrated(int v) const {
    const TensorRange& r = ranges_[static_cast<size_t>(v)];
    return ChooseActivationParams(r.min, r.max);
  }

  int EmitInput(int v) {
    const std::string name = "serving_default_" + Value(v).name + ":0";
    if (!full()) return AddActivation(v, name);
    params_[static_cast<size_t>(v)] = Calibrated(v);
    const QuantParams& q = params_[static_cast<size_t>(v)];
    if (o_.inference_input_type == DType::kInt8) return AddActivation(v, name);
    // Float or uint8 input: a QUANTIZE to the int8 tensor the graph reads.
    int in;
    if (o_.inference_input_type == DType::kUInt8) {
      const QuantParams uq = ToUInt8Params(q);
      in = w_.AddTensor(name, BatchOne(v), Dims(Value(v).shape), schema::TensorType_UINT8, nullptr,
                        0, &uq);
    } else {
      in = w_.AddTensor(name, BatchOne(v), Dims(Value(v).shape), schema::TensorType_FLOAT32);
    }
    const int q_tensor = AddActivation(v, name + "_int8");
    w_.AddOp(schema::BuiltinOperator_QUANTIZE, {in}, {q_tensor}, 1)
        .builtin_options.Set(schema::QuantizeOptionsT());
    return in;
  }

  int EmitOutput(int v, int index) {
    const int t = tensor_[static_cast<size_t>(v)];
    if (!full() || o_.inference_output_type == DType::kInt8) return t;
    const std::string name = "StatefulPartitionedCall:" + std::to_string(index);
    if (o_.inference_output_type == DType::kUInt8) {
      const QuantParams uq = ToUInt8Params(params_[static_cast<size_t>(v)]);
      const int out = w_.AddTensor(name, BatchOne(v), Dims(Value(v).shape),
                                   schema::TensorType_UINT8, nullptr, 0, &uq);
      w_.AddOp(schema::BuiltinOperator_QUANTIZE, {t}, {out}, 1)
          .builtin_options.Set(schema::QuantizeOptionsT());
      return out;
    }
    const int out =
        w_.AddTensor(name, BatchOne(v), Dims(Value(v).shape), schema::TensorType_FLOAT32);
    w_.AddOp(schema::BuiltinOperator_DEQUANTIZE, {t}, {out}, 2)
        .builtin_options.Set(schema::DequantizeOptionsT());
    return out;
  }

  // A float constant: float32, or float16 + DEQUANTIZE in float16 mode.
  int FloatConst(const std::string& name, const std::vector<int32_t>& shape, const float* data,
                 int64_t n) {
    if (!f16()) {
      return w_.AddTensor(name, shape, shape, schema::TensorType_FLOAT32, data,
                          static_cast<size_t>(n) * sizeof(float));
    }
    std::vector<uint16_t> half(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) half[static_cast<size_t>(i)] = FloatToHalf(data[i]);
    const int h = w_.AddTensor(name, shape, shape, schema::TensorType_FLOAT16, half.data(),
                               half.size() * sizeof(uint16_t));
    const int f = w_.AddTensor(name + "_dequantize", shape, shape, schema::TensorType_FLOAT32);
    w_.AddOp(schema::BuiltinOperator_DEQUANTIZE, {h}, {f}, 3)
        .builtin_options.Set(schema::DequantizeOptionsT());
    return f;
  }

  int Int32Const(const std::string& name, const std::vector<int32_t>& shape,
                 const std::vector<int32_t>& values) {
    return w_.AddTensor(name, shape, shape, schema::TensorType_INT32, values.data(),
                        values.size() * sizeof(int32_t));
  }

  struct Weights {
    int tensor = -1;
    bool int8 = false;
    std::vector<float> scales;
  };

  // Weights already in TFLite layout. Per channel: `channels` along axis
  // `axis` (0 or last), else per tensor.
  Weights EmitWeights(const std::string& name, const std::vector<int32_t>& shape,
                      const std::vector<float>& w, bool per_channel, int axis) {
    const auto n = static_cast<int64_t>(w.size());
    const bool quantize = full() || (dynamic() && n >= o_.dynamic_range_min_elements);
    if (!quantize) return {FloatConst(name, shape, w.data(), n), false, {}};
    const int64_t channels = per_channel ? shape[static_cast<size_t>(axis)] : 1;
    const int64_t inner = axis == 0 ? n / channels : 1;
    SymmetricQuantized q = QuantizeSymmetric(w.data(), n, channels, inner);
    QuantParams p;
    p.scale = q.scales;
    p.zero_point.assign(q.scales.size(), 0);
    p.quantized_dimension = per_channel ? axis : 0;
    const int t = w_.AddTensor(name, shape, shape, schema::TensorType_INT8, q.values.data(),
                               q.values.size(), &p);
    return {t, true, std::move(q.scales)};
  }

  int EmitBias(const std::string& name, const Tensor& bias, int input_value, const Weights& w) {
    const auto n = static_cast<int32_t>(bias.dim(0));
    if (!full()) return FloatConst(name, {n}, bias.data<float>(), n);
    const float in_scale = params_[static_cast<size_t>(input_value)].scale[0];
    std::vector<int32_t> q = QuantizeBias(bias.data<float>(), n, in_scale, w.scales);
    QuantParams p;
    for (float s : w.scales) p.scale.push_back(in_scale * s);
    p.zero_point.assign(p.scale.size(), 0);
    return w_.AddTensor(name, {n}, {n}, schema::TensorType_INT32, q.data(),
                        q.size() * sizeof(int32_t), &p);
  }

  // Version of a weighted op: float, hybrid (float in, int8 weights) or int8.
  int WeightedVersion(BuiltinOperator op, bool int8_weights) const {
    const bool hybrid = int8_weights && !full();
    switch (op) {
      case schema::BuiltinOperator_FULLY_CONNECTED:
        return full() ? 4 : hybrid ? 9 : 1;
      case schema::BuiltinOperator_CONV_2D:
        return full() ? 3 : hybrid ? 5 : 1;
      default:  // DEPTHWISE_CONV_2D
        return full() ? 3 : hybrid ? 6 : 1;
    }
  }

  int SimpleVersion() const { return full() ? 2 : 1; }

  // Sets the params of node output v (full integer) and adds its tensor.
  int Output(int v, const std::string& intermediate, std::optional<QuantParams> fixed = {}) {
    if (full()) params_[static_cast<size_t>(v)] = fixed ? *fixed : Calibrated(v);
    return AddActivation(v, ActivationName(v, intermediate));
  }

  // Input tensor of a node, requantized to `want` if its params differ
  // (int8 CONCATENATION needs one scale; TF inserts the same QUANTIZE).
  int InputAs(int v, const QuantParams& want, const std::string& name) {
    const QuantParams& have = params_[static_cast<size_t>(v)];
    if (have.scale == want.scale && have.zero_point == want.zero_point) {
      return tensor_[static_cast<size_t>(v)];
    }
    const int t = w_.AddTensor(name, BatchOne(v), Dims(Value(v).shape), schema::TensorType_INT8,
                               nullptr, 0, &want);
    w_.AddOp(schema::BuiltinOperator_QUANTIZE, {tensor_[static_cast<size_t>(v)]}, {t}, 1)
        .builtin_options.Set(schema::QuantizeOptionsT());
    return t;
  }

  Status EmitNode(const LoweredNode& node) {
    const std::string prefix = g_.model_name + "/" + OpName(node.op) + "/";
    const int in_v = node.inputs[0];
    const int in = tensor_[static_cast<size_t>(in_v)];
    const int out_v = node.output;
    auto fused_name = [&](const std::string& base, FusedActivation a) {
      std::string s = prefix + base;
      if (const char* act = ActivationOpName(a)) s += ";" + prefix + act;
      return s;
    };

    if (const auto* d = std::get_if<DenseOp>(&node.op)) {
      const auto in_f = static_cast<int32_t>(d->kernel.dim(0));
      const auto units = static_cast<int32_t>(d->kernel.dim(1));
      // Keras [in, out] -> TFLite [out, in].
      std::vector<float> t(static_cast<size_t>(in_f) * static_cast<size_t>(units));
      const float* src = d->kernel.data<float>();
      for (int32_t r = 0; r < in_f; ++r) {
        for (int32_t c = 0; c < units; ++c) {
          t[static_cast<size_t>(c) * static_cast<size_t>(in_f) + static_cast<size_t>(r)] =
              src[static_cast<size_t>(r) * static_cast<size_t>(units) + static_cast<size_t>(c)];
        }
      }
      Weights w = EmitWeights(prefix + "MatMul", {units, in_f}, t, false, 0);
      const int bias = EmitBias(prefix + "BiasAdd/ReadVariableOp", d->bias, in_v, w);
      std::string out_name = prefix + "MatMul;";
      if (const char* act = ActivationOpName(d->activation)) out_name += prefix + act + ";";
      out_name += prefix + "BiasAdd";
      const int out = Output(out_v, out_name);
      schema::OperatorT& op =
          w_.AddOp(schema::BuiltinOperator_FULLY_CONNECTED, {in, w.tensor, bias}, {out},
                   WeightedVersion(schema::BuiltinOperator_FULLY_CONNECTED, w.int8));
      schema::FullyConnectedOptionsT fc;
      fc.fused_activation_function = ToSchema(d->activation);
      fc.keep_num_dims = false;
      // TF 2.x's dynamic-range converter asks hybrid kernels to quantize
      // their float inputs asymmetrically (per batch row, with a zero point).
      fc.asymmetric_quantize_inputs = w.int8 && !full();
      op.builtin_options.Set(fc);
      return Status::OK();
    }
    if (const auto* c = std::get_if<Conv2DOp>(&node.op)) {
      const Tensor& k = c->kernel;
      const int64_t kh = k.dim(0), kw = k.dim(1), ci = k.dim(2), co = k.dim(3);
      // Keras [kh, kw, in, out] -> TFLite [out, kh, kw, in].
      std::vector<float> t(static_cast<size_t>(k.num_elements()));
      for (int64_t y = 0; y < kh; ++y)
        for (int64_t x = 0; x < kw; ++x)
          for (int64_t i = 0; i < ci; ++i)
            for (int64_t o = 0; o < co; ++o)
              t[static_cast<size_t>(((o * kh + y) * kw + x) * ci + i)] =
                  k.data<float>()[((y * kw + x) * ci + i) * co + o];
      Weights w = EmitWeights(prefix + "Conv2D", Dims({co, kh, kw, ci}), t, true, 0);
      const int bias = EmitBias(prefix + "BiasAdd/ReadVariableOp", c->bias, in_v, w);
      const int out = Output(out_v, fused_name("BiasAdd;" + prefix + "Conv2D", c->activation));
      schema::OperatorT& op = w_.AddOp(schema::BuiltinOperator_CONV_2D, {in, w.tensor, bias}, {out},
                                       WeightedVersion(schema::BuiltinOperator_CONV_2D, w.int8));
      schema::Conv2DOptionsT opts;
      opts.padding = ToSchema(c->padding);
      opts.stride_h = c->stride_h;
      opts.stride_w = c->stride_w;
      opts.dilation_h_factor = c->dilation_h;
      opts.dilation_w_factor = c->dilation_w;
      opts.fused_activation_function = ToSchema(c->activation);
      op.builtin_options.Set(opts);
      return Status::OK();
    }
    if (const auto* c = std::get_if<DepthwiseConv2DOp>(&node.op)) {
      const Tensor& k = c->kernel;
      // Keras [kh, kw, C, mult] and TFLite [1, kh, kw, C*mult] share one
      // memory order (channel c*mult + m is fastest): only the shape changes.
      std::vector<float> t(k.data<float>(), k.data<float>() + k.num_elements());
      Weights w = EmitWeights(prefix + "depthwise",
                              Dims({1, k.dim(0), k.dim(1), k.dim(2) * k.dim(3)}), t, true, 3);
      const int bias = EmitBias(prefix + "BiasAdd/ReadVariableOp", c->bias, in_v, w);
      const int out = Output(out_v, fused_name("BiasAdd;" + prefix + "depthwise", c->activation));
      int version = WeightedVersion(schema::BuiltinOperator_DEPTHWISE_CONV_2D, w.int8);
      if (version == 1 && (c->dilation_h != 1 || c->dilation_w != 1)) version = 2;
      schema::OperatorT& op =
          w_.AddOp(schema::BuiltinOperator_DEPTHWISE_CONV_2D, {in, w.tensor, bias}, {out}, version);
      schema::DepthwiseConv2DOptionsT opts;
      opts.padding = ToSchema(c->padding);
      opts.stride_h = c->stride_h;
      opts.stride_w = c->stride_w;
      opts.depth_multiplier = static_cast<int32_t>(k.dim(3));
      opts.dilation_h_factor = c->dilation_h;
      opts.dilation_w_factor = c->dilation_w;
      opts.fused_activation_function = ToSchema(c->activation);
      op.builtin_options.Set(opts);
      return Status::OK();
    }
    if (const auto* p = std::get_if<Pool2DOp>(&node.op)) {
      const bool max = p->kind == PoolKind::kMax;
      // int8 pooling keeps the input's scale and zero point (TFLite requires it).
      const int out = Output(
          out_v, prefix + (max ? "MaxPool" : "AvgPool"),
          full() ? std::optional<QuantParams>(params_[static_cast<size_t>(in_v)]) : std::nullopt);
      schema::OperatorT& op = w_.AddOp(
          max ? schema::BuiltinOperator_MAX_POOL_2D : schema::BuiltinOperator_AVERAGE_POOL_2D, {in},
          {out}, SimpleVersion());
      schema::Pool2DOptionsT opts;
      opts.padding = ToSchema(p->padding);
      opts.stride_h = p->stride_h;
      opts.stride_w = p->stride_w;
      opts.filter_height = p->filter_h;
      opts.filter_width = p->filter_w;
      op.builtin_options.Set(opts);
      return Status::OK();
    }
    if (const auto* m = std::get_if<MeanOp>(&node.op)) {
      if (m->keep_dims) {
        // MEAN's keep_dims lives in ReducerOptions, which our schema subset
        // (src/lite/schema/schema.fbs) does not have yet.
        return Status::Unimplemented(
            "converter: op '" + m->name +
            "' (Mean): keep_dims = true needs ReducerOptions in the schema");
      }
      std::vector<int32_t> axes(m->axes.begin(), m->axes.end());
      const int axes_t =
          Int32Const(prefix + "Mean/reduction_indices", {static_cast<int32_t>(axes.size())}, axes);
      const int out = Output(out_v, prefix + "Mean");
      w_.AddOp(schema::BuiltinOperator_MEAN, {in, axes_t}, {out}, SimpleVersion());
      return Status::OK();
    }
    if (std::holds_alternative<ReshapeOp>(node.op)) {
      std::vector<int32_t> shape = Dims(Value(out_v).shape);  // [-1, ...]
      const int shape_t = Int32Const(prefix + "Const", {static_cast<int32_t>(shape.size())}, shape);
      const int out = Output(
          out_v, prefix + "Reshape",
          full() ? std::optional<QuantParams>(params_[static_cast<size_t>(in_v)]) : std::nullopt);
      schema::OperatorT& op = w_.AddOp(schema::BuiltinOperator_RESHAPE, {in, shape_t}, {out}, 1);
      schema::ReshapeOptionsT opts;
      opts.new_shape = shape;
      op.builtin_options.Set(opts);
      return Status::OK();
    }
    if (const auto* s = std::get_if<SoftmaxOp>(&node.op)) {
      const int out = Output(out_v, prefix + "Softmax", FixedParams(1.0f / 256, -128));
      schema::OperatorT& op =
          w_.AddOp(schema::BuiltinOperator_SOFTMAX, {in}, {out}, SimpleVersion());
      schema::SoftmaxOptionsT so;
      so.beta = s->beta;
      op.builtin_options.Set(so);
      return Status::OK();
    }
    if (const auto* a = std::get_if<ActivationOp>(&node.op)) {
      BuiltinOperator code = schema::BuiltinOperator_RELU;
      const char* suffix = "Relu";
      std::optional<QuantParams> fixed;
      int version = SimpleVersion();
      switch (a->kind) {
        case ActivationKind::kRelu:
          break;
        case ActivationKind::kRelu6:
          code = schema::BuiltinOperator_RELU6, suffix = "Relu6";
          break;
        case ActivationKind::kLogistic:
          code = schema::BuiltinOperator_LOGISTIC, suffix = "Sigmoid";
          fixed = FixedParams(1.0f / 256, -128);
          break;
        case ActivationKind::kTanh:
          code = schema::BuiltinOperator_TANH, suffix = "Tanh";
          fixed = FixedParams(1.0f / 128, 0);
          break;
        case ActivationKind::kHardSwish:
          code = schema::BuiltinOperator_HARD_SWISH, suffix = "HardSwish", version = 1;
          break;
      }
      const int out = Output(out_v, prefix + suffix, fixed);
      w_.AddOp(code, {in}, {out}, version);
      return Status::OK();
    }
    if (const auto* b = std::get_if<BinaryOp>(&node.op)) {
      const char* suffix = b->kind == BinaryKind::kAdd   ? "add"
                           : b->kind == BinaryKind::kSub ? "sub"
                                                         : "mul";
      int other;
      if (b->constant.has_value()) {
        const Tensor& c = *b->constant;
        const std::vector<int32_t> shape = Dims(c.shape());
        if (full()) {
          const float* p = c.data<float>();
          const auto [mn, mx] = std::minmax_element(p, p + c.num_elements());
          const QuantParams q = ChooseActivationParams(*mn, *mx);
          std::vector<int8_t> values = QuantizeAsymmetric(p, c.num_elements(), q);
          other = w_.AddTensor(prefix + suffix + "/y", shape, shape, schema::TensorType_INT8,
                               values.data(), values.size(), &q);
        } else {
          other = FloatConst(prefix + suffix + "/y", shape, c.data<float>(), c.num_elements());
        }
      } else {
        other = tensor_[static_cast<size_t>(node.inputs[1])];
      }
      const int out = Output(out_v, fused_name(suffix, b->activation));
      const BuiltinOperator code = b->kind == BinaryKind::kAdd   ? schema::BuiltinOperator_ADD
                                   : b->kind == BinaryKind::kSub ? schema::BuiltinOperator_SUB
                                                                 : schema::BuiltinOperator_MUL;
      schema::OperatorT& op = w_.AddOp(code, {in, other}, {out}, SimpleVersion());
      if (b->kind == BinaryKind::kAdd) {
        schema::AddOptionsT opts;
        opts.fused_activation_function = ToSchema(b->activation);
        op.builtin_options.Set(opts);
      } else if (b->kind == BinaryKind::kMul) {
        schema::MulOptionsT opts;
        opts.fused_activation_function = ToSchema(b->activation);
        op.builtin_options.Set(opts);
      } else if (b->activation != FusedActivation::kNone) {
        // SubOptions is not in our schema subset; the lowering never fuses into SUB.
        return Status::Internal("converter: SUB with a fused activation");
      }
      return Status::OK();
    }
    if (const auto* c = std::get_if<ConcatOp>(&node.op)) {
      const int rank = static_cast<int>(Value(out_v).shape.size());
      const int out = Output(out_v, prefix + "concat");
      std::vector<int32_t> ins;
      for (size_t i = 0; i < node.inputs.size(); ++i) {
        const int v = node.inputs[i];
        ins.push_back(full() ? InputAs(v, params_[static_cast<size_t>(out_v)],
                                       prefix + "requantize_" + std::to_string(i))
                             : tensor_[static_cast<size_t>(v)]);
      }
      schema::OperatorT& op =
          w_.AddOp(schema::BuiltinOperator_CONCATENATION, ins, {out}, SimpleVersion());
      schema::ConcatenationOptionsT opts;
      opts.axis = c->axis < 0 ? c->axis + rank : c->axis;
      op.builtin_options.Set(opts);
      return Status::OK();
    }
    const auto& p = std::get<PadOp>(node.op);
    std::vector<int32_t> pads;
    for (const auto& pr : p.paddings) {
      pads.push_back(static_cast<int32_t>(pr[0]));
      pads.push_back(static_cast<int32_t>(pr[1]));
    }
    const int pads_t =
        Int32Const(prefix + "Pad/paddings", {static_cast<int32_t>(p.paddings.size()), 2}, pads);
    const int out = Output(
        out_v, prefix + "Pad",
        full() ? std::optional<QuantParams>(params_[static_cast<size_t>(in_v)]) : std::nullopt);
    w_.AddOp(schema::BuiltinOperator_PAD, {in, pads_t}, {out}, SimpleVersion());
    return Status::OK();
  }

  const LoweredGraph& g_;
  const ConverterOptions& o_;
  std::vector<TensorRange> ranges_;
  ModelWriter w_;
  std::vector<int> tensor_;          // value id -> tensor index
  std::vector<QuantParams> params_;  // value id -> int8 params (full integer)
  std::vector<int> output_index_;    // value id -> graph output index or -1
};

Status ValidateOptions(const ConverterOptions& o) {
  if (o.signature_key.empty()) return Status::InvalidArgument("converter: signature_key is empty");
  const bool full = o.quantization == QuantizationMode::kFullInteger;
  for (const auto& [what, type] : {std::pair{"inference_input_type", o.inference_input_type},
                                   std::pair{"inference_output_type", o.inference_output_type}}) {
    if (type != DType::kFloat32 && type != DType::kInt8 && type != DType::kUInt8) {
      return Status::InvalidArgument(std::string("converter: ") + what + " " + DTypeName(type) +
                                     " is not one of float32, int8, uint8");
    }
    if (type != DType::kFloat32 && !full) {
      return Status::InvalidArgument(std::string("converter: ") + what + " " + DTypeName(type) +
                                     " needs full-integer quantization (mode is " +
                                     QuantizationModeName(o.quantization) + ")");
    }
  }
  if (full && !o.representative_dataset) {
    return Status::InvalidArgument(
        "converter: full-integer quantization needs a representative_dataset");
  }
  if (!full && o.representative_dataset) {
    return Status::InvalidArgument(std::string("converter: representative_dataset given in mode ") +
                                   QuantizationModeName(o.quantization) + " (it would be ignored)");
  }
  if (o.dynamic_range_min_elements < 0) {
    return Status::InvalidArgument("converter: dynamic_range_min_elements < 0");
  }
  return Status::OK();
}

}  // namespace

StatusOr<std::string> ConvertToTFLite(const InferenceGraph& graph,
                                      const ConverterOptions& options) {
  RETURN_IF_ERROR(ValidateOptions(options));
  ASSIGN_OR_RETURN(LoweredGraph lowered, LowerGraph(graph));
  std::vector<TensorRange> ranges;
  if (options.quantization == QuantizationMode::kFullInteger) {
    ASSIGN_OR_RETURN(CalibrationResult calibration,
                     Calibrate(lowered, options.representative_dataset));
    ranges = std::move(calibration.ranges);
  }
  Emitter emitter(lowered, options, std::move(ranges));
  return emitter.Run();
}

}  // namespace edgepipe::lite
