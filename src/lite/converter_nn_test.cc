// Coverage of the nn adapter (InferenceGraphFromModel): for every nn layer
// type, a small seeded model converted in float and run in our interpreter
// agrees with nn's own Predict (|a - b| <= 1e-5 |b| + 1e-6); the ops written
// are the ones TF's converter writes (BN folded, RELU fused, Dropout gone);
// int8 keeps the float model's decisions; functional saved models go through
// the rewriter; unsupported layers are errors naming the layer.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "src/core/files.h"
#include "src/lite/calibration.h"
#include "src/lite/converter.h"
#include "src/lite/interpreter.h"
#include "src/lite/rewriter.h"
#include "src/lite/schema/schema_generated.h"
#include "src/nn/augmentation.h"
#include "src/nn/conv.h"
#include "src/nn/model.h"
#include "src/nn/normalization.h"
#include "src/nn/pooling.h"
#include "src/nn/reshaping.h"
#include "src/nn/saving.h"

namespace edgepipe::lite {
namespace {

using nn::Activation;

Tensor Random(Shape shape, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  Tensor t(DType::kFloat32, std::move(shape));
  for (int64_t i = 0; i < t.num_elements(); ++i) t.data<float>()[i] = dist(rng);
  return t;
}

Shape WithBatch(int64_t n, const Shape& s) {
  Shape out{n};
  out.insert(out.end(), s.begin(), s.end());
  return out;
}

Tensor Rows(const Tensor& t, int64_t begin, int64_t count) {
  Shape shape = t.shape();
  const size_t row_bytes = t.num_bytes() / static_cast<size_t>(shape[0]);
  shape[0] = count;
  Tensor out(t.dtype(), shape);
  std::memcpy(out.raw_data(), static_cast<const uint8_t*>(t.raw_data()) + begin * row_bytes,
              count * row_bytes);
  return out;
}

// Runs `bytes` in our interpreter on `xs` (in the model's input order, by
// signature name) and returns output 0. Multi-input models run one row per
// invocation at the declared batch of 1: Interpreter::ResizeInputBatch
// re-prepares after each input, so a CONCATENATION of two inputs sees
// mismatched batches half-way (an interpreter limitation, not the
// converter's).
StatusOr<Tensor> RunOurs(const std::string& bytes, const nn::Model& model,
                         const std::vector<Tensor>& xs) {
  ASSIGN_OR_RETURN(auto interp, Interpreter::FromBuffer(bytes, "converted.tflite"));
  ASSIGN_OR_RETURN(int out, interp->GetOutputIndex("serving_default", model.output_name()));
  const int64_t n = xs[0].dim(0);
  const int64_t step = xs.size() > 1 ? 1 : n;
  if (step > 1) RETURN_IF_ERROR(interp->ResizeInputBatch(step));
  Tensor result;
  for (int64_t r = 0; r < n; r += step) {
    for (size_t i = 0; i < xs.size(); ++i) {
      const std::string& name = model.tensor_input_name(model.input_tensors()[i]);
      ASSIGN_OR_RETURN(int index, interp->GetInputIndex("serving_default", name));
      RETURN_IF_ERROR(interp->SetInput(index, step == n ? xs[i] : Rows(xs[i], r, step)));
    }
    RETURN_IF_ERROR(interp->Invoke());
    ASSIGN_OR_RETURN(Tensor part, interp->CopyOutput(out));
    if (step == n) return part;
    if (r == 0) {
      Shape shape = part.shape();
      shape[0] = n;
      result = Tensor(part.dtype(), shape);
    }
    std::memcpy(static_cast<uint8_t*>(result.raw_data()) + r * part.num_bytes(), part.raw_data(),
                part.num_bytes());
  }
  return result;
}

void ExpectClose(const Tensor& ours, const Tensor& want, double rel = 1e-5, double abs = 1e-6) {
  ASSERT_EQ(ours.num_elements(), want.num_elements());
  ASSERT_EQ(ours.dtype(), DType::kFloat32);
  int bad = 0;
  for (int64_t i = 0; i < want.num_elements(); ++i) {
    const double a = ours.data<float>()[i], b = want.data<float>()[i];
    if (!(std::fabs(a - b) <= rel * std::fabs(b) + abs)) {
      if (++bad <= 5) ADD_FAILURE() << "element " << i << ": ours " << a << ", nn " << b;
    }
  }
  EXPECT_EQ(bad, 0);
}

// Converts `model` in float and checks our interpreter against Predict on
// random inputs (one per model input). Returns the bytes for op checks.
std::string ExpectMatchesPredict(nn::Model& model, int64_t n = 5, uint32_t seed = 11,
                                 float lo = -1.0f, float hi = 1.0f) {
  std::vector<Tensor> xs;
  std::vector<const Tensor*> ptrs;
  for (size_t i = 0; i < model.num_inputs(); ++i) {
    xs.push_back(Random(WithBatch(n, model.tensor_shape(model.input_tensors()[i])),
                        seed + static_cast<uint32_t>(i), lo, hi));
  }
  for (const Tensor& x : xs) ptrs.push_back(&x);
  StatusOr<std::string> bytes = ConvertModel(model);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  if (!bytes.ok()) return "";
  StatusOr<Tensor> want = model.Predict(ptrs);
  EXPECT_TRUE(want.ok()) << want.status().ToString();
  StatusOr<Tensor> ours = RunOurs(*bytes, model, xs);
  EXPECT_TRUE(ours.ok()) << ours.status().ToString();
  if (want.ok() && ours.ok()) {
    EXPECT_EQ(ours->shape(), want->shape());
    ExpectClose(*ours, *want);
  }
  return *bytes;
}

std::vector<schema::BuiltinOperator> OpCodes(const std::string& bytes) {
  const schema::Model* m = schema::GetModel(bytes.data());
  std::vector<schema::BuiltinOperator> out;
  for (const auto* op : *m->subgraphs()->Get(0)->operators()) {
    out.push_back(m->operator_codes()->Get(op->opcode_index())->builtin_code());
  }
  return out;
}

std::unique_ptr<nn::Sequential> Seq(Shape input, std::vector<std::unique_ptr<nn::Layer>> layers,
                                    uint64_t seed = 3) {
  auto m = std::make_unique<nn::Sequential>("seq");
  for (auto& l : layers) EXPECT_TRUE(m->Add(std::move(l)).ok());
  Status s = m->Build(std::move(input), seed);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return m;
}

template <typename... L>
std::vector<std::unique_ptr<nn::Layer>> Layers(std::unique_ptr<L>... layers) {
  std::vector<std::unique_ptr<nn::Layer>> v;
  (v.push_back(std::move(layers)), ...);
  return v;
}

std::unique_ptr<nn::Conv2D> Conv(nn::Conv2DOptions o) { return std::make_unique<nn::Conv2D>(o); }

// ---- Convolutions ---------------------------------------------------------

struct ConvCase {
  const char* label;
  nn::Conv2DOptions options;
  Shape input;
};

class NnAdapterConvTest : public ::testing::TestWithParam<ConvCase> {};

TEST_P(NnAdapterConvTest, MatchesPredict) {
  const ConvCase& c = GetParam();
  auto model = Seq(c.input, Layers(Conv(c.options)));
  model->layers()[0]->Weights();  // built
  // Non-zero bias so a dropped bias would show.
  const auto w = model->layers()[0]->Weights();
  if (w.size() > 1) {
    for (int64_t i = 0; i < NumElements(w[1].shape); ++i) w[1].data[i] = 0.1f * (i % 5) - 0.2f;
  }
  const std::string bytes = ExpectMatchesPredict(*model);
  ASSERT_FALSE(bytes.empty());
  const auto ops = OpCodes(bytes);
  ASSERT_GE(ops.size(), 1u);
  EXPECT_EQ(ops[0], schema::BuiltinOperator_CONV_2D);
}

INSTANTIATE_TEST_SUITE_P(
    Layers, NnAdapterConvTest,
    ::testing::Values(
        ConvCase{"valid", {.filters = 4, .kernel_size = {3, 3}}, {7, 6, 3}},
        ConvCase{"same", {.filters = 5, .kernel_size = {3, 2}, .padding = "same"}, {6, 7, 2}},
        ConvCase{"strides",
                 {.filters = 3, .kernel_size = {3, 3}, .strides = {2, 2}, .padding = "same"},
                 {9, 8, 2}},
        ConvCase{
            "strides_valid", {.filters = 3, .kernel_size = {2, 3}, .strides = {2, 1}}, {9, 8, 2}},
        ConvCase{
            "dilation", {.filters = 2, .kernel_size = {3, 3}, .dilation_rate = {2, 2}}, {9, 9, 3}},
        ConvCase{"dilation_same",
                 {.filters = 2, .kernel_size = {3, 3}, .padding = "same", .dilation_rate = {2, 1}},
                 {6, 6, 3}},
        ConvCase{"relu_no_bias",
                 {.filters = 4,
                  .kernel_size = {1, 1},
                  .activation = Activation::kRelu,
                  .use_bias = false},
                 {4, 4, 3}},
        ConvCase{"sigmoid",
                 {.filters = 4, .kernel_size = {3, 3}, .activation = Activation::kSigmoid},
                 {5, 5, 2}}),
    [](const auto& info) { return std::string(info.param.label); });

TEST(NnAdapterTest, ConvReluIsFusedOtherActivationsAreSeparateOps) {
  auto relu = Seq({5, 5, 2}, Layers(Conv({.filters = 3, .activation = Activation::kRelu6})));
  auto bytes = ConvertModel(*relu);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  ASSERT_EQ(OpCodes(*bytes), std::vector{schema::BuiltinOperator_CONV_2D});
  const schema::Model* m = schema::GetModel(bytes->data());
  EXPECT_EQ(m->subgraphs()
                ->Get(0)
                ->operators()
                ->Get(0)
                ->builtin_options_as_Conv2DOptions()
                ->fused_activation_function(),
            schema::ActivationFunctionType_RELU6);

  auto tanh = Seq({5, 5, 2}, Layers(Conv({.filters = 3, .activation = Activation::kTanh})));
  bytes = ConvertModel(*tanh);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(OpCodes(*bytes),
            (std::vector{schema::BuiltinOperator_CONV_2D, schema::BuiltinOperator_TANH}));
}

TEST(NnAdapterTest, DepthwiseConv2D) {
  for (const nn::DepthwiseConv2DOptions& o :
       {nn::DepthwiseConv2DOptions{.kernel_size = {3, 3}},
        nn::DepthwiseConv2DOptions{
            .kernel_size = {3, 3}, .strides = {2, 2}, .padding = "same", .depth_multiplier = 2},
        nn::DepthwiseConv2DOptions{.kernel_size = {2, 3},
        .dilation_rate = {2, 2},
        .activation = Activation::kRelu6,
        .use_bias = false},
        nn::DepthwiseConv2DOptions{
            .kernel_size = {3, 3}, .padding = "same", .activation = Activation::kHardSwish}}) {
    auto model = Seq({8, 7, 3}, Layers(std::make_unique<nn::DepthwiseConv2D>(o)));
    const std::string bytes = ExpectMatchesPredict(*model);
    ASSERT_FALSE(bytes.empty());
    EXPECT_EQ(OpCodes(bytes)[0], schema::BuiltinOperator_DEPTHWISE_CONV_2D);
  }
}

TEST(NnAdapterTest, DenseOnImageAndSequenceInputs) {
  // Dense over the last axis of (H, W, C) and (T, C) inputs.
  auto image = Seq({4, 3, 5}, Layers(std::make_unique<nn::Dense>(6, Activation::kRelu)));
  ExpectMatchesPredict(*image);
  auto seq = Seq({7, 5}, Layers(std::make_unique<nn::Dense>(4, Activation::kSigmoid)));
  ExpectMatchesPredict(*seq);
  auto deep = Seq({2, 3, 2, 4}, Layers(std::make_unique<nn::Dense>(3)));
  ExpectMatchesPredict(*deep);
}

// ---- BatchNormalization ---------------------------------------------------

// Trains `model` a few steps on random data so BN's moving statistics move.
void TrainFewSteps(nn::Model& model, int64_t classes) {
  const Shape in = model.tensor_shape(model.input_tensors()[0]);
  Tensor x = Random(WithBatch(64, in), 5, 0.0f, 2.0f);
  Tensor y(DType::kInt32, {64});
  for (int64_t i = 0; i < 64; ++i) y.data<int32_t>()[i] = static_cast<int32_t>(i % classes);
  ASSERT_TRUE(model.Compile({.optimizer = nn::Adam({.learning_rate = 0.01f})}).ok());
  nn::FitOptions fit;
  fit.batch_size = 16;
  fit.steps = 12;
  fit.seed = 2;
  fit.verbose = 0;
  auto h = model.Fit(x, y, fit);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
}

TEST(NnAdapterTest, BatchNormFoldedAfterTrainingUsesMovingStatistics) {
  auto model = Seq(
      {6, 6, 2},
      Layers(
          Conv({.filters = 4, .padding = "same"}), std::make_unique<nn::BatchNormalization>(),
          std::make_unique<nn::ReLU>(6.0f),
          std::make_unique<nn::DepthwiseConv2D>(nn::DepthwiseConv2DOptions{.kernel_size = {3, 3}}),
          std::make_unique<nn::BatchNormalization>(),
          std::make_unique<nn::GlobalAveragePooling2D>(), std::make_unique<nn::Dense>(3)));
  TrainFewSteps(*model, 3);
  // The statistics are non-trivial: otherwise folding could be a no-op.
  const auto bn = model->layers()[1]->Weights();
  ASSERT_EQ(bn[2].suffix, "moving_mean");
  float mean_abs = 0, var_dev = 0;
  for (int i = 0; i < 4; ++i) {
    mean_abs += std::fabs(bn[2].data[i]);
    var_dev += std::fabs(bn[3].data[i] - 1.0f);
  }
  EXPECT_GT(mean_abs, 1e-3f);
  EXPECT_GT(var_dev, 1e-3f);
  const std::string bytes = ExpectMatchesPredict(*model, 6, 13, 0.0f, 2.0f);
  EXPECT_EQ(OpCodes(bytes),
            (std::vector{schema::BuiltinOperator_CONV_2D, schema::BuiltinOperator_DEPTHWISE_CONV_2D,
                         schema::BuiltinOperator_MEAN, schema::BuiltinOperator_FULLY_CONNECTED}));
}

TEST(NnAdapterTest, BatchNormWithoutProducerBecomesMulAdd) {
  auto model =
      Seq({4, 4, 3}, Layers(std::make_unique<nn::BatchNormalization>(),
                            std::make_unique<nn::Flatten>(), std::make_unique<nn::Dense>(2)));
  TrainFewSteps(*model, 2);
  const std::string bytes = ExpectMatchesPredict(*model, 4, 17, 0.0f, 2.0f);
  EXPECT_EQ(OpCodes(bytes), (std::vector{schema::BuiltinOperator_MUL, schema::BuiltinOperator_ADD,
                                         schema::BuiltinOperator_RESHAPE,
                                         schema::BuiltinOperator_FULLY_CONNECTED}));
}

// ---- Pooling, shape layers, preprocessing ---------------------------------

TEST(NnAdapterTest, Pooling) {
  for (bool max : {true, false}) {
    for (const nn::Pooling2DOptions& o :
         {nn::Pooling2DOptions{}, nn::Pooling2DOptions{.pool_size = {3, 3}, .strides = {2, 2}},
          nn::Pooling2DOptions{.pool_size = {3, 2}, .strides = {2, 2}, .padding = "same"},
          nn::Pooling2DOptions{.pool_size = {2, 2}, .strides = {1, 1}, .padding = "same"}}) {
      std::unique_ptr<nn::Layer> pool;
      if (max) {
        pool = std::make_unique<nn::MaxPooling2D>(o);
      } else {
        pool = std::make_unique<nn::AveragePooling2D>(o);
      }
      std::vector<std::unique_ptr<nn::Layer>> layers;
      layers.push_back(std::move(pool));
      auto model = Seq({7, 8, 3}, std::move(layers));
      const std::string bytes = ExpectMatchesPredict(*model);
      ASSERT_FALSE(bytes.empty());
      EXPECT_EQ(OpCodes(bytes)[0], max ? schema::BuiltinOperator_MAX_POOL_2D
                                       : schema::BuiltinOperator_AVERAGE_POOL_2D);
    }
  }
}

TEST(NnAdapterTest, GlobalAveragePoolingFlattenReshape) {
  auto gap = Seq({5, 4, 3}, Layers(std::make_unique<nn::GlobalAveragePooling2D>()));
  std::string bytes = ExpectMatchesPredict(*gap);
  EXPECT_EQ(OpCodes(bytes), std::vector{schema::BuiltinOperator_MEAN});

  auto flat =
      Seq({3, 4, 2}, Layers(std::make_unique<nn::Flatten>(), std::make_unique<nn::Dense>(3)));
  bytes = ExpectMatchesPredict(*flat);
  EXPECT_EQ(OpCodes(bytes), (std::vector{schema::BuiltinOperator_RESHAPE,
                                         schema::BuiltinOperator_FULLY_CONNECTED}));

  auto reshape = Seq(
      {12},
      Layers(std::make_unique<nn::Reshape>(Shape{2, -1, 3}),
             std::make_unique<nn::Conv2D>(nn::Conv2DOptions{.filters = 2, .kernel_size = {1, 2}})));
  bytes = ExpectMatchesPredict(*reshape);
  EXPECT_EQ(OpCodes(bytes),
            (std::vector{schema::BuiltinOperator_RESHAPE, schema::BuiltinOperator_CONV_2D}));
}

TEST(NnAdapterTest, RescalingNormalizationZeroPadding) {
  auto rescale =
      Seq({4, 4, 2}, Layers(std::make_unique<nn::Rescaling>(1.0f / 255, -0.5f),
                            std::make_unique<nn::ZeroPadding2D>(std::array<int64_t, 4>{1, 2, 0, 3}),
                            Conv({.filters = 2})));
  std::string bytes = ExpectMatchesPredict(*rescale, 4, 3, 0.0f, 255.0f);
  EXPECT_EQ(OpCodes(bytes),
            (std::vector{schema::BuiltinOperator_MUL, schema::BuiltinOperator_ADD,
                         schema::BuiltinOperator_PAD, schema::BuiltinOperator_CONV_2D}));

  auto scale_only = Seq({6}, Layers(std::make_unique<nn::Rescaling>(0.25f)));
  bytes = ExpectMatchesPredict(*scale_only);
  EXPECT_EQ(OpCodes(bytes), std::vector{schema::BuiltinOperator_MUL});

  auto norm = Seq({3, 3, 3},
                  Layers(std::make_unique<nn::Normalization>(std::vector<float>{0.5f, -1.0f, 2.0f},
                                                             std::vector<float>{4.0f, 0.25f, 0.0f}),
                         std::make_unique<nn::Dense>(2)));
  bytes = ExpectMatchesPredict(*norm, 5, 21, -3.0f, 3.0f);
  EXPECT_EQ(OpCodes(bytes), (std::vector{schema::BuiltinOperator_SUB, schema::BuiltinOperator_MUL,
                                         schema::BuiltinOperator_CONV_2D}));
}

// ---- Activations ----------------------------------------------------------

TEST(NnAdapterTest, EveryActivationAsLayerAndAsDenseActivation) {
  const std::vector<std::pair<Activation, schema::BuiltinOperator>> cases = {
      {Activation::kRelu, schema::BuiltinOperator_RELU},
      {Activation::kRelu6, schema::BuiltinOperator_RELU6},
      {Activation::kSigmoid, schema::BuiltinOperator_LOGISTIC},
      {Activation::kTanh, schema::BuiltinOperator_TANH},
      {Activation::kSoftmax, schema::BuiltinOperator_SOFTMAX},
      {Activation::kHardSwish, schema::BuiltinOperator_HARD_SWISH}};
  for (const auto& [act, code] : cases) {
    SCOPED_TRACE(nn::ActivationName(act));
    // Standalone on the input: the op itself (inputs span [-5, 5] to reach
    // relu6's and hard_swish's saturation).
    auto alone = Seq({3, 4}, Layers(std::make_unique<nn::ActivationLayer>(act)));
    std::string bytes = ExpectMatchesPredict(*alone, 6, 7, -5.0f, 5.0f);
    EXPECT_EQ(OpCodes(bytes), std::vector{code});
    // As Dense's activation: fused for relu/relu6, a separate op otherwise.
    auto dense = Seq({5}, Layers(std::make_unique<nn::Dense>(4, act)));
    bytes = ExpectMatchesPredict(*dense, 6, 8, -5.0f, 5.0f);
    const bool fused = act == Activation::kRelu || act == Activation::kRelu6;
    const std::vector<schema::BuiltinOperator> expected =
        fused ? std::vector{schema::BuiltinOperator_FULLY_CONNECTED}
              : std::vector{schema::BuiltinOperator_FULLY_CONNECTED, code};
    EXPECT_EQ(OpCodes(bytes), expected);
  }
  auto relu6 = Seq({8}, Layers(std::make_unique<nn::ReLU>(6.0f)));
  EXPECT_EQ(OpCodes(ExpectMatchesPredict(*relu6, 4, 9, -10.0f, 10.0f)),
            std::vector{schema::BuiltinOperator_RELU6});
}

TEST(NnAdapterTest, DropoutAndLinearActivationAreDropped) {
  auto model = Seq({6}, Layers(std::make_unique<nn::Dense>(5), std::make_unique<nn::Dropout>(0.5f),
                               std::make_unique<nn::ActivationLayer>(Activation::kLinear),
                               std::make_unique<nn::Dense>(2)));
  const std::string bytes = ExpectMatchesPredict(*model);
  EXPECT_EQ(OpCodes(bytes), (std::vector{schema::BuiltinOperator_FULLY_CONNECTED,
                                         schema::BuiltinOperator_FULLY_CONNECTED}));
}

TEST(NnAdapterTest, RandomTranslationIsDropped) {
  auto model =
      Seq({6, 6, 1}, Layers(std::make_unique<nn::RandomTranslation>(0.1f, 0.1f),
                            Conv({.filters = 2, .kernel_size = {3, 3}}),
                            std::make_unique<nn::Flatten>(), std::make_unique<nn::Dense>(3)));
  const std::string bytes = ExpectMatchesPredict(*model);
  EXPECT_EQ(OpCodes(bytes),
            (std::vector{schema::BuiltinOperator_CONV_2D, schema::BuiltinOperator_RESHAPE,
                         schema::BuiltinOperator_FULLY_CONNECTED}));
}

// ---- Functional models ----------------------------------------------------

std::unique_ptr<nn::Model> ResidualModel() {
  auto m = std::make_unique<nn::Model>("residual");
  auto image = m->Input({6, 6, 3}, "image");
  EXPECT_TRUE(image.ok());
  auto x =
      m->Call(Conv({.filters = 4, .padding = "same", .activation = Activation::kRelu}), *image);
  auto y = m->Call(Conv({.filters = 4, .padding = "same"}), *x);
  auto bn = m->Call(std::make_unique<nn::BatchNormalization>(), *y);
  auto sum = m->Call(std::make_unique<nn::Add>(), std::vector{*x, *bn});
  auto act = m->Call(std::make_unique<nn::ReLU>(), *sum);
  auto gap = m->Call(std::make_unique<nn::GlobalAveragePooling2D>(), *act);
  auto out = m->Call(std::make_unique<nn::Dense>(3, Activation::kSoftmax), *gap);
  EXPECT_TRUE(out.ok());
  Status s = m->Build({*image}, {*out}, 4);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return m;
}

TEST(NnAdapterTest, ResidualAddBlock) {
  auto model = ResidualModel();
  TrainFewSteps(*model, 3);
  const std::string bytes = ExpectMatchesPredict(*model, 5, 23, 0.0f, 2.0f);
  // BN folded into the second conv; the ReLU after ADD fused into it.
  EXPECT_EQ(
      OpCodes(bytes),
      (std::vector{schema::BuiltinOperator_CONV_2D, schema::BuiltinOperator_CONV_2D,
                   schema::BuiltinOperator_ADD, schema::BuiltinOperator_MEAN,
                   schema::BuiltinOperator_FULLY_CONNECTED, schema::BuiltinOperator_SOFTMAX}));
}

TEST(NnAdapterTest, TwoInputConcatenateAndThreeInputAdd) {
  nn::Model m("two_inputs");
  auto a = m.Input({4, 4, 2}, "image");
  auto b = m.Input({4, 4, 3}, "mask");
  ASSERT_TRUE(a.ok() && b.ok());
  auto ca = m.Call(Conv({.filters = 3, .padding = "same"}), *a);
  auto cat = m.Call(std::make_unique<nn::Concatenate>(), std::vector{*ca, *b});
  auto c2 = m.Call(Conv({.filters = 3, .kernel_size = {1, 1}}), *cat);
  auto sum = m.Call(std::make_unique<nn::Add>(), std::vector{*ca, *b, *c2});
  auto flat = m.Call(std::make_unique<nn::Flatten>(), *sum);
  auto out = m.Call(std::make_unique<nn::Dense>(2), *flat);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_TRUE(m.Build({*a, *b}, {*out}, 9).ok());
  const std::string bytes = ExpectMatchesPredict(m);
  ASSERT_FALSE(bytes.empty());
  const auto ops = OpCodes(bytes);
  EXPECT_EQ(std::count(ops.begin(), ops.end(), schema::BuiltinOperator_CONCATENATION), 1);
  EXPECT_EQ(std::count(ops.begin(), ops.end(), schema::BuiltinOperator_ADD), 2);
  // TF's tensor names: inputs by signature name, the output by position.
  const schema::Model* fm = schema::GetModel(bytes.data());
  const auto* sg = fm->subgraphs()->Get(0);
  ASSERT_EQ(sg->inputs()->size(), 2u);
  EXPECT_EQ(sg->tensors()->Get(sg->inputs()->Get(0))->name()->str(), "serving_default_image:0");
  EXPECT_EQ(sg->tensors()->Get(sg->inputs()->Get(1))->name()->str(), "serving_default_mask:0");
  EXPECT_EQ(sg->tensors()->Get(sg->outputs()->Get(0))->name()->str(), "StatefulPartitionedCall:0");
}

// ---- Quantization ---------------------------------------------------------

TEST(NnAdapterTest, Int8CnnKeepsTheFloatModelsDecisions) {
  auto model =
      Seq({12, 12, 1},
          Layers(std::make_unique<nn::Rescaling>(1.0f / 255),
                 Conv({.filters = 8, .activation = Activation::kRelu}),
                 std::make_unique<nn::MaxPooling2D>(), Conv({.filters = 8, .padding = "same"}),
                 std::make_unique<nn::BatchNormalization>(), std::make_unique<nn::ReLU>(),
                 std::make_unique<nn::Flatten>(), std::make_unique<nn::Dense>(10)));
  const Shape in = {12, 12, 1};
  Tensor train = Random(WithBatch(128, in), 31, 0.0f, 255.0f);
  Tensor y(DType::kInt32, {128});
  // Labels the model can learn a little: the brightest quadrant-ish bucket.
  for (int64_t i = 0; i < 128; ++i) {
    float s = 0;
    for (int64_t j = 0; j < 72; ++j) s += train.data<float>()[i * 144 + j];
    y.data<int32_t>()[i] = static_cast<int32_t>(s / 72 / 25.6f);
  }
  ASSERT_TRUE(model->Compile({.optimizer = nn::Adam({.learning_rate = 0.005f})}).ok());
  nn::FitOptions fit;
  fit.batch_size = 16;
  fit.epochs = 3;
  fit.verbose = 0;
  ASSERT_TRUE(model->Fit(train, y, fit).ok());

  ConverterOptions o;
  o.quantization = QuantizationMode::kFullInteger;
  auto ds = RepresentativeDatasetFromTensor(train, 64);
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  o.representative_dataset = *ds;
  auto int8 = ConvertModel(*model, o);
  ASSERT_TRUE(int8.ok()) << int8.status().ToString();

  constexpr int64_t kN = 200;
  Tensor x = Random(WithBatch(kN, in), 77, 0.0f, 255.0f);
  auto want = model->Predict(x);
  ASSERT_TRUE(want.ok());
  auto ours = RunOurs(*int8, *model, {x});
  ASSERT_TRUE(ours.ok()) << ours.status().ToString();
  int agree = 0;
  for (int64_t i = 0; i < kN; ++i) {
    const float* a = ours->data<float>() + i * 10;
    const float* b = want->data<float>() + i * 10;
    agree += std::max_element(a, a + 10) - a == std::max_element(b, b + 10) - b;
  }
  EXPECT_GE(agree, kN * 95 / 100) << agree << " of " << kN;
}

// ---- Rewriter (saved functional models) -----------------------------------

TEST(NnAdapterTest, RewriterConvertsSavedFunctionalModel) {
  std::string dir =
      (std::filesystem::temp_directory_path() / "edgepipe-nn-adapter-XXXXXX").string();
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  auto model = ResidualModel();
  ASSERT_TRUE(nn::SaveModel(*model, JoinPath(dir, "saved")).ok());
  auto rewriter = rewriter_factory::CreateRewriter(RewriterType::kTFLiteRewriter, {.name = "r"});
  ASSERT_TRUE(rewriter.ok());
  Status s = converters::RewriteSavedModel(JoinPath(dir, "saved"), JoinPath(dir, "out"), **rewriter,
                                           ModelType::kTFLiteModel);
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto bytes = ReadFile(JoinPath(dir, "out/tflite"));
  ASSERT_TRUE(bytes.ok());
  Tensor x = Random({3, 6, 6, 3}, 41);
  auto want = model->Predict(x);
  auto ours = RunOurs(*bytes, *model, {x});
  ASSERT_TRUE(want.ok() && ours.ok());
  ExpectClose(*ours, *want);
  (void)RemoveAll(dir);
}

// ---- Errors ---------------------------------------------------------------

// A layer class the converter has no mapping for.
class Cube : public nn::Layer {
 public:
  Cube() : Layer("cube_1") {}
  std::string class_name() const override { return "Cube"; }
  std::string default_name_prefix() const override { return "cube"; }
  void Forward(float* out, std::span<const float* const> in, const nn::LayerContext& ctx) override {
    for (int64_t i = 0; i < ctx.batch * NumElements(input_shape()); ++i) {
      out[i] = in[0][i] * in[0][i] * in[0][i];
    }
  }
  void Backward(std::span<float* const>, float*, std::span<const float* const>, const float*,
                const nn::LayerContext&) override {}

 protected:
  StatusOr<Shape> ComputeOutputShape(const std::vector<Shape>& in) override { return in[0]; }
};

TEST(NnAdapterTest, UnsupportedLayerIsAnErrorNamingIt) {
  auto model = Seq({4}, Layers(std::make_unique<nn::Dense>(3), std::make_unique<Cube>()));
  auto graph = InferenceGraphFromModel(*model);
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.status().code(), Status::Code::kUnimplemented);
  EXPECT_NE(graph.status().message().find("layer 'cube_1' (Cube)"), std::string::npos)
      << graph.status().message();
}

TEST(NnAdapterTest, UnbuiltModelIsFailedPrecondition) {
  nn::Sequential model("m");
  ASSERT_TRUE(model.Add(std::make_unique<nn::Dense>(3)).ok());
  auto graph = InferenceGraphFromModel(model);
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.status().code(), Status::Code::kFailedPrecondition);
}

TEST(NnAdapterTest, ModelThatIsOnlyDropoutHasNothingToConvert) {
  auto model = Seq({4}, Layers(std::make_unique<nn::Dropout>(0.1f)));
  auto graph = InferenceGraphFromModel(*model);
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(graph.status().message().find("'seq'"), std::string::npos);
}

}  // namespace
}  // namespace edgepipe::lite
