#include "src/lite/converter.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "flatbuffers/flatbuffers.h"
#include "src/lite/schema/schema_generated.h"
#include "src/lite/schema_util.h"

namespace edgepipe::lite {
namespace {

constexpr char kMinRuntimeVersion[] = "1.5.0";

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
                const void* data = nullptr, size_t bytes = 0,
                schema::TensorType type = schema::TensorType_FLOAT32) {
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
    subgraph_->tensors.push_back(std::move(t));
    return static_cast<int>(subgraph_->tensors.size() - 1);
  }

  uint32_t OpcodeIndex(schema::BuiltinOperator op, int version) {
    for (size_t i = 0; i < model_.operator_codes.size(); ++i) {
      if (model_.operator_codes[i]->builtin_code == op) return static_cast<uint32_t>(i);
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

  schema::OperatorT& AddOp(schema::BuiltinOperator op, std::vector<int32_t> inputs,
                           std::vector<int32_t> outputs, int version = 1) {
    auto o = std::make_unique<schema::OperatorT>();
    o->opcode_index = OpcodeIndex(op, version);
    o->inputs = std::move(inputs);
    o->outputs = std::move(outputs);
    subgraph_->operators.push_back(std::move(o));
    return *subgraph_->operators.back();
  }

  std::string Finish(int input, int output, const std::string& signature_key,
                     const std::string& input_key, const std::string& output_key,
                     bool min_runtime_version) {
    subgraph_->inputs = {input};
    subgraph_->outputs = {output};
    model_.subgraphs.push_back(std::move(subgraph_));
    auto sig = std::make_unique<schema::SignatureDefT>();
    sig->signature_key = signature_key;
    sig->subgraph_index = 0;
    auto in_map = std::make_unique<schema::TensorMapT>();
    in_map->name = input_key;
    in_map->tensor_index = static_cast<uint32_t>(input);
    sig->inputs.push_back(std::move(in_map));
    auto out_map = std::make_unique<schema::TensorMapT>();
    out_map->name = output_key;
    out_map->tensor_index = static_cast<uint32_t>(output);
    sig->outputs.push_back(std::move(out_map));
    model_.signature_defs.push_back(std::move(sig));
    if (min_runtime_version) {
      // As TF writes it: the version string NUL-padded to 16 bytes.
      auto buffer = std::make_unique<schema::BufferT>();
      buffer->data.assign(16, 0);
      std::memcpy(buffer->data.data(), kMinRuntimeVersion, sizeof(kMinRuntimeVersion) - 1);
      model_.buffers.push_back(std::move(buffer));
      auto meta = std::make_unique<schema::MetadataT>();
      meta->name = "min_runtime_version";
      meta->buffer = static_cast<uint32_t>(model_.buffers.size() - 1);
      model_.metadata.push_back(std::move(meta));
    }
    flatbuffers::FlatBufferBuilder fbb(1 << 16);
    schema::FinishModelBuffer(fbb, schema::Model::Pack(fbb, &model_));
    return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
  }

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

}  // namespace

StatusOr<std::string> ConvertToTFLite(const InferenceGraph& graph,
                                      const ConverterOptions& options) {
  if (graph.input_name.empty()) return Status::InvalidArgument("converter: input_name is empty");
  if (graph.output_name.empty()) {
    return Status::InvalidArgument("converter: output_name is empty");
  }
  if (options.signature_key.empty()) {
    return Status::InvalidArgument("converter: signature_key is empty");
  }
  if (graph.input_shape.size() != 2 || graph.input_shape[0] != -1 || graph.input_shape[1] <= 0 ||
      graph.input_shape[1] > INT32_MAX) {
    return Status::InvalidArgument("converter: input shape " + ShapeToString(graph.input_shape) +
                                   " is not supported (expected [-1, features])");
  }
  if (graph.ops.empty()) return Status::InvalidArgument("converter: the graph has no ops");

  ModelWriter w;
  auto features = static_cast<int32_t>(graph.input_shape[1]);
  int current =
      w.AddTensor("serving_default_" + graph.input_name + ":0", {1, features}, {-1, features});
  const int input = current;
  const std::string& m = graph.model_name;
  for (size_t i = 0; i < graph.ops.size(); ++i) {
    const bool last = i + 1 == graph.ops.size();
    if (const auto* dense = std::get_if<DenseOp>(&graph.ops[i])) {
      const std::string where =
          "converter: op " + std::to_string(i) + " (Dense '" + dense->name + "')";
      const Tensor& k = dense->kernel;
      if (k.dtype() != DType::kFloat32 || k.rank() != 2 || k.dim(0) != features || k.dim(1) <= 0) {
        return Status::InvalidArgument(where + ": kernel is " + DTypeName(k.dtype()) + " " +
                                       ShapeToString(k.shape()) + ", expected float32 [" +
                                       std::to_string(features) + ", units]");
      }
      const auto units = static_cast<int32_t>(k.dim(1));
      if (dense->bias.dtype() != DType::kFloat32 || dense->bias.rank() != 1 ||
          dense->bias.dim(0) != units) {
        return Status::InvalidArgument(where + ": bias is " + DTypeName(dense->bias.dtype()) + " " +
                                       ShapeToString(dense->bias.shape()) + ", expected float32 [" +
                                       std::to_string(units) + "]");
      }
      // Keras [in, out] -> TFLite [out, in].
      std::vector<float> transposed(static_cast<size_t>(features) * static_cast<size_t>(units));
      const float* src = k.data<float>();
      for (int32_t r = 0; r < features; ++r) {
        for (int32_t c = 0; c < units; ++c) {
          transposed[static_cast<size_t>(c) * static_cast<size_t>(features) +
                     static_cast<size_t>(r)] =
              src[static_cast<size_t>(r) * static_cast<size_t>(units) + static_cast<size_t>(c)];
        }
      }
      const std::string prefix = m + "/" + dense->name + "/";
      const int weights = w.AddTensor(prefix + "MatMul", {units, features}, {units, features},
                                      transposed.data(), transposed.size() * sizeof(float));
      const int bias =
          w.AddTensor(prefix + "BiasAdd/ReadVariableOp", {units}, {units},
                      dense->bias.data<float>(), static_cast<size_t>(units) * sizeof(float));
      std::string out_name = prefix + "MatMul;";
      if (const char* act = ActivationOpName(dense->activation)) out_name += prefix + act + ";";
      out_name += prefix + "BiasAdd";
      const int out =
          w.AddTensor(last ? "StatefulPartitionedCall:0" : out_name, {1, units}, {-1, units});
      schema::OperatorT& op =
          w.AddOp(schema::BuiltinOperator_FULLY_CONNECTED, {current, weights, bias}, {out});
      schema::FullyConnectedOptionsT fc;
      fc.fused_activation_function = ToSchema(dense->activation);
      fc.keep_num_dims = false;
      op.builtin_options.Set(fc);
      current = out;
      features = units;
    } else {
      const auto& softmax = std::get<SoftmaxOp>(graph.ops[i]);
      const int out =
          w.AddTensor(last ? "StatefulPartitionedCall:0" : m + "/" + softmax.name + "/Softmax",
                      {1, features}, {-1, features});
      schema::OperatorT& op = w.AddOp(schema::BuiltinOperator_SOFTMAX, {current}, {out});
      schema::SoftmaxOptionsT so;
      so.beta = softmax.beta;
      op.builtin_options.Set(so);
      current = out;
    }
  }
  return w.Finish(input, current, options.signature_key, graph.input_name, graph.output_name,
                  options.write_min_runtime_version);
}

}  // namespace edgepipe::lite
