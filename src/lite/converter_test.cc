// Structure of the converter's output: what TF's converter writes for a Keras MLP.
#include "src/lite/converter.h"

#include <gtest/gtest.h>

#include <cstring>

#include "flatbuffers/flatbuffers.h"
#include "src/lite/schema/schema_generated.h"
#include "src/lite/schema_util.h"
#include "src/lite/test_models.h"

namespace edgepipe::lite {
namespace {

using testing::MakeMlpGraph;

std::vector<int32_t> Vec(const flatbuffers::Vector<int32_t>* v) {
  return v ? std::vector<int32_t>(v->begin(), v->end()) : std::vector<int32_t>{};
}

TEST(ConverterTest, MlpStructure) {
  InferenceGraph g = MakeMlpGraph({784, 64, 64, 10}, 1);
  StatusOr<std::string> bytes = ConvertToTFLite(g);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  flatbuffers::Verifier v(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size());
  ASSERT_TRUE(schema::VerifyModelBuffer(v));
  const schema::Model* m = schema::GetModel(bytes->data());

  EXPECT_EQ(m->version(), 3u);
  ASSERT_EQ(m->operator_codes()->size(), 1u);
  const schema::OperatorCode* code = m->operator_codes()->Get(0);
  EXPECT_EQ(code->builtin_code(), schema::BuiltinOperator_FULLY_CONNECTED);
  EXPECT_EQ(code->deprecated_builtin_code(), 9);
  EXPECT_EQ(code->version(), 1);

  EXPECT_EQ(m->buffers()->Get(0)->data(), nullptr);  // the empty sentinel
  ASSERT_EQ(m->subgraphs()->size(), 1u);
  const schema::SubGraph* sg = m->subgraphs()->Get(0);
  ASSERT_EQ(sg->operators()->size(), 3u);  // Dropout-free chain: three FCs
  ASSERT_EQ(Vec(sg->inputs()).size(), 1u);
  ASSERT_EQ(Vec(sg->outputs()).size(), 1u);

  const schema::Tensor* in = sg->tensors()->Get(static_cast<uint32_t>(sg->inputs()->Get(0)));
  EXPECT_EQ(in->name()->str(), "serving_default_image_floats:0");
  EXPECT_EQ(Vec(in->shape()), (std::vector<int32_t>{1, 784}));
  EXPECT_EQ(Vec(in->shape_signature()), (std::vector<int32_t>{-1, 784}));
  EXPECT_EQ(in->type(), schema::TensorType_FLOAT32);
  const schema::Tensor* out = sg->tensors()->Get(static_cast<uint32_t>(sg->outputs()->Get(0)));
  EXPECT_EQ(out->name()->str(), "StatefulPartitionedCall:0");
  EXPECT_EQ(Vec(out->shape()), (std::vector<int32_t>{1, 10}));
  EXPECT_EQ(Vec(out->shape_signature()), (std::vector<int32_t>{-1, 10}));

  const int32_t expected_units[] = {64, 64, 10};
  const int32_t expected_in[] = {784, 64, 64};
  for (uint32_t i = 0; i < 3; ++i) {
    const schema::Operator* op = sg->operators()->Get(i);
    const auto* fc = op->builtin_options_as_FullyConnectedOptions();
    ASSERT_NE(fc, nullptr);
    EXPECT_FALSE(fc->keep_num_dims());
    EXPECT_EQ(fc->fused_activation_function(),
              i < 2 ? schema::ActivationFunctionType_RELU : schema::ActivationFunctionType_NONE);
    ASSERT_EQ(op->inputs()->size(), 3u);
    const schema::Tensor* w = sg->tensors()->Get(static_cast<uint32_t>(op->inputs()->Get(1)));
    EXPECT_EQ(Vec(w->shape()), (std::vector<int32_t>{expected_units[i], expected_in[i]}));
    const schema::Buffer* wb = m->buffers()->Get(w->buffer());
    ASSERT_NE(wb->data(), nullptr);
    EXPECT_EQ(wb->data()->size(), static_cast<size_t>(expected_units[i] * expected_in[i] * 4));
    // Transposed: TFLite weights[u][c] == Keras kernel[c][u].
    const auto& dense = std::get<DenseOp>(g.ops[i]);
    float w_u1_c2;
    std::memcpy(&w_u1_c2, wb->data()->data() + (1 * expected_in[i] + 2) * 4, 4);
    EXPECT_EQ(w_u1_c2, dense.kernel.data<float>()[2 * expected_units[i] + 1]);
    const schema::Tensor* b = sg->tensors()->Get(static_cast<uint32_t>(op->inputs()->Get(2)));
    EXPECT_EQ(Vec(b->shape()), (std::vector<int32_t>{expected_units[i]}));
  }
  EXPECT_EQ(sg->tensors()
                ->Get(static_cast<uint32_t>(sg->operators()->Get(0)->outputs()->Get(0)))
                ->name()
                ->str(),
            "sequential/dense/MatMul;sequential/dense/Relu;sequential/dense/BiasAdd");

  ASSERT_EQ(m->signature_defs()->size(), 1u);
  const schema::SignatureDef* sig = m->signature_defs()->Get(0);
  EXPECT_EQ(sig->signature_key()->str(), "serving_default");
  EXPECT_EQ(sig->subgraph_index(), 0u);
  ASSERT_EQ(sig->inputs()->size(), 1u);
  EXPECT_EQ(sig->inputs()->Get(0)->name()->str(), "image_floats");
  EXPECT_EQ(sig->inputs()->Get(0)->tensor_index(), static_cast<uint32_t>(sg->inputs()->Get(0)));
  ASSERT_EQ(sig->outputs()->size(), 1u);
  EXPECT_EQ(sig->outputs()->Get(0)->name()->str(), "output_0");
  EXPECT_EQ(sig->outputs()->Get(0)->tensor_index(), static_cast<uint32_t>(sg->outputs()->Get(0)));

  ASSERT_NE(m->metadata(), nullptr);
  ASSERT_EQ(m->metadata()->size(), 1u);
  EXPECT_EQ(m->metadata()->Get(0)->name()->str(), "min_runtime_version");
  const auto* mv = m->buffers()->Get(m->metadata()->Get(0)->buffer())->data();
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(mv->data())), "1.5.0");
}

TEST(ConverterTest, SoftmaxTailAndNoMetadata) {
  InferenceGraph g = MakeMlpGraph({4, 3}, 2, /*softmax=*/true);
  ConverterOptions opts;
  opts.write_min_runtime_version = false;
  opts.signature_key = "predict";
  StatusOr<std::string> bytes = ConvertToTFLite(g, opts);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  const schema::Model* m = schema::GetModel(bytes->data());
  ASSERT_EQ(m->operator_codes()->size(), 2u);
  EXPECT_EQ(m->operator_codes()->Get(1)->builtin_code(), schema::BuiltinOperator_SOFTMAX);
  EXPECT_EQ(m->operator_codes()->Get(1)->deprecated_builtin_code(), 25);
  const schema::SubGraph* sg = m->subgraphs()->Get(0);
  EXPECT_EQ(sg->operators()->Get(1)->builtin_options_as_SoftmaxOptions()->beta(), 1.0f);
  EXPECT_EQ(m->metadata(), nullptr);
  EXPECT_EQ(m->signature_defs()->Get(0)->signature_key()->str(), "predict");
}

TEST(ConverterTest, KernelThatDoesNotChainIsAnError) {
  InferenceGraph g = MakeMlpGraph({8, 4, 2}, 3);
  std::get<DenseOp>(g.ops[1]).kernel = Tensor(DType::kFloat32, {5, 2});
  StatusOr<std::string> bytes = ConvertToTFLite(g);
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(bytes.status().message().find("op 1 (Dense 'dense_1')"), std::string::npos)
      << bytes.status().message();
}

TEST(ConverterTest, InputShapeMustHaveDynamicBatch) {
  InferenceGraph g = MakeMlpGraph({8, 2}, 4);
  g.input_shape = {8};
  EXPECT_EQ(ConvertToTFLite(g).status().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace edgepipe::lite
