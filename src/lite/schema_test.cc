// Schema facts (slot ids, enum and union values: TFLite's, so real runtimes
// read our files) and a build -> verify -> read roundtrip.
#include <gtest/gtest.h>

#include <string>

#include "flatbuffers/flatbuffers.h"
#include "src/lite/schema/schema_generated.h"
#include "src/lite/schema_util.h"

namespace edgepipe::lite {
namespace {

// vtable offset of field slot n is 4 + 2n.
constexpr int Slot(int n) { return 4 + 2 * n; }

TEST(SchemaFactsTest, TableFieldSlotsMatchUpstream) {
  EXPECT_EQ(schema::Model::VT_VERSION, Slot(0));
  EXPECT_EQ(schema::Model::VT_BUFFERS, Slot(4));
  EXPECT_EQ(schema::Model::VT_METADATA, Slot(6));
  EXPECT_EQ(schema::Model::VT_SIGNATURE_DEFS, Slot(7));
  EXPECT_EQ(schema::SubGraph::VT_OPERATORS, Slot(3));
  EXPECT_EQ(schema::SubGraph::VT_NAME, Slot(4));
  EXPECT_EQ(schema::Tensor::VT_QUANTIZATION, Slot(4));
  EXPECT_EQ(schema::Tensor::VT_SHAPE_SIGNATURE, Slot(7));
  EXPECT_EQ(schema::QuantizationParameters::VT_QUANTIZED_DIMENSION, Slot(6));
  EXPECT_EQ(schema::Operator::VT_BUILTIN_OPTIONS_TYPE, Slot(3));
  EXPECT_EQ(schema::Operator::VT_CUSTOM_OPTIONS, Slot(5));
  EXPECT_EQ(schema::Operator::VT_INTERMEDIATES, Slot(8));
  EXPECT_EQ(schema::OperatorCode::VT_VERSION, Slot(2));
  EXPECT_EQ(schema::OperatorCode::VT_BUILTIN_CODE, Slot(3));
  EXPECT_EQ(schema::Buffer::VT_SIZE, Slot(2));
  EXPECT_EQ(schema::SignatureDef::VT_SIGNATURE_KEY, Slot(2));
  EXPECT_EQ(schema::SignatureDef::VT_SUBGRAPH_INDEX, Slot(4));
  EXPECT_EQ(schema::FullyConnectedOptions::VT_KEEP_NUM_DIMS, Slot(2));
  EXPECT_EQ(schema::FullyConnectedOptions::VT_QUANTIZED_BIAS_TYPE, Slot(4));
}

TEST(SchemaFactsTest, EnumAndUnionValuesMatchUpstream) {
  EXPECT_EQ(schema::BuiltinOperator_CONV_2D, 3);
  EXPECT_EQ(schema::BuiltinOperator_FULLY_CONNECTED, 9);
  EXPECT_EQ(schema::BuiltinOperator_RESHAPE, 22);
  EXPECT_EQ(schema::BuiltinOperator_SOFTMAX, 25);
  EXPECT_EQ(schema::BuiltinOperator_QUANTIZE, 114);
  EXPECT_EQ(schema::BuiltinOperator_BATCH_MATMUL, 126);
  EXPECT_EQ(schema::BuiltinOperator_CUMSUM, 128);
  EXPECT_EQ(schema::BuiltinOptions_Conv2DOptions, 1);
  EXPECT_EQ(schema::BuiltinOptions_Pool2DOptions, 5);
  EXPECT_EQ(schema::BuiltinOptions_FullyConnectedOptions, 8);
  EXPECT_EQ(schema::BuiltinOptions_SoftmaxOptions, 9);
  EXPECT_EQ(schema::BuiltinOptions_ReshapeOptions, 17);
  EXPECT_EQ(schema::BuiltinOptions_DequantizeOptions, 38);
  EXPECT_EQ(schema::BuiltinOptions_QuantizeOptions, 89);
  EXPECT_EQ(schema::TensorType_INT8, 9);
  EXPECT_EQ(schema::TensorType_FLOAT16, 1);
  EXPECT_EQ(schema::ActivationFunctionType_RELU6, 3);
  EXPECT_STREQ(schema::ModelIdentifier(), "TFL3");
}

TEST(SchemaRoundtripTest, BuildVerifyRead) {
  schema::ModelT model;
  model.version = kSchemaVersion;
  model.description = "roundtrip";
  model.buffers.push_back(std::make_unique<schema::BufferT>());
  auto weights = std::make_unique<schema::BufferT>();
  weights->data = {1, 2, 3, 4, 5, 6, 7, 8};
  model.buffers.push_back(std::move(weights));
  auto code = std::make_unique<schema::OperatorCodeT>();
  code->builtin_code = schema::BuiltinOperator_CUMSUM;
  code->deprecated_builtin_code = 127;
  model.operator_codes.push_back(std::move(code));
  auto sg = std::make_unique<schema::SubGraphT>();
  auto t = std::make_unique<schema::TensorT>();
  t->name = "w";
  t->shape = {2, 1};
  t->shape_signature = {-1, 1};
  t->type = schema::TensorType_FLOAT32;
  t->buffer = 1;
  sg->tensors.push_back(std::move(t));
  auto op = std::make_unique<schema::OperatorT>();
  op->inputs = {0};
  op->outputs = {0};
  schema::FullyConnectedOptionsT fc;
  fc.fused_activation_function = schema::ActivationFunctionType_RELU;
  op->builtin_options.Set(fc);
  sg->operators.push_back(std::move(op));
  model.subgraphs.push_back(std::move(sg));

  flatbuffers::FlatBufferBuilder fbb;
  schema::FinishModelBuffer(fbb, schema::Model::Pack(fbb, &model));
  flatbuffers::Verifier verifier(fbb.GetBufferPointer(), fbb.GetSize());
  ASSERT_TRUE(schema::VerifyModelBuffer(verifier));
  ASSERT_TRUE(flatbuffers::BufferHasIdentifier(fbb.GetBufferPointer(), "TFL3"));

  const schema::Model* m = schema::GetModel(fbb.GetBufferPointer());
  EXPECT_EQ(m->version(), 3u);
  EXPECT_EQ(m->description()->str(), "roundtrip");
  ASSERT_EQ(m->buffers()->size(), 2u);
  EXPECT_EQ(m->buffers()->Get(0)->data(), nullptr);
  ASSERT_EQ(m->buffers()->Get(1)->data()->size(), 8u);
  EXPECT_EQ(m->buffers()->Get(1)->data()->Get(7), 8);
  // force_align: 16 on Buffer.data keeps weights aligned for direct use.
  EXPECT_EQ((m->buffers()->Get(1)->data()->data() - fbb.GetBufferPointer()) % 16, 0);
  EXPECT_EQ(EffectiveBuiltinCode(*m->operator_codes()->Get(0)), schema::BuiltinOperator_CUMSUM);
  const schema::Tensor* tensor = m->subgraphs()->Get(0)->tensors()->Get(0);
  EXPECT_EQ(tensor->name()->str(), "w");
  EXPECT_EQ(tensor->shape_signature()->Get(0), -1);
  const schema::Operator* o = m->subgraphs()->Get(0)->operators()->Get(0);
  ASSERT_NE(o->builtin_options_as_FullyConnectedOptions(), nullptr);
  EXPECT_EQ(o->builtin_options_as_FullyConnectedOptions()->fused_activation_function(),
            schema::ActivationFunctionType_RELU);
  EXPECT_FALSE(o->builtin_options_as_FullyConnectedOptions()->keep_num_dims());
}

TEST(SchemaUtilTest, EffectiveCodeTakesTheLargerField) {
  schema::OperatorCodeT old_writer;  // only the deprecated byte (pre-3a files)
  old_writer.deprecated_builtin_code = 9;
  EXPECT_EQ(EffectiveBuiltinCode(old_writer), 9);
  schema::OperatorCodeT new_writer;
  new_writer.deprecated_builtin_code = 127;
  new_writer.builtin_code = schema::BuiltinOperator_BROADCAST_TO;
  EXPECT_EQ(EffectiveBuiltinCode(new_writer), 130);
  EXPECT_EQ(BuiltinOperatorName(9), "FULLY_CONNECTED");
  EXPECT_EQ(BuiltinOperatorName(999), "BUILTIN(999)");
}

TEST(SchemaUtilTest, TypeNamesSizesAndDims) {
  EXPECT_EQ(TensorTypeName(schema::TensorType_FLOAT32), "float32");
  EXPECT_EQ(TensorTypeName(static_cast<schema::TensorType>(77)), "type(77)");
  EXPECT_EQ(TensorTypeSize(schema::TensorType_FLOAT32), 4u);
  EXPECT_EQ(TensorTypeSize(schema::TensorType_INT8), 1u);
  EXPECT_EQ(TensorTypeSize(schema::TensorType_STRING), 0u);
  std::vector<int32_t> dims = {64, 784};
  EXPECT_EQ(DimsToString(dims), "[64,784]");
  EXPECT_EQ(DimsToString(std::span<const int32_t>()), "[]");
}

}  // namespace
}  // namespace edgepipe::lite
