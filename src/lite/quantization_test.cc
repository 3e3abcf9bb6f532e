// Quantization: parameter arithmetic on hand values, calibration, and the
// structure each mode writes (what TF's converter writes for the same mode).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "src/lite/calibration.h"
#include "src/lite/converter.h"
#include "src/lite/converter_graph.h"
#include "src/lite/quantizer.h"
#include "src/lite/schema/schema_generated.h"
#include "src/lite/test_models.h"

namespace edgepipe::lite {
namespace {

using testing::MakeMlpGraph;
using testing::RandomTensor;

TEST(QuantizerTest, ActivationParamsFollowTfNudging) {
  // [-1, 2]: scale 3/255; zero point -128 + 1/scale = -43.
  QuantParams p = ChooseActivationParams(-1.0f, 2.0f);
  EXPECT_FLOAT_EQ(p.scale[0], 3.0f / 255.0f);
  EXPECT_EQ(p.zero_point[0], -43);
  // [-0.1, 10]: from the min end -128 + 2.55 = -125.45 -> -125.
  p = ChooseActivationParams(-0.1f, 10.0f);
  EXPECT_FLOAT_EQ(p.scale[0], 10.1f / 255.0f);
  EXPECT_EQ(p.zero_point[0], -125);
  // [0, 6] (relu6): zero at the bottom.
  p = ChooseActivationParams(0.0f, 6.0f);
  EXPECT_FLOAT_EQ(p.scale[0], 6.0f / 255.0f);
  EXPECT_EQ(p.zero_point[0], -128);
  // A range not containing 0 is widened to contain it.
  p = ChooseActivationParams(2.0f, 4.0f);
  EXPECT_FLOAT_EQ(p.scale[0], 4.0f / 255.0f);
  EXPECT_EQ(p.zero_point[0], -128);
  p = ChooseActivationParams(-3.0f, -1.0f);
  EXPECT_FLOAT_EQ(p.scale[0], 3.0f / 255.0f);
  EXPECT_EQ(p.zero_point[0], 127);
  // Degenerate range.
  p = ChooseActivationParams(0.0f, 0.0f);
  EXPECT_EQ(p.scale[0], 1.0f);
  EXPECT_EQ(p.zero_point[0], 0);
  EXPECT_EQ(ToUInt8Params(ChooseActivationParams(0.0f, 6.0f)).zero_point[0], 0);
}

TEST(QuantizerTest, SymmetricPerChannelAndPerTensor) {
  // Two channels along axis 0 of [2, 3].
  const float w[] = {0.5f, -1.0f, 0.25f, 2.0f, 0.0f, -0.5f};
  SymmetricQuantized q = QuantizeSymmetric(w, 6, 2, 3);
  ASSERT_EQ(q.scales.size(), 2u);
  EXPECT_FLOAT_EQ(q.scales[0], 1.0f / 127);
  EXPECT_FLOAT_EQ(q.scales[1], 2.0f / 127);
  EXPECT_EQ(q.values, (std::vector<int8_t>{64, -127, 32, 127, 0, -32}));
  // Same data, channels on the last axis of [3, 2] (depthwise layout).
  q = QuantizeSymmetric(w, 6, 2, 1);
  EXPECT_FLOAT_EQ(q.scales[0], 0.5f / 127);  // 0.5, 0.25, 0.0
  EXPECT_FLOAT_EQ(q.scales[1], 2.0f / 127);  // -1, 2, -0.5
  // Per tensor.
  q = QuantizeSymmetric(w, 6, 1, 6);
  ASSERT_EQ(q.scales.size(), 1u);
  EXPECT_EQ(q.values[3], 127);
  EXPECT_EQ(q.values[1], -64);  // -1 / (2/127) = -63.5 -> -64 (away from zero)
  // An all-zero channel gets scale 1.
  const float z[] = {0, 0};
  EXPECT_EQ(QuantizeSymmetric(z, 2, 1, 2).scales[0], 1.0f);
}

TEST(QuantizerTest, BiasUsesInputTimesWeightScale) {
  const float b[] = {1.0f, -0.5f};
  std::vector<int32_t> q = QuantizeBias(b, 2, 0.5f, {0.01f, 0.02f});
  EXPECT_EQ(q, (std::vector<int32_t>{200, -50}));
  q = QuantizeBias(b, 2, 0.5f, {0.01f});
  EXPECT_EQ(q, (std::vector<int32_t>{200, -100}));
}

TEST(QuantizerTest, Float16Bits) {
  EXPECT_EQ(FloatToHalf(1.0f), 0x3C00);
  EXPECT_EQ(FloatToHalf(-2.0f), 0xC000);
  EXPECT_EQ(FloatToHalf(0.1f), 0x2E66);
  EXPECT_EQ(FloatToHalf(65504.0f), 0x7BFF);
  EXPECT_EQ(FloatToHalf(65520.0f), 0x7C00);                          // rounds up to inf
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -24)), 0x0001);             // smallest subnormal
  EXPECT_EQ(FloatToHalf(1.0f + std::ldexp(1.0f, -11)), 0x3C00);      // tie -> even
  EXPECT_EQ(FloatToHalf(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);  // tie -> even (up)
  EXPECT_EQ(HalfToFloat(0x2E66), 0.0999755859375f);
  EXPECT_EQ(HalfToFloat(FloatToHalf(-3.5f)), -3.5f);
}

// A graph y = relu(x * w + b) with one unit, and three hand samples.
InferenceGraph TinyGraph() {
  InferenceGraph g;
  g.input_name = "x";
  g.input_shape = {-1, 2};
  g.ops.push_back(DenseOp{"dense", Tensor::FromVector<float>({2, 1}, {1.0f, -2.0f}),
                          Tensor::FromVector<float>({1}, {0.5f}), FusedActivation::kRelu});
  return g;
}

RepresentativeDataset HandSamples() {
  auto rows = Tensor::FromVector<float>({3, 2}, {1, 0, -1, 1, 3, 1});
  return *RepresentativeDatasetFromTensor(rows, 3);
}

TEST(CalibrationTest, MinMaxPerTensorOnHandData) {
  auto lowered = LowerGraph(TinyGraph());
  ASSERT_TRUE(lowered.ok()) << lowered.status().ToString();
  auto result = Calibrate(*lowered, HandSamples());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->num_samples, 3);
  // Input values: 1, 0, -1, 1, 3, 1.
  EXPECT_EQ(result->ranges[0].min, -1.0f);
  EXPECT_EQ(result->ranges[0].max, 3.0f);
  // Outputs: relu(1 + .5) = 1.5, relu(-1 - 2 + .5) = 0, relu(3 - 2 + .5) = 1.5.
  EXPECT_EQ(result->ranges[1].min, 0.0f);
  EXPECT_EQ(result->ranges[1].max, 1.5f);
}

TEST(CalibrationTest, ErrorsNameTheSample) {
  auto lowered = LowerGraph(TinyGraph());
  ASSERT_TRUE(lowered.ok());
  auto empty = Tensor::FromVector<float>({1, 3}, {1, 2, 3});
  auto wrong = RepresentativeDatasetFromTensor(empty, 1);
  ASSERT_TRUE(wrong.ok());
  Status s = Calibrate(*lowered, *wrong).status();
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("sample 0"), std::string::npos) << s.message();
  RepresentativeDataset none = []() -> StatusOr<std::optional<std::vector<Tensor>>> {
    return std::optional<std::vector<Tensor>>();
  };
  EXPECT_NE(Calibrate(*lowered, none).status().message().find("no samples"), std::string::npos);
  RepresentativeDataset failing = []() -> StatusOr<std::optional<std::vector<Tensor>>> {
    return Status::IOError("disk gone");
  };
  Status f = Calibrate(*lowered, failing).status();
  EXPECT_EQ(f.code(), Status::Code::kIOError);
  EXPECT_NE(f.message().find("disk gone"), std::string::npos);
}

TEST(CalibrationTest, DatasetFromExampleTable) {
  data::ExampleTable table;
  table.num_examples = 4;
  table.specs = {{"image_floats", DType::kFloat32, 4}};
  table.columns.push_back(Tensor::FromVector<float>({4, 4}, std::vector<float>(16, 0.5f)));
  auto ds = RepresentativeDatasetFromTable(table, "image_floats", 2, {2, 2, 1});
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  int count = 0;
  for (;;) {
    auto sample = (*ds)();
    ASSERT_TRUE(sample.ok());
    if (!sample->has_value()) break;
    ASSERT_EQ((*sample)->size(), 1u);
    EXPECT_EQ((**sample)[0].shape(), (Shape{1, 2, 2, 1}));
    ++count;
  }
  EXPECT_EQ(count, 2);
  EXPECT_EQ(RepresentativeDatasetFromTable(table, "label", 2).status().code(),
            Status::Code::kNotFound);
  EXPECT_EQ(RepresentativeDatasetFromTable(table, "image_floats", 5).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(RepresentativeDatasetFromTable(table, "image_floats", 2, {3}).status().code(),
            Status::Code::kInvalidArgument);
}

// ---- Structure of each mode ------------------------------------------------

struct Parsed {
  std::string bytes;
  const schema::Model* m = nullptr;
  const schema::SubGraph* sg = nullptr;
  const schema::Tensor* T(int i) const { return sg->tensors()->Get(static_cast<uint32_t>(i)); }
  const schema::Operator* Op(uint32_t i) const { return sg->operators()->Get(i); }
  int32_t Code(uint32_t op) const {
    return m->operator_codes()->Get(Op(op)->opcode_index())->builtin_code();
  }
  const schema::Tensor* In(uint32_t op, uint32_t k) const { return T(Op(op)->inputs()->Get(k)); }
  const schema::Tensor* Out(uint32_t op) const { return T(Op(op)->outputs()->Get(0)); }
  int Version(int32_t code) const {
    for (const auto* c : *m->operator_codes()) {
      if (c->builtin_code() == code) return c->version();
    }
    return -1;
  }
};

Parsed Convert(const InferenceGraph& g, const ConverterOptions& o) {
  Parsed p;
  StatusOr<std::string> bytes = ConvertToTFLite(g, o);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  if (!bytes.ok()) return p;
  p.bytes = *bytes;
  flatbuffers::Verifier v(reinterpret_cast<const uint8_t*>(p.bytes.data()), p.bytes.size());
  EXPECT_TRUE(schema::VerifyModelBuffer(v));
  p.m = schema::GetModel(p.bytes.data());
  p.sg = p.m->subgraphs()->Get(0);
  return p;
}

RepresentativeDataset RandomDataset(const Shape& sample, int n, uint32_t seed) {
  std::mt19937 rng(seed);
  Shape all = sample;
  all.insert(all.begin(), n);
  Tensor x = RandomTensor(all, rng, 1.0f);
  return *RepresentativeDatasetFromTensor(x, n);
}

TEST(QuantizationModesTest, DynamicRangeMlp) {
  ConverterOptions o;
  o.quantization = QuantizationMode::kDynamicRange;
  Parsed p = Convert(MakeMlpGraph({784, 64, 64, 10}, 5), o);
  ASSERT_NE(p.m, nullptr);
  ASSERT_EQ(p.sg->operators()->size(), 3u);
  EXPECT_EQ(p.T(p.sg->inputs()->Get(0))->type(), schema::TensorType_FLOAT32);
  for (uint32_t i = 0; i < 3; ++i) {
    EXPECT_EQ(p.Code(i), schema::BuiltinOperator_FULLY_CONNECTED);
    EXPECT_EQ(p.Out(i)->type(), schema::TensorType_FLOAT32);
    EXPECT_EQ(p.In(i, 2)->type(), schema::TensorType_FLOAT32);  // bias stays float
    const auto* w = p.In(i, 1);
    const auto* fc = p.Op(i)->builtin_options_as_FullyConnectedOptions();
    if (i < 2) {  // 784*64 and 64*64 >= 1024 elements: int8, per tensor, zp 0
      EXPECT_EQ(w->type(), schema::TensorType_INT8);
      ASSERT_NE(w->quantization(), nullptr);
      EXPECT_EQ(w->quantization()->scale()->size(), 1u);
      EXPECT_EQ(w->quantization()->zero_point()->Get(0), 0);
      EXPECT_TRUE(fc->asymmetric_quantize_inputs());
    } else {  // 64*10 = 640 < 1024: TF leaves it float
      EXPECT_EQ(w->type(), schema::TensorType_FLOAT32);
      EXPECT_FALSE(fc->asymmetric_quantize_inputs());
    }
  }
  EXPECT_EQ(p.Version(schema::BuiltinOperator_FULLY_CONNECTED), 9);
}

TEST(QuantizationModesTest, Float16Mlp) {
  ConverterOptions o;
  o.quantization = QuantizationMode::kFloat16;
  Parsed p = Convert(MakeMlpGraph({784, 64, 10}, 6), o);
  ASSERT_NE(p.m, nullptr);
  // Two weights + two biases, each FLOAT16 -> DEQUANTIZE, then two FCs.
  int dequantize = 0, fc = 0;
  for (uint32_t i = 0; i < p.sg->operators()->size(); ++i) {
    if (p.Code(i) == schema::BuiltinOperator_DEQUANTIZE) {
      ++dequantize;
      EXPECT_EQ(p.In(i, 0)->type(), schema::TensorType_FLOAT16);
      EXPECT_EQ(p.Out(i)->type(), schema::TensorType_FLOAT32);
    } else {
      ++fc;
      EXPECT_EQ(p.In(i, 1)->type(), schema::TensorType_FLOAT32);  // the dequantized weights
    }
  }
  EXPECT_EQ(dequantize, 4);
  EXPECT_EQ(fc, 2);
  EXPECT_EQ(p.Version(schema::BuiltinOperator_DEQUANTIZE), 3);
  const std::string f32 = *ConvertToTFLite(MakeMlpGraph({784, 64, 10}, 6));
  EXPECT_LT(static_cast<double>(p.bytes.size()), 0.55 * static_cast<double>(f32.size()));
}

TEST(QuantizationModesTest, FullIntegerMlpFloatIo) {
  InferenceGraph g = MakeMlpGraph({784, 64, 64, 10}, 7, /*softmax=*/true);
  ConverterOptions o;
  o.quantization = QuantizationMode::kFullInteger;
  o.representative_dataset = RandomDataset({784}, 20, 8);
  Parsed p = Convert(g, o);
  ASSERT_NE(p.m, nullptr);
  const uint32_t n = p.sg->operators()->size();
  ASSERT_EQ(n, 6u);  // QUANTIZE, 3 x FC, SOFTMAX, DEQUANTIZE
  EXPECT_EQ(p.Code(0), schema::BuiltinOperator_QUANTIZE);
  EXPECT_EQ(p.Code(n - 1), schema::BuiltinOperator_DEQUANTIZE);
  EXPECT_EQ(p.In(0, 0)->type(), schema::TensorType_FLOAT32);
  EXPECT_EQ(p.In(0, 0)->name()->str(), "serving_default_image_floats:0");
  EXPECT_EQ(p.Out(n - 1)->type(), schema::TensorType_FLOAT32);
  EXPECT_EQ(p.Out(n - 1)->name()->str(), "StatefulPartitionedCall:0");
  for (uint32_t i = 1; i <= 3; ++i) {
    ASSERT_EQ(p.Code(i), schema::BuiltinOperator_FULLY_CONNECTED);
    const auto* x = p.In(i, 0);
    const auto* w = p.In(i, 1);
    const auto* b = p.In(i, 2);
    EXPECT_EQ(x->type(), schema::TensorType_INT8);
    EXPECT_EQ(w->type(), schema::TensorType_INT8);
    EXPECT_EQ(b->type(), schema::TensorType_INT32);
    EXPECT_EQ(p.Out(i)->type(), schema::TensorType_INT8);
    EXPECT_EQ(w->quantization()->zero_point()->Get(0), 0);
    EXPECT_EQ(b->quantization()->zero_point()->Get(0), 0);
    EXPECT_FLOAT_EQ(b->quantization()->scale()->Get(0),
                    x->quantization()->scale()->Get(0) * w->quantization()->scale()->Get(0));
    const auto* wb = p.m->buffers()->Get(w->buffer())->data();
    for (size_t k = 0; k < wb->size(); ++k) EXPECT_NE(static_cast<int8_t>(wb->Get(k)), -128);
  }
  const auto* sm = p.Out(4);
  EXPECT_FLOAT_EQ(sm->quantization()->scale()->Get(0), 1.0f / 256);
  EXPECT_EQ(sm->quantization()->zero_point()->Get(0), -128);
  EXPECT_EQ(p.Version(schema::BuiltinOperator_FULLY_CONNECTED), 4);
  const std::string f32 = *ConvertToTFLite(g);
  EXPECT_GE(static_cast<double>(f32.size()) / static_cast<double>(p.bytes.size()), 3.5)
      << f32.size() << " vs " << p.bytes.size();
}

TEST(QuantizationModesTest, FullIntegerInt8AndUInt8Io) {
  ConverterOptions o;
  o.quantization = QuantizationMode::kFullInteger;
  o.representative_dataset = RandomDataset({16}, 10, 9);
  o.inference_input_type = DType::kInt8;
  o.inference_output_type = DType::kInt8;
  Parsed p = Convert(MakeMlpGraph({16, 8, 4}, 9), o);
  ASSERT_NE(p.m, nullptr);
  ASSERT_EQ(p.sg->operators()->size(), 2u);  // no QUANTIZE/DEQUANTIZE
  EXPECT_EQ(p.T(p.sg->inputs()->Get(0))->type(), schema::TensorType_INT8);
  EXPECT_EQ(p.T(p.sg->outputs()->Get(0))->type(), schema::TensorType_INT8);
  EXPECT_EQ(p.T(p.sg->outputs()->Get(0))->name()->str(), "StatefulPartitionedCall:0");
  const int64_t in_zp = p.T(p.sg->inputs()->Get(0))->quantization()->zero_point()->Get(0);

  o.representative_dataset = RandomDataset({16}, 10, 9);
  o.inference_input_type = DType::kUInt8;
  o.inference_output_type = DType::kUInt8;
  Parsed u = Convert(MakeMlpGraph({16, 8, 4}, 9), o);
  ASSERT_NE(u.m, nullptr);
  ASSERT_EQ(u.sg->operators()->size(), 4u);
  const auto* in = u.T(u.sg->inputs()->Get(0));
  EXPECT_EQ(in->type(), schema::TensorType_UINT8);
  EXPECT_EQ(in->quantization()->zero_point()->Get(0), in_zp + 128);
  EXPECT_EQ(u.Code(0), schema::BuiltinOperator_QUANTIZE);
  EXPECT_EQ(u.Out(0)->type(), schema::TensorType_INT8);
  EXPECT_EQ(u.Code(3), schema::BuiltinOperator_QUANTIZE);
  EXPECT_EQ(u.T(u.sg->outputs()->Get(0))->type(), schema::TensorType_UINT8);
}

TEST(QuantizationModesTest, OptionErrorsAreNamed) {
  InferenceGraph g = MakeMlpGraph({4, 2}, 10);
  ConverterOptions full;
  full.quantization = QuantizationMode::kFullInteger;
  Status s = ConvertToTFLite(g, full).status();
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("representative_dataset"), std::string::npos);

  ConverterOptions io;
  io.inference_input_type = DType::kInt8;
  s = ConvertToTFLite(g, io).status();
  EXPECT_NE(s.message().find("inference_input_type int8 needs full-integer"), std::string::npos)
      << s.message();

  ConverterOptions io_type;
  io_type.quantization = QuantizationMode::kFullInteger;
  io_type.representative_dataset = RandomDataset({4}, 2, 1);
  io_type.inference_output_type = DType::kInt32;
  s = ConvertToTFLite(g, io_type).status();
  EXPECT_NE(s.message().find("inference_output_type int32 is not one of"), std::string::npos)
      << s.message();

  ConverterOptions stray;
  stray.quantization = QuantizationMode::kDynamicRange;
  stray.representative_dataset = RandomDataset({4}, 2, 1);
  s = ConvertToTFLite(g, stray).status();
  EXPECT_NE(s.message().find("representative_dataset given in mode dynamic_range"),
            std::string::npos)
      << s.message();
}

}  // namespace
}  // namespace edgepipe::lite
