#include "src/lite/converter_ops/tflite_emitter.h"

#include <algorithm>
#include <cstring>
#include <map>

#include "flatbuffers/flatbuffers.h"
#include "src/lite/converter_ops/converter_op.h"
#include "src/lite/schema_util.h"

namespace edgepipe::lite {

using schema::BuiltinOperator;
using schema::TensorType;

namespace {

// The oldest TFLite runtime that runs (op, version), from TF's
// tools/versioning/runtime_version.cc: the rows of the op rules
// (converter_ops/<op>.cc) plus those of the I/O ops written here.
const char* RuntimeVersion(BuiltinOperator op, int version) {
  static const std::map<std::pair<int, int>, const char*> kTable = [] {
    std::map<std::pair<int, int>, const char*> table = {
        {{schema::BuiltinOperator_DEQUANTIZE, 2}, "1.14.0"},
        {{schema::BuiltinOperator_DEQUANTIZE, 3}, "1.15.0"},
        {{schema::BuiltinOperator_QUANTIZE, 1}, "1.14.0"},
    };
    for (const ConverterOp* rule : AllRules()) {
      for (const RuntimeVersionRow& row : rule->runtime_versions()) {
        table.emplace(std::pair{row.builtin_op, row.version}, row.runtime);
      }
    }
    return table;
  }();
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

}  // namespace

ModelWriter::ModelWriter() {
  model_.version = kSchemaVersion;
  model_.description = "edgepipe lite converter";
  model_.buffers.push_back(std::make_unique<schema::BufferT>());  // buffer 0: empty sentinel
  subgraph_ = std::make_unique<schema::SubGraphT>();
  subgraph_->name = "main";
}

int ModelWriter::AddTensor(std::string name, std::vector<int32_t> shape,
                           std::vector<int32_t> signature, TensorType type, const void* data,
                           size_t bytes, const QuantParams* q) {
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

uint32_t ModelWriter::OpcodeIndex(BuiltinOperator op, int version) {
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

schema::OperatorT& ModelWriter::AddOp(BuiltinOperator op, std::vector<int32_t> inputs,
                                      std::vector<int32_t> outputs, int version) {
  auto o = std::make_unique<schema::OperatorT>();
  o->opcode_index = OpcodeIndex(op, version);
  o->inputs = std::move(inputs);
  o->outputs = std::move(outputs);
  subgraph_->operators.push_back(std::move(o));
  return *subgraph_->operators.back();
}

std::string ModelWriter::Finish(const std::vector<std::pair<std::string, int>>& inputs,
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

const char* TfliteEmitter::ActivationOpName(FusedActivation a) {
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

TfliteEmitter::TfliteEmitter(const LoweredGraph& g, const ConverterOptions& o,
                             std::vector<TensorRange> ranges)
    : g_(g), o_(o), ranges_(std::move(ranges)) {
  tensor_.assign(g.values.size(), -1);
  params_.resize(g.values.size());
  output_index_.assign(g.values.size(), -1);
  for (size_t i = 0; i < g.outputs.size(); ++i) {
    int& slot = output_index_[static_cast<size_t>(g.outputs[i].second)];
    if (slot < 0) slot = static_cast<int>(i);
  }
}

StatusOr<std::string> TfliteEmitter::Run() {
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
  for (const LoweredNode& node : g_.nodes) RETURN_IF_ERROR(RuleOf(node.op).EmitTflite(node, *this));
  for (size_t i = 0; i < g_.outputs.size(); ++i) {
    outputs.emplace_back(g_.outputs[i].first,
                         EmitOutput(g_.outputs[i].second, static_cast<int>(i)));
  }
  return w_.Finish(inputs, outputs, o_.signature_key, o_.write_min_runtime_version);
}

// Shape [1, ...] and signature [-1, ...] of an activation.
std::vector<int32_t> TfliteEmitter::BatchOne(int v) const {
  std::vector<int32_t> d = Dims(Value(v).shape);
  d[0] = 1;
  return d;
}

int TfliteEmitter::AddActivation(int v, const std::string& name) {
  const QuantParams* q = full() ? &params_[static_cast<size_t>(v)] : nullptr;
  const int t = w_.AddTensor(name, BatchOne(v), Dims(Value(v).shape), act_type(), nullptr, 0, q);
  tensor_[static_cast<size_t>(v)] = t;
  return t;
}

// The name of value v's tensor: outputs get TF's "StatefulPartitionedCall:i"
// unless a DEQUANTIZE/QUANTIZE still follows them.
std::string TfliteEmitter::ActivationName(int v, const std::string& intermediate) const {
  const int out = output_index_[static_cast<size_t>(v)];
  if (out >= 0 && (!full() || o_.inference_output_type == DType::kInt8)) {
    return "StatefulPartitionedCall:" + std::to_string(out);
  }
  return intermediate;
}

QuantParams TfliteEmitter::Calibrated(int v) const {
  const TensorRange& r = ranges_[static_cast<size_t>(v)];
  return ChooseActivationParams(r.min, r.max);
}

int TfliteEmitter::EmitInput(int v) {
  const std::string name = "serving_default_" + Value(v).name + ":0";
  if (!full()) return AddActivation(v, name);
  params_[static_cast<size_t>(v)] = Calibrated(v);
  const QuantParams& q = params_[static_cast<size_t>(v)];
  if (o_.inference_input_type == DType::kInt8) return AddActivation(v, name);
  // Float or uint8 input: a QUANTIZE to the int8 tensor the graph reads.
  int in;
  if (o_.inference_input_type == DType::kUInt8) {
    const QuantParams uq = ToUInt8Params(q);
    in = w_.AddTensor(name, BatchOne(v), Dims(Value(v).shape), schema::TensorType_UINT8, nullptr, 0,
                      &uq);
  } else {
    in = w_.AddTensor(name, BatchOne(v), Dims(Value(v).shape), schema::TensorType_FLOAT32);
  }
  const int q_tensor = AddActivation(v, name + "_int8");
  w_.AddOp(schema::BuiltinOperator_QUANTIZE, {in}, {q_tensor}, 1)
      .builtin_options.Set(schema::QuantizeOptionsT());
  return in;
}

int TfliteEmitter::EmitOutput(int v, int index) {
  const int t = tensor_[static_cast<size_t>(v)];
  if (!full() || o_.inference_output_type == DType::kInt8) return t;
  const std::string name = "StatefulPartitionedCall:" + std::to_string(index);
  if (o_.inference_output_type == DType::kUInt8) {
    const QuantParams uq = ToUInt8Params(params_[static_cast<size_t>(v)]);
    const int out = w_.AddTensor(name, BatchOne(v), Dims(Value(v).shape), schema::TensorType_UINT8,
                                 nullptr, 0, &uq);
    w_.AddOp(schema::BuiltinOperator_QUANTIZE, {t}, {out}, 1)
        .builtin_options.Set(schema::QuantizeOptionsT());
    return out;
  }
  const int out = w_.AddTensor(name, BatchOne(v), Dims(Value(v).shape), schema::TensorType_FLOAT32);
  w_.AddOp(schema::BuiltinOperator_DEQUANTIZE, {t}, {out}, 2)
      .builtin_options.Set(schema::DequantizeOptionsT());
  return out;
}

// A float constant: float32, or float16 + DEQUANTIZE in float16 mode.
int TfliteEmitter::FloatConst(const std::string& name, const std::vector<int32_t>& shape,
                              const float* data, int64_t n) {
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

int TfliteEmitter::Int32Const(const std::string& name, const std::vector<int32_t>& shape,
                              const std::vector<int32_t>& values) {
  return w_.AddTensor(name, shape, shape, schema::TensorType_INT32, values.data(),
                      values.size() * sizeof(int32_t));
}

// Weights already in TFLite layout. Per channel: `channels` along axis
// `axis` (0 or last), else per tensor.
TfliteEmitter::Weights TfliteEmitter::EmitWeights(const std::string& name,
                                                  const std::vector<int32_t>& shape,
                                                  const std::vector<float>& w, bool per_channel,
                                                  int axis) {
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

int TfliteEmitter::EmitBias(const std::string& name, const Tensor& bias, int input_value,
                            const Weights& w) {
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
int TfliteEmitter::WeightedVersion(BuiltinOperator op, bool int8_weights) const {
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

// Sets the params of node output v (full integer) and adds its tensor.
int TfliteEmitter::Output(int v, const std::string& intermediate,
                          std::optional<QuantParams> fixed) {
  if (full()) params_[static_cast<size_t>(v)] = fixed ? *fixed : Calibrated(v);
  return AddActivation(v, ActivationName(v, intermediate));
}

// Input tensor of a node, requantized to `want` if its params differ
// (int8 CONCATENATION needs one scale; TF inserts the same QUANTIZE).
int TfliteEmitter::InputAs(int v, const QuantParams& want, const std::string& name) {
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

std::string TfliteEmitter::Prefix(const LoweredNode& node) const {
  return g_.model_name + "/" + OpName(node.op) + "/";
}

std::string TfliteEmitter::FusedName(const std::string& prefix, const std::string& base,
                                     FusedActivation a) {
  std::string s = prefix + base;
  if (const char* act = ActivationOpName(a)) s += ";" + prefix + act;
  return s;
}

}  // namespace edgepipe::lite
