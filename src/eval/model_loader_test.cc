#include "src/eval/model_loader.h"

#include <gtest/gtest.h>

#include "src/core/files.h"
#include "src/eval/config.h"
#include "src/io/example.h"
#include "src/io/tfrecord.h"
#include "src/lite/converter.h"
#include "src/nn/dense.h"
#include "src/nn/reshaping.h"
#include "src/nn/saving.h"

namespace edgepipe::eval {
namespace {

std::unique_ptr<nn::Sequential> SmallModel() {
  auto model = std::make_unique<nn::Sequential>();
  EXPECT_TRUE(model->Add(std::make_unique<nn::Dense>(8, nn::Activation::kRelu)).ok());
  EXPECT_TRUE(model->Add(std::make_unique<nn::Dense>(3)).ok());
  EXPECT_TRUE(model->Build(5, /*seed=*/7).ok());
  model->set_input_name("pixels");
  return model;
}

std::string Fresh(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "/eval_model_loader_" + name;
  EXPECT_TRUE(RemoveAll(dir).ok());
  EXPECT_TRUE(CreateDirectories(dir).ok());
  return dir;
}

Tensor Inputs() {
  std::vector<float> v(4 * 5);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i % 7) * 0.25f - 0.5f;
  return Tensor::FromVector<float>({4, 5}, v);
}

TEST(ModelLoaderTest, FullModelFromFormatServing) {
  const std::string uri = Fresh("full");
  auto model = SmallModel();
  ASSERT_TRUE(nn::SaveModel(*model, uri + "/Format-Serving").ok());
  tfma::ModelSpec spec;
  spec.set_label_key("y");
  auto loaded = LoadEvalModel(uri, spec);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ((*loaded)->input_feature(), "pixels");
  EXPECT_EQ((*loaded)->input_dim(), 5);
  auto got = (*loaded)->Predict(Inputs());
  auto want = model->Predict(Inputs());
  ASSERT_TRUE(got.ok() && want.ok());
  ASSERT_EQ(got->shape(), (Shape{4, 3}));
  for (int64_t i = 0; i < 12; ++i) EXPECT_FLOAT_EQ(got->data<float>()[i], want->data<float>()[i]);
}

TEST(ModelLoaderTest, TfliteModelResizesBatch) {
  const std::string uri = Fresh("lite");
  auto model = SmallModel();
  auto bytes = lite::ConvertSequential(*model);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  ASSERT_TRUE(CreateDirectories(uri + "/Format-Serving").ok());
  ASSERT_TRUE(WriteFileAtomic(uri + "/Format-Serving/tflite", *bytes).ok());
  tfma::ModelSpec spec;
  spec.set_label_key("y");
  spec.set_model_type("tf_lite");
  auto loaded = LoadEvalModel(uri, spec);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ((*loaded)->input_feature(), "pixels");
  EXPECT_EQ((*loaded)->input_dim(), 5);
  const auto want = model->Predict(Inputs());
  for (int round = 0; round < 2; ++round) {  // second call reuses the planned batch
    auto got = (*loaded)->Predict(Inputs());
    ASSERT_TRUE(got.ok()) << got.status().message();
    ASSERT_EQ(got->shape(), (Shape{4, 3}));
    for (int64_t i = 0; i < 12; ++i) {
      EXPECT_NEAR(got->data<float>()[i], want->data<float>()[i], 1e-5);
    }
  }
  spec.set_signature_name("predict");
  auto missing_sig = LoadEvalModel(uri, spec);
  ASSERT_FALSE(missing_sig.ok());
  EXPECT_NE(missing_sig.status().message().find("serving_default"), std::string::npos);
}

TEST(ModelLoaderTest, MissingFilesNameThePathAndModelType) {
  const std::string uri = Fresh("missing");
  ASSERT_TRUE(CreateDirectories(uri + "/Format-Serving").ok());
  tfma::ModelSpec spec;
  spec.set_label_key("y");
  spec.set_model_type("tf_lite");
  auto lite = LoadEvalModel(uri, spec);
  ASSERT_FALSE(lite.ok());
  EXPECT_EQ(lite.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(lite.status().message().rfind(uri + "/Format-Serving/tflite: not found", 0), 0u)
      << lite.status().message();
  EXPECT_NE(lite.status().message().find("tf_lite"), std::string::npos);
  spec.set_model_type("tf_keras");
  auto full = LoadEvalModel(uri, spec);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.status().message().rfind(uri + "/Format-Serving/model.json: not found", 0), 0u)
      << full.status().message();
  EXPECT_NE(full.status().message().find("tf_keras"), std::string::npos);
}

TEST(ModelLoaderTest, CorruptTfliteIsAnErrorNotACrash) {
  const std::string uri = Fresh("corrupt");
  ASSERT_TRUE(CreateDirectories(uri + "/Format-Serving").ok());
  ASSERT_TRUE(WriteFileAtomic(uri + "/Format-Serving/tflite", "not a flatbuffer").ok());
  tfma::ModelSpec spec;
  spec.set_label_key("y");
  spec.set_model_type("tf_lite");
  auto loaded = LoadEvalModel(uri, spec);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("tflite"), std::string::npos);
}

// Full model and its TFLite conversion give the same metrics through Evaluate.
TEST(ModelLoaderTest, EvaluateFullAndLiteAgree) {
  const std::string uri = Fresh("agree");
  auto model = SmallModel();
  ASSERT_TRUE(nn::SaveModel(*model, uri + "/Format-Serving").ok());
  auto bytes = lite::ConvertSequential(*model);
  ASSERT_TRUE(bytes.ok());
  ASSERT_TRUE(WriteFileAtomic(uri + "/Format-Serving/tflite", *bytes).ok());
  std::vector<std::string> records;
  for (int i = 0; i < 50; ++i) {
    tensorflow::Example ex;
    std::vector<float> x(5);
    for (int j = 0; j < 5; ++j)
      x[static_cast<size_t>(j)] = static_cast<float>((i * 7 + j * 3) % 11) / 11.0f;
    io::SetFloatFeature("pixels", x, &ex);
    io::SetInt64Feature("y", {i % 3}, &ex);
    records.push_back(ex.SerializeAsString());
  }
  ASSERT_TRUE(io::WriteAllRecords(uri + "/ex.tfrecord", records, io::Compression::kNone).ok());
  const char* text = R"pb(
    model_specs { label_key: "y" model_type: "%s" }
    metrics_specs {
      metrics { class_name: "SparseCategoricalAccuracy" }
      metrics { class_name: "SparseCategoricalCrossentropy" config: '"from_logits": true' }
    }
  )pb";
  std::vector<double> values[2];
  int k = 0;
  for (const char* type : {"tf_keras", "tf_lite"}) {
    char buf[512];
    std::snprintf(buf, sizeof(buf), text, type);
    auto config = ParseEvalConfigText(buf, "c");
    ASSERT_TRUE(config.ok()) << config.status().message();
    auto m = LoadEvalModel(uri, config->model_specs(0));
    ASSERT_TRUE(m.ok()) << m.status().message();
    EvaluateOptions options;
    options.batch_size = 16;  // 50 = 3 full batches + 2: exercises the resize
    auto r = Evaluate(*config, {uri + "/ex.tfrecord"}, **m, options);
    ASSERT_TRUE(r.ok()) << r.status().message();
    for (const auto& kv : r->metrics[0].metric_keys_and_values()) {
      values[k].push_back(kv.value().double_value().value());
    }
    ++k;
  }
  ASSERT_EQ(values[0].size(), 2u);
  EXPECT_DOUBLE_EQ(values[0][0], values[1][0]);
  EXPECT_NEAR(values[0][1], values[1][1], 1e-5);
}

// A functional model over two features (TFX's penguin model takes one input
// per measurement): the full model and its .tflite read each input from the
// tf.Example feature of its name, and agree.
TEST(ModelLoaderTest, ModelsWithSeveralInputsAreFedFeatureByFeature) {
  const std::string uri = Fresh("two_inputs");
  nn::Model model("two");
  auto a = model.Input({2}, "bill").value();
  auto b = model.Input({1}, "mass").value();
  auto cat = model.Call(std::make_unique<nn::Concatenate>(), {a, b}).value();
  auto hidden = model.Call(std::make_unique<nn::Dense>(4, nn::Activation::kRelu), cat).value();
  auto out = model.Call(std::make_unique<nn::Dense>(3), hidden).value();
  ASSERT_TRUE(model.Build({a, b}, {out}, /*seed=*/5).ok());
  ASSERT_TRUE(nn::SaveModel(model, uri + "/Format-Serving").ok());
  auto bytes = lite::ConvertModel(model);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  ASSERT_TRUE(WriteFileAtomic(uri + "/Format-Serving/tflite", *bytes).ok());
  std::vector<std::string> records;
  for (int i = 0; i < 37; ++i) {
    tensorflow::Example ex;
    io::SetFloatFeature("bill", {static_cast<float>(i % 5) / 5, static_cast<float>(i % 3)}, &ex);
    io::SetFloatFeature("mass", {static_cast<float>(i % 7) - 3}, &ex);
    io::SetInt64Feature("y", {i % 3}, &ex);
    records.push_back(ex.SerializeAsString());
  }
  ASSERT_TRUE(io::WriteAllRecords(uri + "/ex.tfrecord", records, io::Compression::kNone).ok());
  std::vector<double> values[2];
  int k = 0;
  for (const char* type : {"tf_keras", "tf_lite"}) {
    auto config = ParseEvalConfigText(
        std::string("model_specs { label_key: \"y\" model_type: \"") + type +
            "\" }\nmetrics_specs { metrics { class_name: \"SparseCategoricalCrossentropy\" "
            "config: '\"from_logits\": true' } }\n",
        "c");
    ASSERT_TRUE(config.ok()) << config.status().message();
    auto m = LoadEvalModel(uri, config->model_specs(0));
    ASSERT_TRUE(m.ok()) << m.status().message();
    const std::vector<EvalInput> inputs = (*m)->inputs();
    ASSERT_EQ(inputs.size(), 2u) << type;
    EXPECT_EQ(inputs[0].feature, "bill");
    EXPECT_EQ(inputs[0].dim, 2);
    EXPECT_EQ(inputs[1].feature, "mass");
    EXPECT_EQ(inputs[1].dim, 1);
    auto r = Evaluate(*config, {uri + "/ex.tfrecord"}, **m, {.batch_size = 8});
    ASSERT_TRUE(r.ok()) << r.status().message();
    values[k++].push_back(r->metrics[0].metric_keys_and_values(0).value().double_value().value());
  }
  EXPECT_NEAR(values[0][0], values[1][0], 1e-5);
  EXPECT_GT(values[0][0], 0);
}

}  // namespace
}  // namespace edgepipe::eval
