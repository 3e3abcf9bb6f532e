#include "src/nn/saving.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "src/core/files.h"
#include "src/nn/reshaping.h"

namespace edgepipe::nn {
namespace {

using json = nlohmann::json;

std::string TempDir(const std::string& name) {
  const std::string dir = std::string(EDGEPIPE_BINARY_DIR) + "/nn_saving_test/" + name + "-" +
                          std::to_string(::getpid());
  EXPECT_TRUE(RemoveAll(dir).ok());
  return dir;
}

std::unique_ptr<Sequential> TrainedModel(int64_t features = 12) {
  auto model = std::make_unique<Sequential>("mnist");
  EXPECT_TRUE(model->Add(std::make_unique<Dense>(16, Activation::kRelu)).ok());
  EXPECT_TRUE(model->Add(std::make_unique<Dropout>(0.2f)).ok());
  EXPECT_TRUE(model->Add(std::make_unique<Dense>(8)).ok());
  EXPECT_TRUE(model->Add(std::make_unique<ReLU>()).ok());
  EXPECT_TRUE(model->Add(std::make_unique<Dense>(10)).ok());
  EXPECT_TRUE(model->Build(features, 3).ok());
  EXPECT_TRUE(model->Compile({.optimizer = Adam()}).ok());
  Tensor x(DType::kFloat32, {64, features});
  Tensor y(DType::kInt64, {64});
  Rng rng(4);
  for (int64_t i = 0; i < x.num_elements(); ++i) x.data<float>()[i] = rng.UniformFloat();
  for (int64_t i = 0; i < 64; ++i) y.data<int64_t>()[i] = i % 10;
  EXPECT_TRUE(model->Fit(x, y, {.batch_size = 16, .steps = 10, .verbose = 0}).ok());
  return model;
}

Tensor Inputs(int64_t n, int64_t features) {
  Tensor x(DType::kFloat32, {n, features});
  Rng rng(99);
  for (int64_t i = 0; i < x.num_elements(); ++i) x.data<float>()[i] = rng.UniformFloat() * 2 - 1;
  return x;
}

json ReadJson(const std::string& path) { return json::parse(*ReadFile(path)); }
void WriteJson(const std::string& path, const json& j) {
  ASSERT_TRUE(WriteFileAtomic(path, j.dump()).ok());
}

TEST(SavingTest, RoundTripGivesIdenticalPredictions) {
  auto model = TrainedModel();
  model->set_input_name("image_floats");
  model->user_metadata()["label_key"] = "image_class";
  const std::string dir = TempDir("roundtrip");
  ASSERT_TRUE(SaveModel(*model, dir).ok());

  auto loaded = LoadModel(dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  Sequential& m2 = **loaded;
  EXPECT_EQ(m2.name(), "mnist");
  EXPECT_EQ(m2.input_name(), "image_floats");
  EXPECT_EQ(m2.output_name(), "output_0");
  EXPECT_EQ(m2.input_shape(), (Shape{-1, 12}));
  EXPECT_EQ(m2.user_metadata()["label_key"], "image_class");
  ASSERT_EQ(m2.layers().size(), 5u);
  EXPECT_EQ(m2.layers()[3]->class_name(), "ReLU");
  EXPECT_EQ(m2.layers()[3]->name(), "re_lu");
  EXPECT_FLOAT_EQ(dynamic_cast<const Dropout&>(*m2.layers()[1]).rate(), 0.2f);

  const Tensor x = Inputs(50, 12);
  auto a = model->Predict(x);
  auto b = m2.Predict(x);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(0, std::memcmp(a->raw_data(), b->raw_data(), a->num_bytes()));
}

TEST(SavingTest, WritesKeras2TopologyAndManifest) {
  auto model = TrainedModel();
  const std::string dir = TempDir("format");
  ASSERT_TRUE(SaveModel(*model, dir).ok());
  const json j = ReadJson(dir + "/model.json");
  EXPECT_EQ(j["format"], "layers-model");
  EXPECT_TRUE(j["convertedBy"].is_null());
  const json& layers = j["modelTopology"]["config"]["layers"];
  EXPECT_EQ(j["modelTopology"]["class_name"], "Sequential");
  EXPECT_EQ(layers[0]["class_name"], "Dense");
  EXPECT_EQ(layers[0]["config"]["name"], "dense");
  EXPECT_EQ(layers[0]["config"]["batch_input_shape"], json::parse("[null, 12]"));
  EXPECT_FALSE(layers[0]["config"].contains("batch_shape"));
  EXPECT_EQ(layers[0]["config"]["activation"], "relu");
  EXPECT_EQ(layers[0]["config"]["units"], 16);
  EXPECT_EQ(layers[2]["config"]["activation"], "linear");
  EXPECT_EQ(layers[1]["config"]["rate"], 0.2f);
  const json& weights = j["weightsManifest"][0]["weights"];
  EXPECT_EQ(j["weightsManifest"][0]["paths"], json::parse(R"(["weights.bin"])"));
  ASSERT_EQ(weights.size(), 6u);
  EXPECT_EQ(weights[0]["name"], "dense/kernel");
  EXPECT_EQ(weights[0]["shape"], json::parse("[12, 16]"));
  EXPECT_EQ(weights[5]["name"], "dense_2/bias");
  EXPECT_EQ(ReadFile(dir + "/weights.bin")->size(), 4u * (12 * 16 + 16 + 16 * 8 + 8 + 8 * 10 + 10));
  EXPECT_EQ(j["userDefinedMetadata"]["signature"]["inputs"][0]["shape"], json::parse("[-1, 12]"));
}

// One test per loader error path. Each starts from a valid saved model and
// breaks one thing.
class LoadErrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_TRUE(SaveModel(*TrainedModel(), dir_).ok());
    json_ = ReadJson(dir_ + "/model.json");
  }
  Status Load() { return LoadModel(dir_).status(); }
  void Rewrite() { WriteJson(dir_ + "/model.json", json_); }
  std::string dir_;
  json json_;
};

TEST_F(LoadErrorTest, MissingModelJson) {
  ASSERT_TRUE(RemoveAll(dir_ + "/model.json").ok());
  Status s = Load();
  EXPECT_EQ(s.code(), Status::Code::kNotFound);
  EXPECT_NE(s.message().find(dir_ + "/model.json"), std::string::npos) << s.message();
}

TEST_F(LoadErrorTest, BadJson) {
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/model.json", "{\"format\": \"layers-model\",, }").ok());
  Status s = Load();
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_EQ(s.message().rfind(dir_ + "/model.json: offset 27: invalid JSON", 0), 0u) << s.message();
}

TEST_F(LoadErrorTest, MissingWeightsBin) {
  ASSERT_TRUE(RemoveAll(dir_ + "/weights.bin").ok());
  Status s = Load();
  EXPECT_EQ(s.code(), Status::Code::kNotFound);
  EXPECT_NE(s.message().find(dir_ + "/weights.bin"), std::string::npos) << s.message();
}

TEST_F(LoadErrorTest, WeightsBinSizeMismatch) {
  std::string bin = *ReadFile(dir_ + "/weights.bin");
  const size_t expected = bin.size();
  bin.resize(bin.size() - 4);
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/weights.bin", bin).ok());
  Status s = Load();
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_EQ(s.message(), dir_ + "/weights.bin: size " + std::to_string(expected - 4) +
                             " bytes, expected " + std::to_string(expected) +
                             " (the sum of the sizes of weightsManifest[0].weights)");
}

TEST_F(LoadErrorTest, ModelJsonOverTheCapIsRefusedUnread) {
  const std::string path = dir_ + "/model.json";
  std::filesystem::resize_file(path, kMaxModelJsonBytes + 1);  // sparse: no disk used
  Status s = Load();
  EXPECT_EQ(s.code(), Status::Code::kResourceExhausted);
  EXPECT_EQ(s.message(), path + ": file is 67108865 bytes, expected at most 67108864");
}

TEST_F(LoadErrorTest, WeightFileOverTheReadCapIsRefusedUnread) {
  const std::string path = dir_ + "/weights.bin";
  std::filesystem::resize_file(path, uintmax_t{8} << 30);  // 8 GiB, sparse
  Status s = Load();
  EXPECT_EQ(s.code(), Status::Code::kResourceExhausted);
  EXPECT_EQ(s.message(), path + ": file is 8589934592 bytes, expected at most 2147483647");
}

TEST_F(LoadErrorTest, UnknownLayerClass) {
  json_["modelTopology"]["config"]["layers"][2]["class_name"] = "Conv3D";
  Rewrite();
  Status s = Load();
  EXPECT_EQ(s.code(), Status::Code::kUnimplemented);
  EXPECT_NE(
      s.message().find(dir_ + "/model.json: field 'modelTopology.config.layers[2].class_name': "
                              "unknown layer class \"Conv3D\""),
      std::string::npos)
      << s.message();
}

TEST_F(LoadErrorTest, NonPositiveUnits) {
  json_["modelTopology"]["config"]["layers"][2]["config"]["units"] = -3;
  Rewrite();
  EXPECT_EQ(Load().message(),
            dir_ +
                "/model.json: field 'modelTopology.config.layers[2].config.units':"
                " expected a positive integer");
}

TEST_F(LoadErrorTest, ManifestShapeDisagreesWithTopology) {
  json_["weightsManifest"][0]["weights"][1]["shape"] = json::parse("[15]");
  Rewrite();
  Status s = Load();
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_EQ(s.message(), dir_ +
                             "/model.json: field 'weightsManifest[0].weights[1].shape': expected "
                             "[16] for 'dense/bias' (from modelTopology), got [15]");
}

TEST_F(LoadErrorTest, ManifestMissesAWeight) {
  json_["weightsManifest"][0]["weights"].erase(5);
  Rewrite();
  std::string bin = *ReadFile(dir_ + "/weights.bin");
  bin.resize(bin.size() - 10 * sizeof(float));  // keep the file consistent with the manifest
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/weights.bin", bin).ok());
  Status s = Load();
  EXPECT_NE(
      s.message().find("field 'weightsManifest': expected an entry for weight 'dense_2/bias'"),
      std::string::npos)
      << s.message();
}

TEST_F(LoadErrorTest, MissingInputShape) {
  json_["modelTopology"]["config"]["layers"][0]["config"].erase("batch_input_shape");
  Rewrite();
  EXPECT_EQ(Load().message(),
            dir_ +
                "/model.json: field 'modelTopology.config.layers[0].config.batch_input_shape': "
                "expected to be present");
}

TEST_F(LoadErrorTest, UnsupportedActivation) {
  json_["modelTopology"]["config"]["layers"][0]["config"]["activation"] = "gelu_approx";
  Rewrite();
  Status s = Load();
  EXPECT_EQ(s.code(), Status::Code::kUnimplemented);
  EXPECT_NE(s.message().find("layers[0].config.activation"), std::string::npos) << s.message();
}

TEST_F(LoadErrorTest, WeightPathOutsideTheModelDirectory) {
  json_["weightsManifest"][0]["paths"][0] = "../weights.bin";
  Rewrite();
  EXPECT_EQ(Load().message(), dir_ +
                                  "/model.json: field 'weightsManifest[0].paths[0]': expected a "
                                  "relative file name inside the model directory");
}

// fuzz/regressions/model_json/dense_units_beyond_weights.model: sizes in
// the topology alone made Build allocate 2^62 bytes (a null arena, then
// pointer arithmetic on it). Build now refuses before allocating.
TEST_F(LoadErrorTest, TopologyNeedingFarMoreWeightsThanTheFilesHold) {
  json& layer = json_["modelTopology"]["config"]["layers"][0]["config"];
  layer["batch_input_shape"] = json::parse("[null, 1073741824]");
  layer["units"] = 1073741824;
  Rewrite();
  const int64_t floats = static_cast<int64_t>(ReadFile(dir_ + "/weights.bin")->size() / 4);
  Status s = Load();
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), dir_ +
                             "/model.json: Build: model 'mnist' has more than 1048576 weights "
                             "(floats), the limit its weight files set (they hold " +
                             std::to_string(floats) + " floats) (layer 'dense' goes past it)");
}

TEST_F(LoadErrorTest, InputShapeWithTooManyElements) {
  json_["modelTopology"]["config"]["layers"][0]["config"]["batch_input_shape"] =
      json::parse("[null, 2147483648, 2147483648, 2147483648]");
  Rewrite();
  Status s = Load();
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), dir_ +
                             "/model.json: Input: shape [2147483648, 2147483648, 2147483648] has "
                             "more than 2147483648 elements");
}

// The same file twice in the manifest would be read (and held) twice.
TEST_F(LoadErrorTest, WeightFileListedTwice) {
  json_["weightsManifest"][0]["paths"].push_back("weights.bin");
  Rewrite();
  EXPECT_EQ(Load().message(),
            dir_ +
                "/model.json: field 'weightsManifest[0].paths[1]': expected a file not listed "
                "before in weightsManifest, got \"weights.bin\" again");
}

// fuzz/regressions/model_json/zero_padding_overflow.model: a padding of 2^62
// overflowed the padded height (signed overflow in ZeroPadding2D::Build).
TEST(SavingTest, ZeroPaddingBeyondTheSizeLimitIsAnError) {
  Sequential m("padded");
  ASSERT_TRUE(m.Add(std::make_unique<ZeroPadding2D>()).ok());
  ASSERT_TRUE(m.Add(std::make_unique<Flatten>()).ok());
  ASSERT_TRUE(m.Add(std::make_unique<Dense>(2)).ok());
  ASSERT_TRUE(m.Build(Shape{3, 3, 1}).ok());
  const std::string dir = TempDir("zero_padding_overflow");
  ASSERT_TRUE(SaveModel(m, dir).ok());
  json j = ReadJson(dir + "/model.json");
  j["modelTopology"]["config"]["layers"][0]["config"]["padding"] =
      json::parse("[[4611686018427387904, 4611686018427387904], [1, 1]]");
  WriteJson(dir + "/model.json", j);
  EXPECT_EQ(LoadModel(dir).status().message(),
            dir +
                "/model.json: field 'modelTopology.config.layers[0].config.padding': expected an "
                "int, [h, w] or [[top, bottom], [left, right]] (each 0..2^31)");
}

// fuzz/regressions/model_json/reshape_target_overflow.model: the product of
// the target dimensions overflowed in Reshape::Build.
TEST_F(LoadErrorTest, ReshapeTargetWithTooManyElements) {
  json& layers = json_["modelTopology"]["config"]["layers"];
  layers.insert(layers.begin() + 1, json::parse(R"({"class_name": "Reshape", "config":
      {"name": "reshape", "target_shape": [4611686018427387904, 4611686018427387904, -1]}})"));
  Rewrite();
  EXPECT_EQ(Load().message(), dir_ +
                                  "/model.json: field "
                                  "'modelTopology.config.layers[1].config.target_shape': expected "
                                  "at most 2147483648 elements, got a product of dimensions "
                                  "beyond that");
}

TEST_F(LoadErrorTest, NotSequential) {
  json_["modelTopology"]["class_name"] = "Functional";
  Rewrite();
  EXPECT_EQ(Load().code(), Status::Code::kUnimplemented);
}

TEST_F(LoadErrorTest, AcceptsAKerasInputLayer) {
  // Keras 2.4+ writes an explicit InputLayer first; its name is the input name.
  json& layers = json_["modelTopology"]["config"]["layers"];
  layers[0]["config"].erase("batch_input_shape");
  layers.insert(layers.begin(), json::parse(R"({"class_name": "InputLayer", "config":
      {"batch_input_shape": [null, 12], "dtype": "float32", "sparse": false,
       "ragged": false, "name": "image_floats"}})"));
  json_.erase("userDefinedMetadata");
  Rewrite();
  auto m = LoadModel(dir_);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ((*m)->input_name(), "image_floats");
  EXPECT_EQ((*m)->layers().size(), 5u);
}

}  // namespace
}  // namespace edgepipe::nn
