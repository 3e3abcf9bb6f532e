// The rewriter API and the nn-facing converter: option errors, a saved nn
// model rewritten into a .tflite that our interpreter runs to nn's Predict.
#include "src/lite/rewriter.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <random>

#include "src/core/files.h"
#include "src/lite/converter.h"
#include "src/lite/interpreter.h"
#include "src/lite/schema/schema_generated.h"
#include "src/lite/test_models.h"
#include "src/nn/model.h"
#include "src/nn/saving.h"

namespace edgepipe::lite {
namespace {

Status CreateStatus(TFLiteRewriterOptions o) {
  return rewriter_factory::CreateRewriter(RewriterType::kTFLiteRewriter, std::move(o)).status();
}

TEST(RewriterOptionsTest, DefaultsAreAccepted) {
  auto r =
      rewriter_factory::CreateRewriter(RewriterType::kTFLiteRewriter, {.name = "tflite_rewriter"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->name(), "tflite_rewriter");
}

TEST(RewriterOptionsTest, QuantizationIsUnimplementedAndNamed) {
  Status s = CreateStatus({.name = "r", .quantization_optimizations = {Optimize::kDefault}});
  EXPECT_EQ(s.code(), Status::Code::kUnimplemented);
  EXPECT_EQ(s.message().rfind("TFLiteRewriter option 'quantization_optimizations': [DEFAULT]", 0),
            0u)
      << s.message();
}

TEST(RewriterOptionsTest, FullIntegerWithoutDatasetIsContradictory) {
  Status s = CreateStatus({.name = "r",
                           .quantization_optimizations = {Optimize::kDefault},
                           .quantization_enable_full_integer = true});
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "TFLiteRewriter option 'quantization_enable_full_integer': full-integer quantization "
            "needs a representative_dataset");
}

TEST(RewriterOptionsTest, OptionsThatWouldBeIgnoredAreErrors) {
  Status types = CreateStatus({.name = "r", .quantization_supported_types = {DType::kFloat16}});
  EXPECT_EQ(types.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(types.message().find("'quantization_supported_types'"), std::string::npos);
  TFLiteRewriterOptions with_dataset{.name = "r"};
  with_dataset.representative_dataset = []() -> StatusOr<std::optional<std::vector<Tensor>>> {
    return std::optional<std::vector<Tensor>>();
  };
  Status ds = CreateStatus(with_dataset);
  EXPECT_EQ(ds.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(ds.message().find("'representative_dataset'"), std::string::npos);
  Status bad_type = CreateStatus({.name = "r",
                                  .quantization_optimizations = {Optimize::kDefault},
                                  .quantization_supported_types = {DType::kInt64}});
  EXPECT_EQ(bad_type.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(bad_type.message().find("int64"), std::string::npos);
}

TEST(RewriterOptionsTest, BadFilename) {
  Status s = CreateStatus({.name = "r", .filename = "a/b"});
  EXPECT_EQ(s.message(), "TFLiteRewriter option 'filename': 'a/b' is not a plain file name");
}

TEST(RewriterOptionsTest, JsonUnknownKeyIsNamed) {
  auto o = ParseTFLiteRewriterOptions(R"({"name": "r", "quantize": true})");
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(o.status().message().rfind("TFLiteRewriter option 'quantize' is unknown", 0), 0u);
  auto good = ParseTFLiteRewriterOptions(
      R"({"name": "r", "filename": "model.tflite", "quantization_optimizations": ["DEFAULT"],
          "quantization_supported_types": ["float16"]})");
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_EQ(good->filename, "model.tflite");
  EXPECT_EQ(good->quantization_optimizations, std::vector<Optimize>{Optimize::kDefault});
  EXPECT_EQ(good->quantization_supported_types, std::vector<DType>{DType::kFloat16});
  auto bad_value = ParseTFLiteRewriterOptions(R"({"quantization_optimizations": ["FAST"]})");
  EXPECT_NE(bad_value.status().message().find("'quantization_optimizations'"), std::string::npos);
  EXPECT_FALSE(ParseTFLiteRewriterOptions("[1]").ok());
  EXPECT_FALSE(ParseTFLiteRewriterOptions("{").ok());
}

class RewriteSavedModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::string(EDGEPIPE_BINARY_DIR) + "/lite_rewriter_test_" + std::to_string(::getpid());
    ASSERT_TRUE(CreateDirectories(dir_).ok());
  }
  void TearDown() override { (void)RemoveAll(dir_); }

  // The TFX MNIST model shape, briefly trained on random data so the weights
  // are not the initial ones.
  std::unique_ptr<nn::Sequential> MakeModel() {
    auto model = std::make_unique<nn::Sequential>("sequential");
    EXPECT_TRUE(model->Add(std::make_unique<nn::Dense>(64, nn::Activation::kRelu)).ok());
    EXPECT_TRUE(model->Add(std::make_unique<nn::Dropout>(0.2f)).ok());
    EXPECT_TRUE(model->Add(std::make_unique<nn::Dense>(64)).ok());
    EXPECT_TRUE(model->Add(std::make_unique<nn::ReLU>()).ok());
    EXPECT_TRUE(model->Add(std::make_unique<nn::Dropout>(0.2f)).ok());
    EXPECT_TRUE(model->Add(std::make_unique<nn::Dense>(10)).ok());
    EXPECT_TRUE(model->Build(784, 42).ok());
    model->set_input_name("image_floats");
    nn::CompileOptions compile;
    compile.optimizer = nn::RMSprop({.learning_rate = 0.001f});
    EXPECT_TRUE(model->Compile(std::move(compile)).ok());
    std::mt19937 rng(1);
    Tensor x = testing::RandomTensor({200, 784}, rng);
    for (int64_t i = 0; i < x.num_elements(); ++i)
      x.data<float>()[i] = std::abs(x.data<float>()[i]);
    Tensor y(DType::kInt64, {200});
    for (int64_t i = 0; i < 200; ++i) y.data<int64_t>()[i] = static_cast<int64_t>(rng() % 10);
    nn::FitOptions fit;
    fit.batch_size = 20;
    fit.epochs = 1;
    fit.verbose = 0;
    EXPECT_TRUE(model->Fit(x, y, fit).ok());
    return model;
  }

  std::string dir_;
};

TEST_F(RewriteSavedModelTest, InterpreterMatchesNnPredict) {
  auto model = MakeModel();
  const std::string serving = JoinPath(dir_, "serving_model");
  const std::string out_dir = JoinPath(dir_, "tflite_model");
  ASSERT_TRUE(nn::SaveModel(*model, serving).ok());
  auto rewriter =
      rewriter_factory::CreateRewriter(RewriterType::kTFLiteRewriter, {.name = "tflite_rewriter"});
  ASSERT_TRUE(rewriter.ok());
  Status st = converters::RewriteSavedModel(serving, out_dir, **rewriter, ModelType::kTFLiteModel);
  ASSERT_TRUE(st.ok()) << st.ToString();

  auto interp = Interpreter::FromFile(JoinPath(out_dir, "tflite"));
  ASSERT_TRUE(interp.ok()) << interp.status().ToString();
  // Dropout removed, the ReLU layer fused: three FULLY_CONNECTED, two with RELU.
  const schema::SubGraph* sg = (*interp)->model().subgraphs()->Get(0);
  ASSERT_EQ(sg->operators()->size(), 3u);
  EXPECT_EQ(sg->operators()
                ->Get(1)
                ->builtin_options_as_FullyConnectedOptions()
                ->fused_activation_function(),
            schema::ActivationFunctionType_RELU);
  EXPECT_EQ(sg->operators()
                ->Get(2)
                ->builtin_options_as_FullyConnectedOptions()
                ->fused_activation_function(),
            schema::ActivationFunctionType_NONE);
  auto in = (*interp)->GetInputIndex("serving_default", "image_floats");
  auto out = (*interp)->GetOutputIndex("serving_default", "output_0");
  ASSERT_TRUE(in.ok() && out.ok());

  std::mt19937 rng(9);
  for (int64_t batch : {1, 64, 301}) {
    Tensor x = testing::RandomTensor({batch, 784}, rng);
    for (int64_t i = 0; i < x.num_elements(); ++i)
      x.data<float>()[i] = std::abs(x.data<float>()[i]);
    auto want = model->Predict(x);
    ASSERT_TRUE(want.ok());
    ASSERT_TRUE((*interp)->ResizeInputBatch(batch).ok());
    ASSERT_TRUE((*interp)->SetInput(*in, x).ok());
    ASSERT_TRUE((*interp)->Invoke().ok());
    TensorView got = (*interp)->output(*out);
    ASSERT_EQ(got.bytes, static_cast<size_t>(batch * 10 * 4));
    auto g = got.values<float>();
    for (int64_t i = 0; i < batch * 10; ++i) {
      const double w = want->data<float>()[i];
      ASSERT_LE(std::abs(g[static_cast<size_t>(i)] - w), 1e-5 * std::max(1.0, std::abs(w)))
          << "batch " << batch << " element " << i;
    }
  }
}

TEST_F(RewriteSavedModelTest, ErrorsNameTheProblem) {
  auto rewriter = rewriter_factory::CreateRewriter(RewriterType::kTFLiteRewriter, {.name = "r"});
  ASSERT_TRUE(rewriter.ok());
  Status missing = converters::RewriteSavedModel(JoinPath(dir_, "nope"), JoinPath(dir_, "out"),
                                                 **rewriter, ModelType::kTFLiteModel);
  EXPECT_EQ(missing.code(), Status::Code::kNotFound);

  auto model = MakeModel();
  const std::string serving = JoinPath(dir_, "serving_model");
  ASSERT_TRUE(nn::SaveModel(*model, serving).ok());
  Status wrong_type = converters::RewriteSavedModel(serving, JoinPath(dir_, "out"), **rewriter,
                                                    ModelType::kSavedModel);
  EXPECT_EQ(wrong_type.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(wrong_type.message().find("TFLITE_MODEL"), std::string::npos);
  EXPECT_FALSE(PathExists(JoinPath(dir_, "out/tflite")));

  auto other_key = rewriter_factory::CreateRewriter(RewriterType::kTFLiteRewriter,
                                                    {.name = "r", .signature_key = "classify"});
  ASSERT_TRUE(other_key.ok());
  Status key = converters::RewriteSavedModel(serving, JoinPath(dir_, "out"), **other_key,
                                             ModelType::kTFLiteModel);
  EXPECT_EQ(key.code(), Status::Code::kNotFound);
  EXPECT_NE(key.message().find("'classify'"), std::string::npos);
}

TEST(ConverterNnTest, StandaloneReluWithoutDenseIsUnimplemented) {
  nn::Sequential model("m");
  ASSERT_TRUE(model.Add(std::make_unique<nn::ReLU>()).ok());
  ASSERT_TRUE(model.Add(std::make_unique<nn::Dense>(3)).ok());
  ASSERT_TRUE(model.Build(4, 1).ok());
  auto g = InferenceGraphFromSequential(model);
  EXPECT_EQ(g.status().code(), Status::Code::kUnimplemented);
  EXPECT_NE(g.status().message().find("(ReLU) does not follow a Dense"), std::string::npos);
}

}  // namespace
}  // namespace edgepipe::lite
