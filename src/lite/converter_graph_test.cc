// Layer coverage of the converter: lowering (wiring, BatchNorm folding,
// activation fusion), the float reference pass on hand values, and the TFLite
// ops, layouts and quantization parameters written for each layer type.
#include "src/lite/converter_graph.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "src/lite/calibration.h"
#include "src/lite/schema/schema_generated.h"
#include "src/lite/test_models.h"

namespace edgepipe::lite {
namespace {

using testing::RandomTensor;

Tensor Ones(Shape s) {
  Tensor t(DType::kFloat32, std::move(s));
  for (int64_t i = 0; i < t.num_elements(); ++i) t.data<float>()[i] = 1.0f;
  return t;
}

std::vector<float> Values(const Tensor& t) {
  return std::vector<float>(t.data<float>(), t.data<float>() + t.num_elements());
}

InferenceGraph ImageGraph(Shape input) {
  InferenceGraph g;
  g.model_name = "cnn";
  g.input_name = "image";
  g.input_shape = std::move(input);
  return g;
}

TEST(ConverterGraphTest, ReferenceConvAndPoolOnHandValues) {
  // 3x3 single-channel input 1..9, 2x2 kernel of ones, VALID: window sums.
  InferenceGraph g = ImageGraph({-1, 3, 3, 1});
  g.ops.push_back(Conv2DOp{"conv", Ones({2, 2, 1, 1}), Tensor::FromVector<float>({1}, {0.5f})});
  g.ops.push_back(Pool2DOp{"avg", PoolKind::kAverage, 2, 2, 1, 1, Padding::kSame});
  g.outputs = {{"conv_out", "conv"}, {"avg_out", "avg"}};
  auto lowered = LowerGraph(g);
  ASSERT_TRUE(lowered.ok()) << lowered.status().ToString();
  auto x = Tensor::FromVector<float>({1, 3, 3, 1}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  auto out = RunLoweredGraph(*lowered, {x});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  // 1+2+4+5 = 12, 2+3+5+6 = 16, 4+5+7+8 = 24, 5+6+8+9 = 28, plus the bias.
  EXPECT_EQ(Values((*out)[0]), (std::vector<float>{12.5f, 16.5f, 24.5f, 28.5f}));
  // SAME 2x2 average with stride 1 on the 2x2 map: the padded cells do not count.
  EXPECT_EQ(Values((*out)[1]), (std::vector<float>{20.5f, 22.5f, 26.5f, 28.5f}));
}

TEST(ConverterGraphTest, BatchNormFoldsIntoConvAndReluFuses) {
  std::mt19937 rng(1);
  InferenceGraph g = ImageGraph({-1, 5, 5, 2});
  g.ops.push_back(Conv2DOp{"conv", RandomTensor({3, 3, 2, 3}, rng), RandomTensor({3}, rng)});
  BatchNormOp bn{"bn", Tensor::FromVector<float>({3}, {1.5f, 0.5f, -1.0f}),
                 Tensor::FromVector<float>({3}, {0.1f, -0.2f, 0.3f}),
                 Tensor::FromVector<float>({3}, {0.05f, 0.0f, -0.1f}),
                 Tensor::FromVector<float>({3}, {0.5f, 2.0f, 1.0f})};
  g.ops.push_back(bn);
  g.ops.push_back(ActivationOp{"relu", ActivationKind::kRelu});
  auto lowered = LowerGraph(g);
  ASSERT_TRUE(lowered.ok()) << lowered.status().ToString();
  ASSERT_EQ(lowered->nodes.size(), 1u);
  const auto& conv = std::get<Conv2DOp>(lowered->nodes[0].op);
  EXPECT_EQ(conv.activation, FusedActivation::kRelu);
  EXPECT_EQ(lowered->values[static_cast<size_t>(lowered->outputs[0].second)].name, "relu");

  // Against the unfolded math: conv alone, then BN and relu by hand.
  InferenceGraph plain = ImageGraph({-1, 5, 5, 2});
  plain.ops.push_back(g.ops[0]);
  auto plain_lowered = LowerGraph(plain);
  ASSERT_TRUE(plain_lowered.ok());
  Tensor x = RandomTensor({2, 5, 5, 2}, rng);
  auto folded = RunLoweredGraph(*lowered, {x});
  auto reference = RunLoweredGraph(*plain_lowered, {x});
  ASSERT_TRUE(folded.ok() && reference.ok());
  const Tensor& f = (*folded)[0];
  const Tensor& r = (*reference)[0];
  ASSERT_EQ(f.shape(), (Shape{2, 3, 3, 3}));
  for (int64_t i = 0; i < r.num_elements(); ++i) {
    const size_t c = static_cast<size_t>(i % 3);
    const float gamma = bn.gamma.data<float>()[c], beta = bn.beta.data<float>()[c];
    const float mean = bn.mean.data<float>()[c], var = bn.variance.data<float>()[c];
    const float want =
        std::max(0.0f, gamma * (r.data<float>()[i] - mean) / std::sqrt(var + 1e-3f) + beta);
    EXPECT_NEAR(f.data<float>()[i], want, 1e-5f) << i;
  }
}

TEST(ConverterGraphTest, UnfoldableBatchNormBecomesMulAdd) {
  InferenceGraph g = ImageGraph({-1, 4});
  g.ops.push_back(BatchNormOp{"bn", Ones({4}), Ones({4}), Ones({4}), Ones({4}), 0.0f});
  auto lowered = LowerGraph(g);
  ASSERT_TRUE(lowered.ok()) << lowered.status().ToString();
  ASSERT_EQ(lowered->nodes.size(), 2u);
  EXPECT_EQ(std::get<BinaryOp>(lowered->nodes[0].op).kind, BinaryKind::kMul);
  EXPECT_EQ(std::get<BinaryOp>(lowered->nodes[1].op).kind, BinaryKind::kAdd);
  auto out = RunLoweredGraph(*lowered, {Tensor::FromVector<float>({1, 4}, {1, 2, 3, 4})});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(Values((*out)[0]), (std::vector<float>{1, 2, 3, 4}));  // (x - 1) / 1 + 1
}

TEST(ConverterGraphTest, ScalarMulAddBeforeDenseFoldIntoIt) {
  // A Rescaling (x * s + t) feeding a Dense: one FULLY_CONNECTED remains and
  // computes W (x * s + t) + b.
  InferenceGraph g = ImageGraph({-1, 3});
  Tensor kernel = Tensor::FromVector<float>({3, 2}, {1, 2, 3, 4, 5, 6});  // [in, units]
  Tensor bias = Tensor::FromVector<float>({2}, {0.5f, -1});
  g.ops.push_back(
      BinaryOp{"rescaling/mul", BinaryKind::kMul, Tensor::FromVector<float>({}, {0.5f})});
  g.ops.push_back(BinaryOp{"rescaling", BinaryKind::kAdd, Tensor::FromVector<float>({}, {-2.0f})});
  g.ops.push_back(DenseOp{"dense", kernel, bias});
  auto lowered = LowerGraph(g);
  ASSERT_TRUE(lowered.ok()) << lowered.status().ToString();
  ASSERT_EQ(lowered->nodes.size(), 1u);
  ASSERT_TRUE(std::holds_alternative<DenseOp>(lowered->nodes[0].op));
  EXPECT_EQ(lowered->nodes[0].inputs[0], lowered->inputs[0]);
  auto out = RunLoweredGraph(*lowered, {Tensor::FromVector<float>({1, 3}, {2, 4, 6})});
  ASSERT_TRUE(out.ok());
  // x * 0.5 - 2 = (-1, 0, 1): units 1*-1 + 3*0 + 5*1 + 0.5 = 4.5 and 2*-1 + 6*1 - 1 = 3.
  EXPECT_EQ(Values((*out)[0]), (std::vector<float>{4.5f, 3.0f}));

  // A MUL whose output a second op also reads stays.
  InferenceGraph shared = ImageGraph({-1, 3});
  shared.ops.push_back(BinaryOp{"mul", BinaryKind::kMul, Tensor::FromVector<float>({}, {0.5f})});
  shared.ops.push_back(DenseOp{"dense", kernel, bias, FusedActivation::kNone, {"mul"}});
  shared.outputs = {{"dense", "dense"}, {"scaled", "mul"}};
  auto kept = LowerGraph(shared);
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  EXPECT_EQ(kept->nodes.size(), 2u);
}

TEST(ConverterGraphTest, WiringErrorsNameTheOp) {
  InferenceGraph g = ImageGraph({-1, 4});
  g.ops.push_back(ActivationOp{"a", ActivationKind::kTanh, {"nope"}});
  Status s = LowerGraph(g).status();
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("op 0 (Activation 'a'): input 'nope'"), std::string::npos)
      << s.message();
  g.ops = {ActivationOp{"a", ActivationKind::kTanh}, ActivationOp{"a", ActivationKind::kTanh}};
  EXPECT_NE(LowerGraph(g).status().message().find("op 1 (Activation 'a'): name is already used"),
            std::string::npos);
  g.ops = {ConcatOp{"c", 0, {"image", "image"}}};
  EXPECT_NE(LowerGraph(g).status().message().find("is the batch"), std::string::npos);
}

// ---- Written TFLite ops ------------------------------------------------------

struct Model {
  std::string bytes;
  const schema::Model* m = nullptr;
  const schema::SubGraph* sg = nullptr;
  const schema::Tensor* T(int i) const { return sg->tensors()->Get(static_cast<uint32_t>(i)); }
  const schema::Operator* Op(uint32_t i) const { return sg->operators()->Get(i); }
  int32_t Code(uint32_t i) const {
    return m->operator_codes()->Get(Op(i)->opcode_index())->builtin_code();
  }
  const schema::Tensor* In(uint32_t op, uint32_t k) const { return T(Op(op)->inputs()->Get(k)); }
  const schema::Tensor* Out(uint32_t op) const { return T(Op(op)->outputs()->Get(0)); }
  std::vector<int32_t> Codes() const {
    std::vector<int32_t> c;
    for (uint32_t i = 0; i < sg->operators()->size(); ++i) c.push_back(Code(i));
    return c;
  }
};

Model Convert(const InferenceGraph& g, const ConverterOptions& o = {}) {
  Model p;
  auto bytes = ConvertToTFLite(g, o);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  if (!bytes.ok()) return p;
  p.bytes = *bytes;
  flatbuffers::Verifier v(reinterpret_cast<const uint8_t*>(p.bytes.data()), p.bytes.size());
  EXPECT_TRUE(schema::VerifyModelBuffer(v));
  p.m = schema::GetModel(p.bytes.data());
  p.sg = p.m->subgraphs()->Get(0);
  return p;
}

std::vector<int32_t> Dims(const flatbuffers::Vector<int32_t>* v) {
  return std::vector<int32_t>(v->begin(), v->end());
}

// Every layer type in one small CNN, in TF's op order.
InferenceGraph AllLayers(uint32_t seed) {
  std::mt19937 rng(seed);
  InferenceGraph g = ImageGraph({-1, 6, 6, 2});
  g.ops.push_back(
      BinaryOp{"rescale/mul", BinaryKind::kMul, Tensor::FromVector<float>({}, {1.0f / 255})});
  g.ops.push_back(BinaryOp{"rescale", BinaryKind::kAdd, Tensor::FromVector<float>({}, {-0.5f})});
  g.ops.push_back(PadOp{"pad", {{0, 0}, {1, 1}, {1, 1}, {0, 0}}});
  g.ops.push_back(Conv2DOp{"conv", RandomTensor({3, 3, 2, 4}, rng), RandomTensor({4}, rng, 0.1f), 1,
                           1, Padding::kValid});
  g.ops.push_back(BatchNormOp{"bn", Ones({4}), RandomTensor({4}, rng, 0.1f),
                              RandomTensor({4}, rng, 0.1f), Ones({4})});
  g.ops.push_back(ActivationOp{"relu", ActivationKind::kRelu});
  g.ops.push_back(DepthwiseConv2DOp{"dw", RandomTensor({3, 3, 4, 2}, rng),
                                    RandomTensor({8}, rng, 0.1f), 1, 1, Padding::kSame});
  g.ops.push_back(ActivationOp{"relu6", ActivationKind::kRelu6});
  g.ops.push_back(Pool2DOp{"max", PoolKind::kMax});
  g.ops.push_back(ActivationOp{"hs", ActivationKind::kHardSwish});
  g.ops.push_back(Pool2DOp{"avg", PoolKind::kAverage, 1, 1, 1, 1});
  g.ops.push_back(MeanOp{"gap"});
  g.ops.push_back(BinaryOp{"norm/sub", BinaryKind::kSub, RandomTensor({8}, rng, 0.1f)});
  g.ops.push_back(BinaryOp{"norm", BinaryKind::kMul, RandomTensor({8}, rng)});
  g.ops.push_back(ActivationOp{"tanh", ActivationKind::kTanh});
  g.ops.push_back(ActivationOp{"sig", ActivationKind::kLogistic});
  g.ops.push_back(ReshapeOp{"flatten", {-1}});
  g.ops.push_back(DenseOp{"dense", RandomTensor({8, 3}, rng), RandomTensor({3}, rng, 0.1f)});
  g.ops.push_back(SoftmaxOp{"softmax"});
  return g;
}

TEST(ConverterLayersTest, EveryLayerTypeFloat) {
  InferenceGraph g = AllLayers(2);
  Model p = Convert(g);
  ASSERT_NE(p.m, nullptr);
  using namespace schema;  // NOLINT: op code names
  EXPECT_EQ(
      p.Codes(),
      (std::vector<int32_t>{
          BuiltinOperator_MUL, BuiltinOperator_ADD, BuiltinOperator_PAD, BuiltinOperator_CONV_2D,
          BuiltinOperator_DEPTHWISE_CONV_2D, BuiltinOperator_MAX_POOL_2D,
          BuiltinOperator_HARD_SWISH, BuiltinOperator_AVERAGE_POOL_2D, BuiltinOperator_MEAN,
          BuiltinOperator_SUB, BuiltinOperator_MUL, BuiltinOperator_TANH, BuiltinOperator_LOGISTIC,
          BuiltinOperator_RESHAPE, BuiltinOperator_FULLY_CONNECTED, BuiltinOperator_SOFTMAX}));
  // CONV_2D: BN folded, RELU fused, weights [out, kh, kw, in].
  const auto* conv = p.Op(3)->builtin_options_as_Conv2DOptions();
  ASSERT_NE(conv, nullptr);
  EXPECT_EQ(conv->fused_activation_function(), ActivationFunctionType_RELU);
  EXPECT_EQ(conv->padding(), Padding_VALID);
  EXPECT_EQ(Dims(p.In(3, 1)->shape()), (std::vector<int32_t>{4, 3, 3, 2}));
  EXPECT_EQ(Dims(p.Out(3)->shape()), (std::vector<int32_t>{1, 6, 6, 4}));
  EXPECT_EQ(Dims(p.Out(3)->shape_signature()), (std::vector<int32_t>{-1, 6, 6, 4}));
  // DEPTHWISE_CONV_2D: [1, kh, kw, C*mult], multiplier 2, RELU6 fused.
  const auto* dw = p.Op(4)->builtin_options_as_DepthwiseConv2DOptions();
  ASSERT_NE(dw, nullptr);
  EXPECT_EQ(dw->depth_multiplier(), 2);
  EXPECT_EQ(dw->padding(), Padding_SAME);
  EXPECT_EQ(dw->fused_activation_function(), ActivationFunctionType_RELU6);
  EXPECT_EQ(Dims(p.In(4, 1)->shape()), (std::vector<int32_t>{1, 3, 3, 8}));
  // Depthwise values keep Keras order: tflite[0, y, x, c*2+m] == keras[y, x, c, m].
  const auto& keras_dw = std::get<DepthwiseConv2DOp>(g.ops[6]).kernel;
  float v;
  std::memcpy(
      &v, p.m->buffers()->Get(p.In(4, 1)->buffer())->data()->data() + 4 * (1 * 3 * 8 + 2 * 8 + 5),
      4);
  EXPECT_EQ(v, keras_dw.data<float>()[((1 * 3 + 2) * 4 + 2) * 2 + 1]);
  EXPECT_EQ(Dims(p.Out(2)->shape()), (std::vector<int32_t>{1, 8, 8, 2}));  // PAD
  EXPECT_EQ(Dims(p.Out(8)->shape()), (std::vector<int32_t>{1, 8}));        // MEAN
  EXPECT_EQ(Dims(p.Out(15)->shape()), (std::vector<int32_t>{1, 3}));
  // The conversion keeps the graph's math: conv weight [o, y, x, i] == folded keras [y, x, i, o].
  auto lowered = LowerGraph(g);
  ASSERT_TRUE(lowered.ok());
  const auto& folded = std::get<Conv2DOp>(lowered->nodes[3].op).kernel;
  std::memcpy(&v,
              p.m->buffers()->Get(p.In(3, 1)->buffer())->data()->data() +
                  4 * (((3 * 3 + 1) * 3 + 2) * 2 + 1),
              4);
  EXPECT_EQ(v, folded.data<float>()[((1 * 3 + 2) * 2 + 1) * 4 + 3]);
}

TEST(ConverterLayersTest, EveryLayerTypeFullInteger) {
  InferenceGraph g = AllLayers(3);
  ConverterOptions o;
  o.quantization = QuantizationMode::kFullInteger;
  std::mt19937 rng(4);
  Tensor samples = RandomTensor({8, 6, 6, 2}, rng, 255.0f);
  o.representative_dataset = *RepresentativeDatasetFromTensor(samples, 8);
  Model p = Convert(g, o);
  ASSERT_NE(p.m, nullptr);
  const uint32_t n = p.sg->operators()->size();
  EXPECT_EQ(p.Code(0), schema::BuiltinOperator_QUANTIZE);
  EXPECT_EQ(p.Code(n - 1), schema::BuiltinOperator_DEQUANTIZE);
  for (uint32_t i = 1; i + 1 < n; ++i) {
    EXPECT_EQ(p.Out(i)->type(), schema::TensorType_INT8) << i;
    EXPECT_EQ(p.In(i, 0)->type(), schema::TensorType_INT8) << i;
  }
  auto scale = [](const schema::Tensor* t) { return t->quantization()->scale(); };
  auto zp = [](const schema::Tensor* t) { return t->quantization()->zero_point()->Get(0); };
  // Ops after the input QUANTIZE: MUL ADD PAD CONV DW MAX HS AVG MEAN SUB MUL TANH LOG RESHAPE FC
  // SOFTMAX.
  const uint32_t conv = 4, dw = 5, max = 6, avg = 8, tanh = 12, logistic = 13, reshape = 14,
                 fc = 15, softmax = 16, pad = 3;
  EXPECT_EQ(p.Code(conv), schema::BuiltinOperator_CONV_2D);
  const auto* cw = p.In(conv, 1);
  EXPECT_EQ(scale(cw)->size(), 4u);  // per output channel
  EXPECT_EQ(cw->quantization()->quantized_dimension(), 0);
  EXPECT_EQ(p.In(conv, 2)->type(), schema::TensorType_INT32);
  EXPECT_EQ(scale(p.In(conv, 2))->size(), 4u);
  for (uint32_t c = 0; c < 4; ++c) {
    EXPECT_FLOAT_EQ(scale(p.In(conv, 2))->Get(c), scale(p.In(conv, 0))->Get(0) * scale(cw)->Get(c));
  }
  const auto* dww = p.In(dw, 1);
  EXPECT_EQ(scale(dww)->size(), 8u);
  EXPECT_EQ(dww->quantization()->quantized_dimension(), 3);
  EXPECT_EQ(scale(p.In(fc, 1))->size(), 1u);  // FC per tensor
  for (uint32_t same : {pad, max, avg, reshape}) {
    EXPECT_EQ(scale(p.Out(same))->Get(0), scale(p.In(same, 0))->Get(0)) << same;
    EXPECT_EQ(zp(p.Out(same)), zp(p.In(same, 0))) << same;
  }
  EXPECT_FLOAT_EQ(scale(p.Out(tanh))->Get(0), 1.0f / 128);
  EXPECT_EQ(zp(p.Out(tanh)), 0);
  EXPECT_FLOAT_EQ(scale(p.Out(logistic))->Get(0), 1.0f / 256);
  EXPECT_EQ(zp(p.Out(logistic)), -128);
  EXPECT_FLOAT_EQ(scale(p.Out(softmax))->Get(0), 1.0f / 256);
  EXPECT_EQ(zp(p.Out(softmax)), -128);
  // The MUL constant is an int8 tensor with its own params.
  EXPECT_EQ(p.In(1, 1)->type(), schema::TensorType_INT8);
}

TEST(ConverterLayersTest, FunctionalGraphWithTwoInputsAndConcat) {
  std::mt19937 rng(5);
  InferenceGraph g;
  g.model_name = "model";
  g.inputs = {{"a", {-1, 3}}, {"b", {-1, 2}}};
  g.ops.push_back(DenseOp{
      "da", RandomTensor({3, 4}, rng), RandomTensor({4}, rng), FusedActivation::kNone, {"a"}});
  g.ops.push_back(DenseOp{
      "db", RandomTensor({2, 4}, rng), RandomTensor({4}, rng), FusedActivation::kNone, {"b"}});
  g.ops.push_back(
      BinaryOp{"sum", BinaryKind::kAdd, std::nullopt, FusedActivation::kNone, {"da", "db"}});
  g.ops.push_back(ConcatOp{"cat", -1, {"sum", "da"}});
  g.outputs = {{"cat", "cat"}, {"sum", "sum"}};
  Model p = Convert(g);
  ASSERT_NE(p.m, nullptr);
  const auto* sig = p.m->signature_defs()->Get(0);
  ASSERT_EQ(sig->inputs()->size(), 2u);
  EXPECT_EQ(sig->inputs()->Get(1)->name()->str(), "b");
  EXPECT_EQ(p.T(static_cast<int>(sig->inputs()->Get(1)->tensor_index()))->name()->str(),
            "serving_default_b:0");
  ASSERT_EQ(sig->outputs()->size(), 2u);
  EXPECT_EQ(p.T(static_cast<int>(sig->outputs()->Get(0)->tensor_index()))->name()->str(),
            "StatefulPartitionedCall:0");
  EXPECT_EQ(p.T(static_cast<int>(sig->outputs()->Get(1)->tensor_index()))->name()->str(),
            "StatefulPartitionedCall:1");
  EXPECT_EQ(p.Code(3), schema::BuiltinOperator_CONCATENATION);
  EXPECT_EQ(p.Op(3)->builtin_options_as_ConcatenationOptions()->axis(), 1);
  EXPECT_EQ(Dims(p.Out(3)->shape()), (std::vector<int32_t>{1, 8}));

  // Full integer: concat inputs with other scales are requantized first.
  ConverterOptions o;
  o.quantization = QuantizationMode::kFullInteger;
  Tensor xa = RandomTensor({6, 3}, rng), xb = RandomTensor({6, 2}, rng);
  auto a = *RepresentativeDatasetFromTensor(xa, 6);
  auto b = *RepresentativeDatasetFromTensor(xb, 6);
  o.representative_dataset = [a, b]() -> StatusOr<std::optional<std::vector<Tensor>>> {
    ASSIGN_OR_RETURN(auto sa, a());
    ASSIGN_OR_RETURN(auto sb, b());
    if (!sa.has_value()) return std::optional<std::vector<Tensor>>();
    return std::optional<std::vector<Tensor>>(std::vector<Tensor>{(*sa)[0], (*sb)[0]});
  };
  Model q = Convert(g, o);
  ASSERT_NE(q.m, nullptr);
  for (uint32_t i = 0; i < q.sg->operators()->size(); ++i) {
    if (q.Code(i) != schema::BuiltinOperator_CONCATENATION) continue;
    for (uint32_t k = 0; k < 2; ++k) {
      EXPECT_EQ(q.In(i, k)->quantization()->scale()->Get(0),
                q.Out(i)->quantization()->scale()->Get(0));
      EXPECT_EQ(q.In(i, k)->quantization()->zero_point()->Get(0),
                q.Out(i)->quantization()->zero_point()->Get(0));
    }
  }
}

TEST(ConverterLayersTest, DynamicRangeConvIsPerChannelHybrid) {
  std::mt19937 rng(6);
  InferenceGraph g = ImageGraph({-1, 8, 8, 16});
  g.ops.push_back(Conv2DOp{"conv", RandomTensor({3, 3, 16, 32}, rng), RandomTensor({32}, rng)});
  ConverterOptions o;
  o.quantization = QuantizationMode::kDynamicRange;
  Model p = Convert(g, o);
  ASSERT_NE(p.m, nullptr);
  ASSERT_EQ(p.sg->operators()->size(), 1u);
  EXPECT_EQ(p.In(0, 0)->type(), schema::TensorType_FLOAT32);
  EXPECT_EQ(p.In(0, 1)->type(), schema::TensorType_INT8);
  EXPECT_EQ(p.In(0, 1)->quantization()->scale()->size(), 32u);
  EXPECT_EQ(p.In(0, 2)->type(), schema::TensorType_FLOAT32);
  EXPECT_EQ(p.m->operator_codes()->Get(0)->version(), 5);
}

}  // namespace
}  // namespace edgepipe::lite
