// edgepipe's ONNX export run by a native runtime: each model is trained a few
// steps, saved (TF.js layers format), exported from the saved folder with
// onnx::ExportSavedModelToOnnx (what `edgepipe onnx export` runs), and run by
// onnxruntime-node on seeded inputs. Its outputs must be within 1e-5
// relative of nn::Model::Predict and of our interpreter on the converted
// .tflite (plus 1e-6 absolute, for values near zero where float summation
// order alone decides the last bits).
//
// Models: the TFX MNIST Dense model, the Fashion-MNIST CNN, the penguin
// model (four scalar inputs, Concatenate, Normalization: multi-input
// functional), and a MobileNet-style block that covers the remaining layers
// (Rescaling, ZeroPadding2D, BatchNormalization, DepthwiseConv2D, ReLU(6),
// hard_swish, tanh, sigmoid, average and max pooling, Add,
// GlobalAveragePooling2D, Reshape).
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
#include "src/lite/converter.h"
#include "src/lite/interpreter.h"
#include "src/nn/conv.h"
#include "src/nn/dense.h"
#include "src/nn/model.h"
#include "src/nn/normalization.h"
#include "src/nn/pooling.h"
#include "src/nn/relu.h"
#include "src/nn/reshaping.h"
#include "src/nn/saving.h"
#include "src/onnx/onnx_export.h"
#include "tests/support/tflite_runtimes.h"

namespace edgepipe::testing {
namespace {

using nn::Activation;

constexpr int64_t kCompare = 8;  // examples compared

// Uniform in [lo, hi) per input column `scale` (penguin features differ in
// magnitude by 100x).
Tensor Random(Shape shape, uint32_t seed, float lo = 0.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  Tensor t(DType::kFloat32, std::move(shape));
  for (int64_t i = 0; i < t.num_elements(); ++i) t.data<float>()[i] = dist(rng);
  return t;
}

std::vector<float> Values(const Tensor& t) {
  return std::vector<float>(t.data<float>(), t.data<float>() + t.num_elements());
}

void ExpectClose(const std::vector<float>& a, const std::vector<float>& b,
                 const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  int failures = 0;
  double max_rel = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double diff = std::abs(static_cast<double>(a[i]) - b[i]);
    if (std::abs(b[i]) > 1e-3) max_rel = std::max(max_rel, diff / std::abs(b[i]));
    if (!(diff <= 1e-5 * std::abs(b[i]) + 1e-6) && ++failures <= 5) {
      ADD_FAILURE() << what << ": value " << i << ": " << a[i] << " vs " << b[i];
    }
  }
  std::printf("%s: max relative diff %.3g over %zu values\n", what.c_str(), max_rel, a.size());
}

struct TestModel {
  std::unique_ptr<nn::Model> model;
  std::vector<Tensor> inputs;  // kCompare examples per input
  std::vector<Tensor> train;   // 128 examples per input
  int64_t classes = 10;
};

#define CALL(var, layer, ...)                                 \
  auto var##_or = model->Call(layer, __VA_ARGS__);            \
  EXPECT_TRUE(var##_or.ok()) << var##_or.status().ToString(); \
  if (!var##_or.ok()) return {};                              \
  nn::SymbolicTensor var = *var##_or

TestModel MnistDense() {
  auto m = std::make_unique<nn::Sequential>("mnist");
  EXPECT_TRUE(m->Add(std::make_unique<nn::Dense>(
                         nn::DenseOptions{.units = 64, .activation = Activation::kRelu}))
                  .ok());
  EXPECT_TRUE(m->Add(std::make_unique<nn::Dropout>(0.2f)).ok());
  EXPECT_TRUE(m->Add(std::make_unique<nn::Dense>(
                         nn::DenseOptions{.units = 64, .activation = Activation::kRelu}))
                  .ok());
  EXPECT_TRUE(m->Add(std::make_unique<nn::Dense>(10)).ok());
  m->set_input_name("image_floats");
  EXPECT_TRUE(m->Build(Shape{784}, 42).ok());
  TestModel t{.model = std::move(m)};
  t.train = {Random({128, 784}, 5)};
  t.inputs = {Random({kCompare, 784}, 99)};
  return t;
}

TestModel FashionCnn() {
  auto m = std::make_unique<nn::Sequential>("fashion_cnn");
  EXPECT_TRUE(m->Add(std::make_unique<nn::Conv2D>(nn::Conv2DOptions{
                         .filters = 16, .kernel_size = {3, 3}, .activation = Activation::kRelu}))
                  .ok());
  EXPECT_TRUE(m->Add(std::make_unique<nn::MaxPooling2D>()).ok());
  EXPECT_TRUE(m->Add(std::make_unique<nn::Conv2D>(nn::Conv2DOptions{
                         .filters = 32, .kernel_size = {3, 3}, .activation = Activation::kRelu}))
                  .ok());
  EXPECT_TRUE(m->Add(std::make_unique<nn::MaxPooling2D>()).ok());
  EXPECT_TRUE(m->Add(std::make_unique<nn::Flatten>()).ok());
  EXPECT_TRUE(m->Add(std::make_unique<nn::Dense>(
                         nn::DenseOptions{.units = 10, .activation = Activation::kSoftmax}))
                  .ok());
  m->set_input_name("image");
  EXPECT_TRUE(m->Build(Shape{28, 28, 1}, 42).ok());
  TestModel t{.model = std::move(m)};
  t.train = {Random({128, 28, 28, 1}, 5)};
  t.inputs = {Random({kCompare, 28, 28, 1}, 99)};
  return t;
}

// TFX's penguin model: four scalar features, each its own input.
TestModel Penguin() {
  auto model = std::make_unique<nn::Model>("penguin");
  const char* names[] = {"culmen_length_mm", "culmen_depth_mm", "flipper_length_mm", "body_mass_g"};
  const float lo[] = {32, 13, 172, 2700}, hi[] = {60, 22, 231, 6300};
  std::vector<nn::SymbolicTensor> ins;
  TestModel t;
  for (int i = 0; i < 4; ++i) {
    auto in = model->Input({1}, names[i]);
    EXPECT_TRUE(in.ok());
    if (!in.ok()) return {};
    ins.push_back(*in);
    t.train.push_back(Random({128, 1}, 10 + i, lo[i], hi[i]));
    t.inputs.push_back(Random({kCompare, 1}, 20 + i, lo[i], hi[i]));
  }
  CALL(concat, std::make_unique<nn::Concatenate>(), ins);
  CALL(norm,
       std::make_unique<nn::Normalization>(std::vector<float>{44, 17, 200, 4200},
                                           std::vector<float>{30, 4, 200, 640000}),
       concat);
  CALL(d1,
       std::make_unique<nn::Dense>(nn::DenseOptions{.units = 8, .activation = Activation::kRelu}),
       norm);
  CALL(d2,
       std::make_unique<nn::Dense>(nn::DenseOptions{.units = 8, .activation = Activation::kRelu}),
       d1);
  CALL(logits, std::make_unique<nn::Dense>(3), d2);
  EXPECT_TRUE(model->Build(ins, {logits}, 7).ok());
  t.model = std::move(model);
  t.classes = 3;
  return t;
}

// Every other layer the exporter maps, in one functional graph.
TestModel MobileNetBlock() {
  auto model = std::make_unique<nn::Model>("mobilenet_block");
  auto image_or = model->Input({12, 12, 3}, "image");
  EXPECT_TRUE(image_or.ok());
  if (!image_or.ok()) return {};
  CALL(scaled, std::make_unique<nn::Rescaling>(2.0f, -1.0f), *image_or);
  CALL(padded, std::make_unique<nn::ZeroPadding2D>(std::array<int64_t, 4>{1, 0, 1, 2}), scaled);
  CALL(conv,
       std::make_unique<nn::Conv2D>(nn::Conv2DOptions{.filters = 8,
                                                      .kernel_size = {3, 3},
                                                      .strides = {2, 2},
                                                      .padding = "same",
                                                      .use_bias = false}),
       padded);
  CALL(bn1, std::make_unique<nn::BatchNormalization>(), conv);
  CALL(relu6, std::make_unique<nn::ReLU>(6.0f), bn1);
  CALL(dw,
       std::make_unique<nn::DepthwiseConv2D>(nn::DepthwiseConv2DOptions{
           .kernel_size = {3, 3}, .padding = "same", .depth_multiplier = 2}),
       relu6);
  CALL(bn2, std::make_unique<nn::BatchNormalization>(), dw);
  CALL(hs, std::make_unique<nn::ActivationLayer>(Activation::kHardSwish), bn2);
  CALL(avg,
       std::make_unique<nn::AveragePooling2D>(
           nn::Pooling2DOptions{.pool_size = {3, 3}, .strides = {2, 2}, .padding = "same"}),
       hs);
  CALL(max,
       std::make_unique<nn::MaxPooling2D>(
           nn::Pooling2DOptions{.pool_size = {3, 3}, .strides = {2, 2}, .padding = "same"}),
       hs);
  CALL(sum, std::make_unique<nn::Add>(), std::vector<nn::SymbolicTensor>{avg, max});
  CALL(tanh,
       std::make_unique<nn::Conv2D>(
           nn::Conv2DOptions{.filters = 6, .kernel_size = {1, 1}, .activation = Activation::kTanh}),
       sum);
  CALL(sig, std::make_unique<nn::ActivationLayer>(Activation::kSigmoid), sum);
  CALL(cat, std::make_unique<nn::Concatenate>(), std::vector<nn::SymbolicTensor>{tanh, sig});
  CALL(gap, std::make_unique<nn::GlobalAveragePooling2D>(), cat);
  CALL(reshaped, std::make_unique<nn::Reshape>(Shape{2, 11}), gap);
  CALL(flat, std::make_unique<nn::Flatten>(), reshaped);
  CALL(logits, std::make_unique<nn::Dense>(5), flat);
  EXPECT_TRUE(model->Build({*image_or}, {logits}, 3).ok());
  TestModel t{.model = std::move(model)};
  t.train = {Random({128, 12, 12, 3}, 5)};
  t.inputs = {Random({kCompare, 12, 12, 3}, 99)};
  t.classes = 5;
  return t;
}

// A few optimizer steps: weights away from their init, BN statistics moved.
void Train(TestModel& t) {
  const int64_t n = t.train[0].dim(0);
  Tensor y(DType::kInt32, {n});
  for (int64_t i = 0; i < n; ++i) y.data<int32_t>()[i] = static_cast<int32_t>(i % t.classes);
  ASSERT_TRUE(t.model->Compile({.optimizer = nn::Adam({.learning_rate = 0.002f})}).ok());
  nn::FitOptions fit;
  fit.batch_size = 32;
  fit.steps = 12;
  fit.seed = 3;
  fit.verbose = 0;
  std::vector<const Tensor*> xs;
  for (const Tensor& x : t.train) xs.push_back(&x);
  auto h = t.model->Fit(xs, y, fit);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
}

class OnnxInteropTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "edgepipe-onnx-interop-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    const std::string name = GetParam();
    t_ = name == "mnist_dense"   ? MnistDense()
         : name == "fashion_cnn" ? FashionCnn()
         : name == "penguin"     ? Penguin()
                                 : MobileNetBlock();
    ASSERT_NE(t_.model, nullptr);
    Train(t_);
  }
  void TearDown() override { (void)RemoveAll(dir_); }

  std::string dir_;
  TestModel t_;
};

TEST_P(OnnxInteropTest, OnnxRuntimeAgreesWithPredictAndOurInterpreter) {
  // Export from the saved folder, as `edgepipe onnx export` does.
  const std::string saved = JoinPath(dir_, "saved");
  ASSERT_TRUE(nn::SaveModel(*t_.model, saved).ok());
  const std::string onnx_path = JoinPath(dir_, "model.onnx");
  auto written = onnx::ExportSavedModelToOnnx(saved, onnx_path);
  ASSERT_TRUE(written.ok()) << written.status().ToString();

  std::vector<const Tensor*> xs;
  for (const Tensor& x : t_.inputs) xs.push_back(&x);
  auto predicted = t_.model->Predict(xs);
  ASSERT_TRUE(predicted.ok()) << predicted.status().ToString();

  auto ort = RunInOnnxRuntime(onnx_path, t_.inputs);
  ASSERT_TRUE(ort.ok()) << ort.status().ToString();
  ASSERT_EQ(ort->size(), 1u);
  EXPECT_EQ((*ort)[0].name, "output_0");
  EXPECT_EQ((*ort)[0].shape, predicted->shape());
  ExpectClose((*ort)[0].values, Values(*predicted),
              std::string(GetParam()) + ": onnxruntime vs Predict");

  auto tflite = lite::ConvertModel(*t_.model);
  ASSERT_TRUE(tflite.ok()) << tflite.status().ToString();
  auto interp = lite::Interpreter::FromBuffer(*tflite, GetParam());
  ASSERT_TRUE(interp.ok()) << interp.status().ToString();
  ASSERT_TRUE((*interp)->ResizeInputBatch(kCompare).ok());
  for (size_t i = 0; i < t_.inputs.size(); ++i) {
    const std::string& name = t_.model->tensor_input_name(t_.model->input_tensors()[i]);
    auto index = (*interp)->GetInputIndex("serving_default", name);
    ASSERT_TRUE(index.ok()) << index.status().ToString();
    ASSERT_TRUE((*interp)->SetInput(*index, t_.inputs[i]).ok());
  }
  ASSERT_TRUE((*interp)->Invoke().ok());
  auto ours = (*interp)->CopyOutput(0);
  ASSERT_TRUE(ours.ok()) << ours.status().ToString();
  ExpectClose((*ort)[0].values, Values(*ours),
              std::string(GetParam()) + ": onnxruntime vs our interpreter");
}

INSTANTIATE_TEST_SUITE_P(Models, OnnxInteropTest,
                         ::testing::Values("mnist_dense", "fashion_cnn", "penguin",
                                           "mobilenet_block"));

}  // namespace
}  // namespace edgepipe::testing
