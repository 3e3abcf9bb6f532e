#include "src/eval/config.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "src/core/files.h"

namespace edgepipe::eval {
namespace {

// The EvalConfig of TFX's MNIST example (mnist_pipeline_native_keras.py).
constexpr char kMnistConfig[] = R"pb(
  model_specs { label_key: "image_class" }
  slicing_specs {}
  metrics_specs {
    metrics {
      class_name: "SparseCategoricalAccuracy"
      threshold { value_threshold { lower_bound { value: 0.8 } } }
    }
    metrics { class_name: "ExampleCount" }
  }
)pb";

TEST(EvalConfigTest, ParsesTfxMnistConfig) {
  auto config = ParseEvalConfigText(kMnistConfig, "mnist.pbtxt");
  ASSERT_TRUE(config.ok()) << config.status().message();
  ASSERT_EQ(config->model_specs_size(), 1);
  EXPECT_EQ(config->model_specs(0).label_key(), "image_class");
  ASSERT_EQ(config->slicing_specs_size(), 1);
  EXPECT_EQ(config->slicing_specs(0).feature_keys_size(), 0);
  ASSERT_EQ(config->metrics_specs_size(), 1);
  const auto& metrics = config->metrics_specs(0).metrics();
  ASSERT_EQ(metrics.size(), 2);
  EXPECT_EQ(metrics[0].class_name(), "SparseCategoricalAccuracy");
  ASSERT_TRUE(metrics[0].threshold().value_threshold().has_lower_bound());
  EXPECT_DOUBLE_EQ(metrics[0].threshold().value_threshold().lower_bound().value(), 0.8);
  EXPECT_FALSE(metrics[0].threshold().value_threshold().has_upper_bound());
  EXPECT_EQ(metrics[1].class_name(), "ExampleCount");
  EXPECT_FALSE(metrics[1].has_threshold());
}

TEST(EvalConfigTest, JsonRoundTripKeepsEveryField) {
  auto config = ParseEvalConfigText(kMnistConfig, "mnist.pbtxt");
  ASSERT_TRUE(config.ok());
  auto json = EvalConfigToJson(*config);
  ASSERT_TRUE(json.ok());
  EXPECT_NE(json->find("\"modelSpecs\""), std::string::npos);
  EXPECT_NE(json->find("\"lowerBound\""), std::string::npos);
  auto back = ParseEvalConfigJson(*json, "mnist.json");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->SerializeAsString(), config->SerializeAsString());
}

TEST(EvalConfigTest, JsonAcceptsProtoFieldNamesAndEvalRun) {
  auto config = ParseEvalConfigJson(
      R"({"model_specs": [{"label_key": "y", "model_type": "tf_lite"}], "slicing_specs": [{}]})",
      "c.json");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->model_specs(0).model_type(), "tf_lite");
  auto run = ParseEvalConfigJson(
      R"({"evalConfig": {"modelSpecs": [{"labelKey": "z"}]}, "version": "x", "fileFormat": "tfrecords"})",
      "eval_config.json");
  ASSERT_TRUE(run.ok()) << run.status().message();
  EXPECT_EQ(run->model_specs(0).label_key(), "z");
}

TEST(EvalConfigTest, MalformedTextReportsLineAndColumn) {
  auto config =
      ParseEvalConfigText("model_specs {\n  label_key: \"y\"\n  bogus_field: 3\n}\n", "cfg.pbtxt");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), Status::Code::kInvalidArgument);
  const std::string& msg = config.status().message();
  EXPECT_EQ(msg.rfind("cfg.pbtxt: line 3 column ", 0), 0u) << msg;
  EXPECT_NE(msg.find("bogus_field"), std::string::npos) << msg;
}

TEST(EvalConfigTest, BadValueTypeReportsPosition) {
  auto config =
      ParseEvalConfigText("model_specs { label_key: \"y\" is_baseline: maybe }", "c.pbtxt");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message().rfind("c.pbtxt: line 1 column ", 0), 0u)
      << config.status().message();
}

TEST(EvalConfigTest, MalformedJsonNamesTheFile) {
  auto config = ParseEvalConfigJson("{\"modelSpecs\": [{\"labelKey\": 3", "c.json");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message().rfind("c.json: invalid JSON EvalConfig", 0), 0u)
      << config.status().message();
}

// fuzz/regressions/eval_config/text_invalid_utf8_string.pbtxt: protobuf's text
// parser accepts these bytes, and the config then changed when written as
// eval_config.json; now the field is named.
TEST(EvalConfigTest, InvalidUtf8StringIsRefusedNamingTheField) {
  for (const char* bad : {"\xff", "ba\xc3", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80"}) {
    auto config =
        ParseEvalConfigText(std::string("model_specs { label_key: \"y\" } model_specs { name: \"") +
                                bad + "\" label_key: \"y\" is_baseline: true }",
                            "c.pbtxt");
    ASSERT_FALSE(config.ok()) << bad;
    EXPECT_EQ(
        config.status().message().rfind("c.pbtxt: model_specs[1].name: invalid UTF-8 at byte ", 0),
        0u)
        << config.status().message();
  }
  auto nested = ParseEvalConfigText(
      "model_specs { label_key: \"y\" } slicing_specs { feature_values { key: \"k\" value: "
      "\"\xfe\" } }",
      "c.pbtxt");
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(nested.status().message(),
            "c.pbtxt: slicing_specs[0].feature_values[0].value: invalid UTF-8 at byte 0 of the "
            "string (expected UTF-8)");
  // Multi-byte characters are fine.
  auto good = ParseEvalConfigText(
      "model_specs { label_key: \"\xc3\xa9t\xe2\x82\xac\xf0\x9f\x98\x80\" }", "c.pbtxt");
  EXPECT_TRUE(good.ok()) << good.status().message();
}

// fuzz/regressions/eval_config/json_value_evalConfig.json: a JSON config
// holding the string "evalConfig" (here a label key) was taken for an
// EvalRun and refused; only a top-level member makes an EvalRun.
TEST(EvalConfigTest, JsonEvalRunIsDetectedByItsTopLevelMemberOnly) {
  auto config = ParseEvalConfigJson(
      R"({"modelSpecs": [{"labelKey": "evalConfig"}], "slicingSpecs": [{"featureKeys": ["eval_config"]}]})",
      "c.json");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->model_specs(0).label_key(), "evalConfig");
  auto run = ParseEvalConfigJson(
      R"({"version": "x", "evalConfig": {"modelSpecs": [{"labelKey": "y"}]}})", "eval_config.json");
  ASSERT_TRUE(run.ok()) << run.status().message();
  EXPECT_EQ(run->model_specs(0).label_key(), "y");
}

TEST(EvalConfigTest, UnknownMetricNamesItAndListsKnownOnes) {
  auto config = ParseEvalConfigText(
      R"pb(model_specs { label_key: "y" }
           metrics_specs {
             metrics { class_name: "ExampleCount" }
             metrics { class_name: "AUCPR" }
           })pb",
      "c.pbtxt");
  ASSERT_FALSE(config.ok());
  const std::string& msg = config.status().message();
  EXPECT_NE(msg.find("c.pbtxt: metrics_specs[0].metrics[1]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"AUCPR\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("SparseCategoricalAccuracy"), std::string::npos) << msg;
}

TEST(EvalConfigTest, RequiresAModelSpec) {
  auto config = ParseEvalConfigText("slicing_specs {}", "c.pbtxt");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("model_specs"), std::string::npos);
}

TEST(EvalConfigTest, RequiresLabelKey) {
  auto config = ParseEvalConfigText("model_specs { name: \"m\" }", "c.pbtxt");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("model_specs[0]: label_key is not set"),
            std::string::npos)
      << config.status().message();
}

TEST(EvalConfigTest, RejectsUnknownModelType) {
  auto config = ParseEvalConfigText("model_specs { label_key: \"y\" model_type: \"onnx\" }", "c");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("\"onnx\""), std::string::npos);
  EXPECT_NE(config.status().message().find("tf_lite"), std::string::npos);
  for (const char* type : {"tf_keras", "tf_lite", "tf_js", "tf_estimator", "tf_generic"}) {
    auto ok = ParseEvalConfigText(
        std::string("model_specs { label_key: \"y\" model_type: \"") + type + "\" }", "c");
    EXPECT_TRUE(ok.ok()) << type << ": " << ok.status().message();
  }
}

TEST(EvalConfigTest, ThresholdWithoutBoundsIsAnError) {
  auto config = ParseEvalConfigText(
      R"pb(model_specs { label_key: "y" }
           metrics_specs {
             metrics {
               class_name: "ExampleCount"
               threshold { value_threshold {} }
             }
           })pb",
      "c.pbtxt");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find(
                "metrics_specs[0].metrics[0].threshold.value_threshold: neither lower_bound nor "
                "upper_bound"),
            std::string::npos)
      << config.status().message();
}

TEST(EvalConfigTest, ChangeThresholdNeedsDirection) {
  auto config = ParseEvalConfigText(
      R"pb(model_specs { label_key: "y" }
           metrics_specs {
             metrics {
               class_name: "ExampleCount"
               threshold { change_threshold { absolute { value: 1 } } }
             }
           })pb",
      "c.pbtxt");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("direction"), std::string::npos);
}

TEST(EvalConfigTest, MetricOptionsAreChecked) {
  auto bad_key = ParseEvalConfigText(
      R"pb(model_specs { label_key: "y" }
           metrics_specs {
             metrics { class_name: "SparseCategoricalCrossentropy" config: '"from_logit": true' }
           })pb",
      "c");
  ASSERT_FALSE(bad_key.ok());
  EXPECT_NE(bad_key.status().message().find("unknown key \"from_logit\""), std::string::npos)
      << bad_key.status().message();
  auto good = ParseEvalConfigText(
      R"pb(model_specs { label_key: "y" }
           metrics_specs {
             metrics { class_name: "SparseCategoricalCrossentropy" config: '"from_logits": true' }
           })pb",
      "c");
  EXPECT_TRUE(good.ok()) << good.status().message();
}

TEST(EvalConfigTest, UnsupportedFeaturesAreRefusedNotIgnored) {
  auto sql = ParseEvalConfigText(
      "model_specs { label_key: \"y\" } slicing_specs { slice_keys_sql: \"SELECT 1\" }", "c");
  ASSERT_FALSE(sql.ok());
  EXPECT_EQ(sql.status().code(), Status::Code::kUnimplemented);
  auto ci = ParseEvalConfigText(
      "model_specs { label_key: \"y\" } options { compute_confidence_intervals { value: true } }",
      "c");
  EXPECT_TRUE(ci.ok()) << ci.status().message();  // Poisson bootstrap, TFMA's default
  auto jackknife = ParseEvalConfigText(
      "model_specs { label_key: \"y\" } options { compute_confidence_intervals { value: true } "
      "confidence_intervals { method: JACKKNIFE } }",
      "c");
  ASSERT_FALSE(jackknife.ok());
  EXPECT_EQ(jackknife.status().code(), Status::Code::kUnimplemented);
}

TEST(EvalConfigTest, BinarizeAggregateAndPlots) {
  auto ok = ParseEvalConfigText(
      R"pb(model_specs { label_key: "y" inference_batch_size: 64 }
           metrics_specs {
             metrics {
               class_name: "AUC"
               threshold { value_threshold { lower_bound { value: 0.5 } } }
             }
             metrics { class_name: "ConfusionMatrixPlot" }
             binarize { class_ids { values: [ 0, 1 ] } }
             aggregate { micro_average: true }
           })pb",
      "c");
  EXPECT_TRUE(ok.ok()) << ok.status().message();
  auto macro = ParseEvalConfigText(
      R"pb(model_specs { label_key: "y" }
           metrics_specs {
             metrics { class_name: "AUC" }
             aggregate { macro_average: true }
           })pb",
      "c");
  ASSERT_FALSE(macro.ok());
  EXPECT_NE(macro.status().message().find("class_weights"), std::string::npos);
  auto plot_threshold = ParseEvalConfigText(
      R"pb(model_specs { label_key: "y" }
           metrics_specs {
             metrics {
               class_name: "CalibrationPlot"
               threshold { value_threshold { lower_bound { value: 0.5 } } }
             }
           })pb",
      "c");
  ASSERT_FALSE(plot_threshold.ok());
  EXPECT_NE(plot_threshold.status().message().find("is a plot"), std::string::npos);
}

TEST(EvalConfigTest, ReadEvalConfigDetectsFormat) {
  const std::string dir = ::testing::TempDir() + "/eval_config_test";
  ASSERT_TRUE(CreateDirectories(dir).ok());
  ASSERT_TRUE(WriteFileAtomic(dir + "/a.pbtxt", kMnistConfig).ok());
  ASSERT_TRUE(WriteFileAtomic(dir + "/b.json", "  {\"modelSpecs\": [{\"labelKey\": \"q\"}]}").ok());
  auto a = ReadEvalConfig(dir + "/a.pbtxt");
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->model_specs(0).label_key(), "image_class");
  auto b = ReadEvalConfig(dir + "/b.json");
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_EQ(b->model_specs(0).label_key(), "q");
  auto missing = ReadEvalConfig(dir + "/none.pbtxt");
  EXPECT_FALSE(missing.ok());
}

TEST(EvalConfigTest, ThresholdOnAMetricTheSpecDoesNotComputeIsRefusedAtRead) {
  auto config = ParseEvalConfigText(
      R"pb(model_specs { label_key: "y" }
           metrics_specs {
             metrics { class_name: "ExampleCount" }
             metrics { class_name: "SparseCategoricalAccuracy" }
             thresholds {
               key: "auc"
               value { value_threshold { lower_bound { value: 0.5 } } }
             }
           })pb",
      "c.pbtxt");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(config.status().message(),
            "c.pbtxt: metrics_specs[0].thresholds[\"auc\"]: threshold on metric \"auc\", which "
            "this metrics spec does not compute (computed: example_count, "
            "sparse_categorical_accuracy)");
  auto per_slice = ParseEvalConfigJson(
      R"({"modelSpecs": [{"labelKey": "y"}], "metricsSpecs": [{"perSliceThresholds": {"loss":
          {"thresholds": [{"threshold": {"valueThreshold": {"upperBound": 1}}}]}}}]})",
      "c.json");
  ASSERT_FALSE(per_slice.ok());
  EXPECT_EQ(per_slice.status().message(),
            "c.json: metrics_specs[0].per_slice_thresholds[\"loss\"]: threshold on metric "
            "\"loss\", which this metrics spec does not compute (computed: none)");
  auto computed = ParseEvalConfigText(
      R"pb(model_specs { label_key: "y" }
           metrics_specs {
             metrics { class_name: "SparseCategoricalAccuracy" }
             thresholds {
               key: "sparse_categorical_accuracy"
               value { value_threshold { lower_bound { value: 0.5 } } }
             }
           })pb",
      "c.pbtxt");
  EXPECT_TRUE(computed.ok()) << computed.status().message();
}

TEST(EvalConfigTest, ReadEvalConfigCapsTheFileSize) {
  const std::string path = ::testing::TempDir() + "/eval_config_test_huge.pbtxt";
  // A sparse file just over the cap: refused from its size, nothing read.
  ASSERT_TRUE(WriteFileAtomic(path, "").ok());
  std::filesystem::resize_file(path, kMaxEvalConfigBytes + 1);
  auto config = ReadEvalConfig(path);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), Status::Code::kResourceExhausted);
  EXPECT_EQ(config.status().message(),
            path + ": file is 16777217 bytes, expected at most 16777216");
  std::filesystem::remove(path);
  auto device = ReadEvalConfig("/dev/zero");
  ASSERT_FALSE(device.ok());
  EXPECT_EQ(device.status().message(),
            "/dev/zero: is a character device, expected a regular file (or a pipe)");
}

}  // namespace
}  // namespace edgepipe::eval
