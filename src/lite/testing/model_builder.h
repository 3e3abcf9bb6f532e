// Test-only: builds small .tflite files (usually one operator) with the
// flatbuffers object API of our schema, for kernel and conformance tests.
//
//   testing::ModelBuilder b;
//   int x = b.AddInput("x", schema::TensorType_FLOAT32, {1, 4});
//   int y = b.AddOutput("y", schema::TensorType_FLOAT32, {1, 4});
//   b.AddOperator(schema::BuiltinOperator_RELU, {x}, {y});
//   std::string bytes = b.Finish();
//
// Tensors are added in call order; inputs/outputs become the subgraph's (and
// the "serving_default" signature's) inputs/outputs in call order. Constants
// own a buffer holding their bytes. Not thread-safe; Finish may be called once.
#ifndef EDGEPIPE_LITE_TESTING_MODEL_BUILDER_H_
#define EDGEPIPE_LITE_TESTING_MODEL_BUILDER_H_

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "flatbuffers/flatbuffers.h"
#include "src/lite/schema/schema_generated.h"

namespace edgepipe::lite::testing {

// Affine quantization of a tensor; empty scales = not quantized.
struct Quant {
  std::vector<float> scales;
  std::vector<int64_t> zero_points;
  int quantized_dimension = 0;
};

inline Quant PerTensor(float scale, int64_t zero_point) { return {{scale}, {zero_point}, 0}; }

class ModelBuilder {
 public:
  ModelBuilder() : model_(std::make_unique<schema::ModelT>()) {
    model_->version = 3;
    model_->buffers.push_back(std::make_unique<schema::BufferT>());  // sentinel
    model_->subgraphs.push_back(std::make_unique<schema::SubGraphT>());
  }

  int AddTensor(const std::string& name, schema::TensorType type, std::vector<int32_t> shape,
                const Quant& q = {}) {
    auto t = std::make_unique<schema::TensorT>();
    t->name = name;
    t->type = type;
    t->shape = std::move(shape);
    if (!q.scales.empty()) {
      t->quantization = std::make_unique<schema::QuantizationParametersT>();
      t->quantization->scale = q.scales;
      t->quantization->zero_point = q.zero_points;
      t->quantization->quantized_dimension = q.quantized_dimension;
    }
    sg().tensors.push_back(std::move(t));
    return static_cast<int>(sg().tensors.size()) - 1;
  }
  int AddInput(const std::string& name, schema::TensorType type, std::vector<int32_t> shape,
               const Quant& q = {}) {
    const int i = AddTensor(name, type, std::move(shape), q);
    sg().inputs.push_back(i);
    return i;
  }
  int AddOutput(const std::string& name, schema::TensorType type, std::vector<int32_t> shape,
                const Quant& q = {}) {
    const int i = AddTensor(name, type, std::move(shape), q);
    sg().outputs.push_back(i);
    return i;
  }
  template <typename T>
  int AddConstant(const std::string& name, schema::TensorType type, std::vector<int32_t> shape,
                  const std::vector<T>& values, const Quant& q = {}) {
    const int i = AddTensor(name, type, std::move(shape), q);
    auto buf = std::make_unique<schema::BufferT>();
    buf->data.resize(values.size() * sizeof(T));
    if (!values.empty()) std::memcpy(buf->data.data(), values.data(), buf->data.size());
    model_->buffers.push_back(std::move(buf));
    sg().tensors[static_cast<size_t>(i)]->buffer =
        static_cast<uint32_t>(model_->buffers.size() - 1);
    return i;
  }

  schema::TensorType TensorType(int tensor) const {
    return model_->subgraphs[0]->tensors[static_cast<size_t>(tensor)]->type;
  }

  // Makes constant `tensor` sparse: its buffer must then hold only the
  // stored values (see src/lite/sparse_tensor.h).
  void SetSparsity(int tensor, std::unique_ptr<schema::SparsityParametersT> sparsity) {
    sg().tensors[static_cast<size_t>(tensor)]->sparsity = std::move(sparsity);
  }

  // A custom operator `custom_code` with raw custom_options bytes.
  void AddCustomOperator(const std::string& custom_code, std::vector<int32_t> inputs,
                         std::vector<int32_t> outputs, std::vector<uint8_t> custom_options) {
    uint32_t opcode = 0;
    for (; opcode < model_->operator_codes.size(); ++opcode) {
      const auto& oc = model_->operator_codes[opcode];
      if (oc->builtin_code == schema::BuiltinOperator_CUSTOM && oc->custom_code == custom_code) {
        break;
      }
    }
    if (opcode == model_->operator_codes.size()) {
      auto oc = std::make_unique<schema::OperatorCodeT>();
      oc->builtin_code = schema::BuiltinOperator_CUSTOM;
      oc->deprecated_builtin_code = static_cast<int8_t>(schema::BuiltinOperator_CUSTOM);
      oc->custom_code = custom_code;
      oc->version = 1;
      model_->operator_codes.push_back(std::move(oc));
    }
    auto op = std::make_unique<schema::OperatorT>();
    op->opcode_index = opcode;
    op->inputs = std::move(inputs);
    op->outputs = std::move(outputs);
    op->custom_options = std::move(custom_options);
    sg().operators.push_back(std::move(op));
  }

  void AddOperator(schema::BuiltinOperator code, std::vector<int32_t> inputs,
                   std::vector<int32_t> outputs,
                   schema::BuiltinOptionsUnion options = schema::BuiltinOptionsUnion()) {
    uint32_t opcode = 0;
    for (; opcode < model_->operator_codes.size(); ++opcode) {
      if (model_->operator_codes[opcode]->builtin_code == code) break;
    }
    if (opcode == model_->operator_codes.size()) {
      auto oc = std::make_unique<schema::OperatorCodeT>();
      oc->builtin_code = code;
      // Readers of schema < 3a (Arm NN 20.08) read only this byte.
      oc->deprecated_builtin_code = static_cast<int8_t>(code < 127 ? code : 127);
      oc->version = 1;
      model_->operator_codes.push_back(std::move(oc));
    }
    auto op = std::make_unique<schema::OperatorT>();
    op->opcode_index = opcode;
    op->inputs = std::move(inputs);
    op->outputs = std::move(outputs);
    op->builtin_options = std::move(options);
    sg().operators.push_back(std::move(op));
  }

  std::string Finish() {
    auto sig = std::make_unique<schema::SignatureDefT>();
    sig->signature_key = "serving_default";
    for (int i : sg().inputs) {
      auto m = std::make_unique<schema::TensorMapT>();
      m->name = sg().tensors[static_cast<size_t>(i)]->name;
      m->tensor_index = static_cast<uint32_t>(i);
      sig->inputs.push_back(std::move(m));
    }
    for (int i : sg().outputs) {
      auto m = std::make_unique<schema::TensorMapT>();
      m->name = sg().tensors[static_cast<size_t>(i)]->name;
      m->tensor_index = static_cast<uint32_t>(i);
      sig->outputs.push_back(std::move(m));
    }
    model_->signature_defs.push_back(std::move(sig));
    flatbuffers::FlatBufferBuilder fbb;
    schema::FinishModelBuffer(fbb, schema::Model::Pack(fbb, model_.get()));
    return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
  }

 private:
  schema::SubGraphT& sg() { return *model_->subgraphs[0]; }
  std::unique_ptr<schema::ModelT> model_;
};

}  // namespace edgepipe::lite::testing

#endif  // EDGEPIPE_LITE_TESTING_MODEL_BUILDER_H_
