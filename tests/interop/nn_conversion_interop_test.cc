// CNNs built and trained with nn, converted by our converter (float and
// full-integer int8), run in the real TFLite runtimes (LiteRT.js,
// tfjs-tflite, Arm NN) and in our interpreter:
//   - the Fashion-MNIST CNN: Conv 3x3x32 relu -> MaxPool 2 -> Conv 3x3x64
//     relu -> MaxPool 2 -> Flatten -> Dense 10;
//   - a MobileNet-style block: Conv -> BN -> ReLU6 -> DepthwiseConv -> BN ->
//     ReLU6 -> Conv 1x1 -> BN -> ReLU6 -> GAP -> Dense (BN folded, ReLU6
//     fused).
// Rules: float outputs |a - b| <= 1e-5 |b| + 1e-5 against nn's Predict and
// between runtimes; int8 with float I/O: dequantized outputs within one
// output quantization step (1.01 * scale); int8 I/O: raw int8 outputs of
// tfjs-tflite and Arm NN within 1 of ours. Inputs are synthetic and seeded
// (the architecture is what matters here, not the data).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "src/core/files.h"
#include "src/lite/calibration.h"
#include "src/lite/converter.h"
#include "src/lite/interpreter.h"
#include "src/lite/schema/schema_generated.h"
#include "src/nn/conv.h"
#include "src/nn/model.h"
#include "src/nn/normalization.h"
#include "src/nn/pooling.h"
#include "src/nn/reshaping.h"
#include "tests/support/tflite_runtimes.h"

namespace edgepipe::testing {
namespace {

using nn::Activation;

constexpr int64_t kCompare = 6;  // examples run through every runtime

Tensor Random(Shape shape, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(0.0f, 1.0f);
  Tensor t(DType::kFloat32, std::move(shape));
  for (int64_t i = 0; i < t.num_elements(); ++i) t.data<float>()[i] = dist(rng);
  return t;
}

std::vector<float> Values(const Tensor& t) {
  std::vector<float> v(static_cast<size_t>(t.num_elements()));
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    v[static_cast<size_t>(i)] =
        t.dtype() == DType::kInt8 ? static_cast<float>(t.data<int8_t>()[i]) : t.data<float>()[i];
  }
  return v;
}

struct Quant {
  float scale = 0;
  int64_t zero_point = 0;
};

const lite::schema::QuantizationParameters* QuantOf(const lite::schema::SubGraph* sg, int t) {
  return sg->tensors()->Get(static_cast<uint32_t>(t))->quantization();
}

// Input and output quantization of an int8 model: the model's own I/O
// tensors (int8 I/O), or the QUANTIZE output / DEQUANTIZE input next to them
// (float I/O).
void ReadIoQuant(const std::string& bytes, Quant* in, Quant* out) {
  const auto* m = lite::schema::GetModel(bytes.data());
  const auto* sg = m->subgraphs()->Get(0);
  int in_t = sg->inputs()->Get(0), out_t = sg->outputs()->Get(0);
  for (const auto* op : *sg->operators()) {
    const auto code = m->operator_codes()->Get(op->opcode_index())->builtin_code();
    if (code == lite::schema::BuiltinOperator_QUANTIZE && op->inputs()->Get(0) == in_t) {
      in_t = op->outputs()->Get(0);
    }
  }
  for (const auto* op : *sg->operators()) {
    const auto code = m->operator_codes()->Get(op->opcode_index())->builtin_code();
    if (code == lite::schema::BuiltinOperator_DEQUANTIZE && op->outputs()->Get(0) == out_t) {
      out_t = op->inputs()->Get(0);
    }
  }
  const auto* qi = QuantOf(sg, in_t);
  const auto* qo = QuantOf(sg, out_t);
  ASSERT_TRUE(qi != nullptr && qi->scale() != nullptr && qo != nullptr && qo->scale() != nullptr);
  *in = {qi->scale()->Get(0), qi->zero_point()->Get(0)};
  *out = {qo->scale()->Get(0), qo->zero_point()->Get(0)};
}

void ExpectFloatClose(const std::vector<float>& a, const std::vector<float>& b,
                      const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  int failures = 0;
  double max_diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double diff = std::abs(static_cast<double>(a[i]) - b[i]);
    max_diff = std::max(max_diff, diff);
    if (diff > 1e-5 * std::abs(b[i]) + 1e-5 && ++failures <= 5) {
      ADD_FAILURE() << what << ": value " << i << ": " << a[i] << " vs " << b[i];
    }
  }
  std::printf("%s: max |diff| %.3g over %zu values\n", what.c_str(), max_diff, a.size());
}

void ExpectWithin(const std::vector<float>& a, const std::vector<float>& b, double tolerance,
                  const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  int failures = 0, differ = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) ++differ;
    if (std::abs(static_cast<double>(a[i]) - b[i]) > tolerance && ++failures <= 5) {
      ADD_FAILURE() << what << ": value " << i << ": " << a[i] << " vs " << b[i];
    }
  }
  std::printf("%s: %d of %zu values differ (tolerance %.3g)\n", what.c_str(), differ, a.size(),
              tolerance);
}

std::unique_ptr<nn::Sequential> FashionCnn() {
  auto m = std::make_unique<nn::Sequential>("fashion_cnn");
  EXPECT_TRUE(m->Add(std::make_unique<nn::Conv2D>(nn::Conv2DOptions{
                         .filters = 32, .kernel_size = {3, 3}, .activation = Activation::kRelu}))
                  .ok());
  EXPECT_TRUE(m->Add(std::make_unique<nn::MaxPooling2D>()).ok());
  EXPECT_TRUE(m->Add(std::make_unique<nn::Conv2D>(nn::Conv2DOptions{
                         .filters = 64, .kernel_size = {3, 3}, .activation = Activation::kRelu}))
                  .ok());
  EXPECT_TRUE(m->Add(std::make_unique<nn::MaxPooling2D>()).ok());
  EXPECT_TRUE(m->Add(std::make_unique<nn::Flatten>()).ok());
  EXPECT_TRUE(m->Add(std::make_unique<nn::Dense>(10)).ok());
  m->set_input_name("image");
  EXPECT_TRUE(m->Build(Shape{28, 28, 1}, 42).ok());
  return m;
}

std::unique_ptr<nn::Sequential> MobileNetStyle() {
  auto m = std::make_unique<nn::Sequential>("mobilenet_style");
  auto add = [&](std::unique_ptr<nn::Layer> l) { EXPECT_TRUE(m->Add(std::move(l)).ok()); };
  add(std::make_unique<nn::Conv2D>(nn::Conv2DOptions{.filters = 16,
                                                     .kernel_size = {3, 3},
                                                     .strides = {2, 2},
                                                     .padding = "same",
                                                     .use_bias = false}));
  add(std::make_unique<nn::BatchNormalization>());
  add(std::make_unique<nn::ReLU>(6.0f));
  add(std::make_unique<nn::DepthwiseConv2D>(
      nn::DepthwiseConv2DOptions{.kernel_size = {3, 3}, .padding = "same", .use_bias = false}));
  add(std::make_unique<nn::BatchNormalization>());
  add(std::make_unique<nn::ReLU>(6.0f));
  add(std::make_unique<nn::Conv2D>(
      nn::Conv2DOptions{.filters = 32, .kernel_size = {1, 1}, .use_bias = false}));
  add(std::make_unique<nn::BatchNormalization>());
  add(std::make_unique<nn::ReLU>(6.0f));
  add(std::make_unique<nn::GlobalAveragePooling2D>());
  add(std::make_unique<nn::Dense>(10));
  m->set_input_name("image");
  EXPECT_TRUE(m->Build(Shape{32, 32, 3}, 7).ok());
  return m;
}

// A few optimizer steps on seeded data: weights away from their init and
// BN moving statistics non-trivial.
void Train(nn::Model& model, const Tensor& x) {
  Tensor y(DType::kInt32, {x.dim(0)});
  for (int64_t i = 0; i < x.dim(0); ++i) y.data<int32_t>()[i] = static_cast<int32_t>(i % 10);
  ASSERT_TRUE(model.Compile({.optimizer = nn::Adam({.learning_rate = 0.002f})}).ok());
  nn::FitOptions fit;
  fit.batch_size = 32;
  fit.steps = 15;
  fit.seed = 3;
  fit.verbose = 0;
  auto h = model.Fit(x, y, fit);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
}

class NnConversionInteropTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "edgepipe-nn-conv-interop-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    model_ = std::string(GetParam()) == "fashion_cnn" ? FashionCnn() : MobileNetStyle();
    const Shape in = model_->tensor_shape(model_->input_tensors()[0]);
    Shape train_shape{256};
    train_shape.insert(train_shape.end(), in.begin(), in.end());
    train_ = Random(train_shape, 5);
    Train(*model_, train_);
    Shape compare_shape = train_shape;
    compare_shape[0] = kCompare;
    x_ = Random(compare_shape, 99);
  }
  void TearDown() override { (void)RemoveAll(dir_); }

  std::string Write(const std::string& name, const lite::ConverterOptions& options,
                    std::string* bytes_out) {
    auto bytes = lite::ConvertModel(*model_, options);
    EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
    if (!bytes.ok()) return "";
    const std::string path = JoinPath(dir_, name + ".tflite");
    EXPECT_TRUE(WriteFileAtomic(path, *bytes).ok());
    *bytes_out = *bytes;
    return path;
  }

  lite::ConverterOptions Int8(DType io) {
    lite::ConverterOptions o;
    o.quantization = lite::QuantizationMode::kFullInteger;
    o.representative_dataset = *lite::RepresentativeDatasetFromTensor(train_, 64);
    o.inference_input_type = io;
    o.inference_output_type = io;
    return o;
  }

  static std::vector<float> Ours(const std::string& path, const Tensor& x) {
    auto interp = lite::Interpreter::FromFile(path);
    EXPECT_TRUE(interp.ok()) << interp.status().ToString();
    if (!interp.ok()) return {};
    auto out = (*interp)->Run(x);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return out.ok() ? Values(*out) : std::vector<float>{};
  }

  std::string dir_;
  std::unique_ptr<nn::Sequential> model_;
  Tensor train_, x_;
};

TEST_P(NnConversionInteropTest, FloatAgreesWithPredictAndEveryRuntime) {
  std::string bytes;
  const std::string path = Write("float", {}, &bytes);
  ASSERT_FALSE(path.empty());
  // TF's tensor names (the harnesses report signature names instead).
  const auto* sg = lite::schema::GetModel(bytes.data())->subgraphs()->Get(0);
  EXPECT_EQ(sg->tensors()->Get(sg->inputs()->Get(0))->name()->str(), "serving_default_image:0");
  EXPECT_EQ(sg->tensors()->Get(sg->outputs()->Get(0))->name()->str(), "StatefulPartitionedCall:0");
  auto predict = model_->Predict(x_);
  ASSERT_TRUE(predict.ok());
  const std::vector<float> want = Values(*predict);
  ExpectFloatClose(Ours(path, x_), want, std::string(GetParam()) + " float: ours vs nn");
  for (TfliteRuntime rt :
       {TfliteRuntime::kLiteRtJs, TfliteRuntime::kTfjsTflite, TfliteRuntime::kArmNN}) {
    auto theirs = RunInTfliteRuntime(rt, path, {x_});
    ASSERT_TRUE(theirs.ok()) << theirs.status().ToString();
    ASSERT_EQ(theirs->size(), 1u);
    ExpectFloatClose((*theirs)[0].values, want,
                     std::string(GetParam()) + " float: " + TfliteRuntimeName(rt) + " vs nn");
  }
}

TEST_P(NnConversionInteropTest, Int8FloatIoWithinOneStepInEveryRuntime) {
  std::string bytes;
  const std::string path = Write("int8_float_io", Int8(DType::kFloat32), &bytes);
  ASSERT_FALSE(path.empty());
  Quant in, out;
  ReadIoQuant(bytes, &in, &out);
  const std::vector<float> ours = Ours(path, x_);
  ASSERT_FALSE(ours.empty());
  for (TfliteRuntime rt :
       {TfliteRuntime::kLiteRtJs, TfliteRuntime::kTfjsTflite, TfliteRuntime::kArmNN}) {
    auto theirs = RunInTfliteRuntime(rt, path, {x_});
    ASSERT_TRUE(theirs.ok()) << theirs.status().ToString();
    ExpectWithin(ours, (*theirs)[0].values, 1.01 * out.scale,
                 std::string(GetParam()) + " int8 float I/O: ours vs " + TfliteRuntimeName(rt));
  }
  // And the quantized model still makes the float model's decisions on
  // most examples (a sanity bound, not the interop rule).
  auto predict = model_->Predict(x_);
  ASSERT_TRUE(predict.ok());
  double max_dev = 0;
  for (size_t i = 0; i < ours.size(); ++i) {
    max_dev = std::max(max_dev, std::abs(static_cast<double>(ours[i]) - predict->data<float>()[i]));
  }
  std::printf("%s int8 vs float model: max |diff| %.3g (output scale %.3g)\n", GetParam(), max_dev,
              out.scale);
}

TEST_P(NnConversionInteropTest, Int8IoAgreesWithTfjsTfliteAndArmNN) {
  std::string bytes;
  const std::string path = Write("int8", Int8(DType::kInt8), &bytes);
  ASSERT_FALSE(path.empty());
  Quant in, out;
  ReadIoQuant(bytes, &in, &out);
  Tensor q(DType::kInt8, x_.shape());
  for (int64_t i = 0; i < q.num_elements(); ++i) {
    const double v = std::round(x_.data<float>()[i] / in.scale) + in.zero_point;
    q.data<int8_t>()[i] = static_cast<int8_t>(std::clamp(v, -128.0, 127.0));
  }
  const std::vector<float> ours = Ours(path, q);
  ASSERT_FALSE(ours.empty());
  for (TfliteRuntime rt : {TfliteRuntime::kTfjsTflite, TfliteRuntime::kArmNN}) {
    auto theirs = RunInTfliteRuntime(rt, path, {q});
    ASSERT_TRUE(theirs.ok()) << theirs.status().ToString();
    EXPECT_EQ((*theirs)[0].dtype, "int8");
    ExpectWithin(ours, (*theirs)[0].values, 1.0,
                 std::string(GetParam()) + " int8 I/O: ours vs " + TfliteRuntimeName(rt));
  }
}

INSTANTIATE_TEST_SUITE_P(Models, NnConversionInteropTest,
                         ::testing::Values("fashion_cnn", "mobilenet_style"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace edgepipe::testing
