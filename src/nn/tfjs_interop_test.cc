// Interop: a model saved by SaveModel loads in @tensorflow/tfjs 4.22 (pure JS)
// through tf.loadLayersModel and predicts what we predict.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "src/core/files.h"
#include "src/nn/saving.h"
#include "tests/support/subprocess.h"

namespace edgepipe::nn {
namespace {

using json = nlohmann::json;

TEST(TfjsInteropTest, TfjsLoadsOurModelAndPredictsTheSameLogits) {
  const std::string dir =
      std::string(EDGEPIPE_BINARY_DIR) + "/nn_tfjs_test/" + std::to_string(::getpid());
  ASSERT_TRUE(RemoveAll(dir).ok());
  ASSERT_TRUE(CreateDirectories(dir).ok());

  // The TFX MNIST model, briefly trained so the weights are not the initial ones.
  const int64_t features = 784, n = 16;
  Sequential model("mnist");
  ASSERT_TRUE(model.Add(std::make_unique<Dense>(64, Activation::kRelu)).ok());
  ASSERT_TRUE(model.Add(std::make_unique<Dropout>(0.2f)).ok());
  ASSERT_TRUE(model.Add(std::make_unique<Dense>(64, Activation::kRelu)).ok());
  ASSERT_TRUE(model.Add(std::make_unique<Dropout>(0.2f)).ok());
  ASSERT_TRUE(model.Add(std::make_unique<ReLU>()).ok());
  ASSERT_TRUE(model.Add(std::make_unique<Dense>(10)).ok());
  ASSERT_TRUE(model.Build(features, 1).ok());
  model.set_input_name("image_floats");
  model.user_metadata()["label_key"] = "image_class";
  ASSERT_TRUE(model.Compile({.optimizer = RMSprop({.learning_rate = 0.0015f})}).ok());
  Tensor x(DType::kFloat32, {n, features});
  Tensor y(DType::kInt64, {n});
  Rng rng(8);
  for (int64_t i = 0; i < x.num_elements(); ++i) x.data<float>()[i] = rng.UniformFloat();
  for (int64_t i = 0; i < n; ++i) y.data<int64_t>()[i] = i % 10;
  ASSERT_TRUE(model.Fit(x, y, {.batch_size = 8, .steps = 20, .verbose = 0}).ok());
  auto ours = model.Predict(x);
  ASSERT_TRUE(ours.ok());

  const std::string model_dir = dir + "/model";
  ASSERT_TRUE(SaveModel(model, model_dir).ok());
  const std::string input = dir + "/input.bin";
  ASSERT_TRUE(WriteFileAtomic(
                  input, std::string_view(static_cast<const char*>(x.raw_data()), x.num_bytes()))
                  .ok());

  auto result = testing::RunCommand(testing::NodeCommand(
      "tfjs_predict.js",
      "'" + model_dir + "' '" + input + "' " + std::to_string(n) + " " + std::to_string(features)));
  ASSERT_EQ(result.exit_code, 0) << result.out;
  const json j = json::parse(result.out);
  EXPECT_EQ(j["input_shape"], json::parse("[null, 784]"));
  EXPECT_EQ(j["output_shape"], json::parse("[16, 10]"));
  EXPECT_EQ(j["layers"][4]["class_name"], "ReLU");
  EXPECT_EQ(j["layers"][2]["name"], "dense_1");
  EXPECT_EQ(j["userDefinedMetadata"]["user"]["label_key"], "image_class");
  const json& values = j["values"];
  ASSERT_EQ(values.size(), static_cast<size_t>(n * 10));
  for (int64_t i = 0; i < n * 10; ++i) {
    const double theirs = values[static_cast<size_t>(i)].get<double>();
    const double mine = ours->data<float>()[i];
    EXPECT_NEAR(mine, theirs, 1e-5 * std::fabs(theirs) + 1e-6) << "logit " << i;
  }
}

}  // namespace
}  // namespace edgepipe::nn
