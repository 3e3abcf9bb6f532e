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

RepresentativeDataset OneSample() {
  return []() -> StatusOr<std::optional<std::vector<Tensor>>> {
    return std::optional<std::vector<Tensor>>();
  };
}

TEST(RewriterOptionsTest, ModesMapToConverterOptions) {
  auto mode = [](TFLiteRewriterOptions o) {
    StatusOr<ConverterOptions> c = ConverterOptionsFor(o);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? c->quantization : QuantizationMode::kNone;
  };
  EXPECT_EQ(mode({.name = "r"}), QuantizationMode::kNone);
  EXPECT_EQ(mode({.name = "r", .quantization_optimizations = {Optimize::kDefault}}),
            QuantizationMode::kDynamicRange);
  EXPECT_EQ(mode({.name = "r", .quantization_optimizations = {Optimize::kOptimizeForSize}}),
            QuantizationMode::kDynamicRange);
  EXPECT_EQ(mode({.name = "r",
                  .quantization_optimizations = {Optimize::kDefault},
                  .quantization_supported_types = {DType::kFloat16}}),
            QuantizationMode::kFloat16);
  EXPECT_EQ(mode({.name = "r",
                  .quantization_optimizations = {Optimize::kDefault},
                  .quantization_supported_types = {DType::kInt8},
                  .quantization_enable_full_integer = true,
                  .representative_dataset = OneSample(),
                  .inference_input_type = DType::kUInt8}),
            QuantizationMode::kFullInteger);
}

// One test per contradictory or unsupported combination; each names the option.
TEST(RewriterOptionsTest, ContradictionsAreNamed) {
  struct Case {
    TFLiteRewriterOptions options;
    Status::Code code;
    std::string message_start;
  };
  const std::vector<Optimize> kDefault = {Optimize::kDefault};
  std::vector<Case> cases;
  cases.push_back({{.name = "r",
                    .quantization_optimizations = kDefault,
                    .quantization_supported_types = {DType::kFloat16},
                    .quantization_enable_full_integer = true,
                    .representative_dataset = OneSample()},
                   Status::Code::kInvalidArgument,
                   "TFLiteRewriter option 'quantization_enable_full_integer': contradicts "
                   "quantization_supported_types=[float16]"});
  cases.push_back({{.name = "r",
                    .quantization_optimizations = kDefault,
                    .quantization_supported_types = {DType::kInt8}},
                   Status::Code::kInvalidArgument,
                   "TFLiteRewriter option 'quantization_supported_types': [int8] means "
                   "integer-only"});
  cases.push_back({{.name = "r",
                    .quantization_optimizations = kDefault,
                    .quantization_supported_types = {DType::kFloat16, DType::kInt8}},
                   Status::Code::kInvalidArgument,
                   "TFLiteRewriter option 'quantization_supported_types': [float16, int8]"});
  cases.push_back({{.name = "r",
                    .quantization_optimizations = kDefault,
                    .quantization_supported_types = {DType::kInt32}},
                   Status::Code::kInvalidArgument,
                   "TFLiteRewriter option 'quantization_supported_types': type int32"});
  cases.push_back(
      {{.name = "r", .quantization_optimizations = kDefault, .representative_dataset = OneSample()},
       Status::Code::kInvalidArgument,
       "TFLiteRewriter option 'representative_dataset': given without "
       "quantization_enable_full_integer"});
  cases.push_back(
      {{.name = "r", .quantization_optimizations = kDefault, .inference_input_type = DType::kInt8},
       Status::Code::kInvalidArgument,
       "TFLiteRewriter option 'inference_input_type': int8 model I/O needs "
       "quantization_enable_full_integer"});
  cases.push_back({{.name = "r",
                    .quantization_optimizations = kDefault,
                    .quantization_enable_full_integer = true,
                    .representative_dataset = OneSample(),
                    .inference_output_type = DType::kInt64},
                   Status::Code::kInvalidArgument,
                   "TFLiteRewriter option 'inference_output_type': int64 is not one of"});
  cases.push_back({{.name = "r", .quantization_optimizations = {Optimize::kExperimentalSparsity}},
                   Status::Code::kUnimplemented,
                   "TFLiteRewriter option 'quantization_optimizations': EXPERIMENTAL_SPARSITY"});
  cases.push_back({{.name = "r", .quantization_enable_full_integer = true},
                   Status::Code::kInvalidArgument,
                   "TFLiteRewriter option 'quantization_enable_full_integer': set without "
                   "quantization_optimizations"});
  for (size_t i = 0; i < cases.size(); ++i) {
    Status s = CreateStatus(cases[i].options);
    EXPECT_EQ(s.code(), cases[i].code) << i << ": " << s.ToString();
    EXPECT_EQ(s.message().rfind(cases[i].message_start, 0), 0u) << i << ": " << s.message();
  }
}

TEST(RewriterOptionsTest, InferenceTypesParseFromJson) {
  auto o = ParseTFLiteRewriterOptions(
      R"({"inference_input_type": "uint8", "inference_output_type": "int8"})");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->inference_input_type, DType::kUInt8);
  EXPECT_EQ(o->inference_output_type, DType::kInt8);
  auto bad = ParseTFLiteRewriterOptions(R"({"inference_input_type": "float16"})");
  EXPECT_NE(bad.status().message().find("'inference_input_type'"), std::string::npos);
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

TEST(ConverterNnTest, StandaloneReluBecomesReluOrFuses) {
  nn::Sequential model("m");
  ASSERT_TRUE(model.Add(std::make_unique<nn::ReLU>()).ok());
  ASSERT_TRUE(model.Add(std::make_unique<nn::Dense>(3)).ok());
  ASSERT_TRUE(model.Add(std::make_unique<nn::ReLU>()).ok());
  ASSERT_TRUE(model.Build(4, 1).ok());
  auto bytes = ConvertSequential(model);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  const schema::Model* m = schema::GetModel(bytes->data());
  const auto* ops = m->subgraphs()->Get(0)->operators();
  ASSERT_EQ(ops->size(), 2u);  // RELU, then FULLY_CONNECTED with the second ReLU fused
  EXPECT_EQ(m->operator_codes()->Get(ops->Get(0)->opcode_index())->builtin_code(),
            schema::BuiltinOperator_RELU);
  EXPECT_EQ(ops->Get(1)->builtin_options_as_FullyConnectedOptions()->fused_activation_function(),
            schema::ActivationFunctionType_RELU);
}

}  // namespace
}  // namespace edgepipe::lite
