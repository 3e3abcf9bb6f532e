#include "src/components/example_validator.h"

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>

#include "src/components/component_test_util.h"
#include "src/components/schema_gen.h"
#include "src/components/statistics_gen.h"
#include "src/io/example.h"
#include "src/io/tfrecord.h"
#include "src/metadata/metadata_store.h"
#include "src/pipeline/local_dag_runner.h"

namespace edgepipe::components {
namespace {

namespace tfmd = data::tfmd;
using Info = tfmd::AnomalyInfo;

constexpr int kPixels = 16;
const char* const kKinds[] = {"cat", "dog", "bird"};

// Deterministic pixels in {0, 0.01, ..., 0.49} (+ shift): an image-like float
// vector. Few levels, so every split of a few dozen examples sees the lowest
// and the highest and clean splits share one range.
std::vector<float> Pixels(int i, float shift) {
  std::vector<float> p(kPixels);
  uint32_t state = 2654435761u * static_cast<uint32_t>(i + 1);
  for (float& v : p) {
    state = state * 1664525u + 1013904223u;
    v = static_cast<float>((state >> 16) % 50) / 100.0f + shift;
  }
  return p;
}

// A clean example: "image" (16 floats), "label" (int 0..9), "kind" (one of 3
// strings), "weight" (one float).
std::string CleanRecord(int i) {
  tensorflow::Example e;
  io::SetFloatFeature("image", Pixels(i, 0), &e);
  io::SetInt64Feature("label", {i % 10}, &e);
  io::SetBytesFeature("kind", {kKinds[i % 3]}, &e);
  io::SetFloatFeature("weight", {1.0f + static_cast<float>(i % 5) / 10}, &e);
  return io::SerializeDeterministic(e);
}

// The same data drifted: pixel intensities shifted up by 0.4, "weight"
// dropped, a new kind "fish" in a third of the examples, "label" written as
// a float.
std::string DriftedRecord(int i) {
  tensorflow::Example e;
  io::SetFloatFeature("image", Pixels(i, 0.4f), &e);
  io::SetFloatFeature("label", {static_cast<float>(i % 10)}, &e);
  io::SetBytesFeature("kind", {i % 3 == 2 ? "fish" : kKinds[i % 3]}, &e);
  return io::SerializeDeterministic(e);
}

// An Examples artifact made by hand: `n_train` clean train examples and
// `n_eval` eval examples, clean or drifted.
pipeline::Artifact WriteExamples(const std::string& dir, int n_train, int n_eval,
                                 bool drifted_eval) {
  pipeline::Artifact a;
  a.type_name = "Examples";
  a.uri = dir;
  a.properties["split_names"] = std::string("[\"train\", \"eval\"]");
  std::vector<std::string> train, eval;
  for (int i = 0; i < n_train; ++i) train.push_back(CleanRecord(i));
  for (int i = 0; i < n_eval; ++i) {
    eval.push_back(drifted_eval ? DriftedRecord(i + 1000) : CleanRecord(i + 1000));
  }
  for (const auto& [split, records] : {std::pair{"train", &train}, std::pair{"eval", &eval}}) {
    std::string folder = JoinPath(dir, std::string("Split-") + split);
    EXPECT_TRUE(CreateDirectories(folder).ok());
    EXPECT_TRUE(io::WriteAllRecords(JoinPath(folder, "data_tfrecord-00000-of-00001.gz"), *records,
                                    io::Compression::kGzip)
                    .ok());
  }
  return a;
}

tfmd::FeatureComparator Comparator(const std::string& text) {
  tfmd::FeatureComparator c;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &c)) << text;
  return c;
}

// Runs `component` in a fresh harness with `inputs`; returns its one output.
pipeline::Artifact RunOk(const pipeline::Component& component, const std::string& root,
                         const pipeline::ArtifactMap& inputs) {
  ExecutorHarness harness(component, root);
  harness.inputs = inputs;
  Status st = harness.Run(component);
  EXPECT_TRUE(st.ok()) << component.id << ": " << st.message();
  return harness.outputs.begin()->second.front();
}

// ExampleGen's output -> StatisticsGen -> SchemaGen (from train only, with a
// JSD drift comparator on the image and an L-infinity one on the kind).
struct Upstream {
  pipeline::Artifact statistics, schema;
};
Upstream StatisticsAndSchema(const std::string& root, const pipeline::Artifact& examples) {
  auto stats_gen = StatisticsGen({.examples = {"ImportExampleGen", "examples", "Examples"}});
  EXPECT_TRUE(stats_gen.ok());
  pipeline::Artifact statistics = RunOk(*stats_gen, root, {{"examples", {examples}}});
  SchemaGenOptions schema_options{.statistics = stats_gen->output("statistics"),
                                  .exclude_splits = {"eval"}};
  schema_options.drift_comparators = {
      {"image", Comparator("jensen_shannon_divergence { threshold: 0.1 }")},
      {"kind", Comparator("infinity_norm { threshold: 0.1 }")}};
  auto schema_gen = SchemaGen(schema_options);
  EXPECT_TRUE(schema_gen.ok());
  pipeline::Artifact schema = RunOk(*schema_gen, root, {{"statistics", {statistics}}});
  return {statistics, schema};
}

ExampleValidatorOptions Options(std::FILE* log = nullptr) {
  return {.statistics = {"StatisticsGen", "statistics", "ExampleStatistics"},
          .schema = {"SchemaGen", "schema", "Schema"},
          .log = log};
}

// feature -> reason types, from one split's anomalies.
std::map<std::string, std::set<std::string>> Found(const tfmd::Anomalies& anomalies) {
  std::map<std::string, std::set<std::string>> out;
  for (const data::AnomalyLine& line : data::ListAnomalies(anomalies)) {
    out[line.feature].insert(line.type);
  }
  return out;
}

std::string ReadAll(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) text.append(buf, n);
  return text;
}

// The test: real examples through StatisticsGen and SchemaGen, then a
// drifted split; ExampleValidator names each anomaly with its feature.
TEST(ExampleValidatorTest, NamesEveryAnomalyOfADriftedSplit) {
  std::string root = FreshTempDir("example_validator_drift");
  Upstream up = StatisticsAndSchema(
      root, WriteExamples(JoinPath(root, "examples"), 300, 150, /*drifted_eval=*/true));
  // The comparators made it into the schema.
  auto schema = ReadSchema(up.schema.uri);
  ASSERT_TRUE(schema.ok()) << schema.status().message();

  std::FILE* log = std::tmpfile();
  ASSERT_NE(log, nullptr);
  auto component = ExampleValidator(Options(log));
  ASSERT_TRUE(component.ok()) << component.status().message();
  ExecutorHarness harness(*component, root);
  harness.inputs = {{"statistics", {up.statistics}}, {"schema", {up.schema}}};
  Status st = harness.Run(*component);
  ASSERT_TRUE(st.ok()) << st.message();  // anomalies do not stop the pipeline
  const pipeline::Artifact& out = harness.output("anomalies");
  EXPECT_EQ(out.type_name, "ExampleAnomalies");
  EXPECT_EQ(std::get<std::string>(out.properties.at("split_names")), "[\"train\",\"eval\"]");
  ASSERT_TRUE(PathExists(JoinPath(out.uri, "Split-eval/SchemaDiff.pb")));

  auto read = ReadAnomalies(out.uri);
  ASSERT_TRUE(read.ok()) << read.status().message();
  ASSERT_EQ(read->size(), 2u);
  EXPECT_EQ((*read)[0].split, "eval");
  EXPECT_EQ((*read)[1].split, "train");
  EXPECT_EQ(Found((*read)[1].anomalies), (std::map<std::string, std::set<std::string>>{}));
  const tfmd::Anomalies& eval = (*read)[0].anomalies;
  EXPECT_EQ(Found(eval),
            (std::map<std::string, std::set<std::string>>{
                {"image", {"FLOAT_TYPE_BIG_FLOAT", "COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH"}},
                {"kind", {"ENUM_TYPE_UNEXPECTED_STRING_VALUES", "COMPARATOR_L_INFTY_HIGH"}},
                {"weight", {"SCHEMA_MISSING_COLUMN"}},
                {"label", {"UNEXPECTED_DATA_TYPE"}}}));
  EXPECT_EQ(eval.anomaly_name_format(), tfmd::Anomalies::SERIALIZED_PATH);
  EXPECT_EQ(eval.baseline().feature_size(), 4);
  // The measured drift: both comparators, in feature order.
  ASSERT_EQ(eval.drift_skew_info_size(), 2);
  EXPECT_EQ(eval.drift_skew_info(0).path().step(0), "image");
  EXPECT_GT(eval.drift_skew_info(0).drift_measurements(0).value(), 0.5);
  EXPECT_EQ(eval.drift_skew_info(1).path().step(0), "kind");
  // kind: bird 1/3 -> 0, fish 0 -> 1/3.
  EXPECT_NEAR(eval.drift_skew_info(1).drift_measurements(0).value(), 1.0 / 3, 0.01);
  EXPECT_NE(eval.anomaly_info().at("kind").description().find("\"fish\""), std::string::npos);

  // Properties a run table shows.
  EXPECT_EQ(std::get<int64_t>(out.custom_properties.at("anomalies_count")), 6);
  EXPECT_EQ(std::get<std::string>(out.custom_properties.at("anomalies_per_split")),
            "{\"eval\":6,\"train\":0}");
  EXPECT_EQ(std::get<std::string>(out.custom_properties.at("anomalies_summary")),
            "eval: image FLOAT_TYPE_BIG_FLOAT, image COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH, "
            "kind ENUM_TYPE_UNEXPECTED_STRING_VALUES, kind COMPARATOR_L_INFTY_HIGH, label "
            "UNEXPECTED_DATA_TYPE, weight SCHEMA_MISSING_COLUMN");

  // Each anomaly is a plain line in the execution log.
  std::string text = ReadAll(log);
  std::fclose(log);
  if (std::getenv("EDGEPIPE_TEST_LOG") != nullptr) std::fputs(text.c_str(), stderr);
  EXPECT_NE(text.find("[ExampleValidator] split 'train': no anomalies"), std::string::npos) << text;
  EXPECT_NE(text.find("[ExampleValidator] split 'eval': 6 anomalies (drift against the data of "
                      "split 'train')"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("[ExampleValidator]   feature 'label': UNEXPECTED_DATA_TYPE: Feature 'label' "
                      "has FLOAT values, but the schema expects type INT."),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("feature 'weight': SCHEMA_MISSING_COLUMN: Column is completely missing"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("[ExampleValidator]   drift of 'image': jensen_shannon_divergence"),
            std::string::npos)
      << text;
}

TEST(ExampleValidatorTest, CleanDataHasNoAnomaliesAndExcludedSplitsAreSkipped) {
  std::string root = FreshTempDir("example_validator_clean");
  Upstream up = StatisticsAndSchema(
      root, WriteExamples(JoinPath(root, "examples"), 300, 150, /*drifted_eval=*/false));
  ExampleValidatorOptions options = Options();
  options.exclude_splits = {"train"};
  auto component = ExampleValidator(options);
  ASSERT_TRUE(component.ok());
  ExecutorHarness harness(*component, root);
  harness.inputs = {{"statistics", {up.statistics}}, {"schema", {up.schema}}};
  ASSERT_TRUE(harness.Run(*component).ok());
  const pipeline::Artifact& out = harness.output("anomalies");
  EXPECT_FALSE(PathExists(JoinPath(out.uri, "Split-train")));
  EXPECT_EQ(std::get<std::string>(out.properties.at("split_names")), "[\"eval\"]");
  EXPECT_EQ(std::get<int64_t>(out.custom_properties.at("anomalies_count")), 0);
  EXPECT_EQ(std::get<std::string>(out.custom_properties.at("anomalies_summary")), "no anomalies");
  auto read = ReadAnomalies(JoinPath(out.uri, "Split-eval/SchemaDiff.pb"));  // a lone file
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_EQ(read->front().split, "");
  EXPECT_EQ(read->front().anomalies.anomaly_info_size(), 0);
  // Same distribution: measured, under the thresholds.
  EXPECT_EQ(read->front().anomalies.drift_skew_info_size(), 2);
}

TEST(ExampleValidatorTest, BaselineStatisticsAreComparedSplitBySplit) {
  std::string root = FreshTempDir("example_validator_baseline");
  // The previous span: clean train and eval.
  Upstream previous = StatisticsAndSchema(
      JoinPath(root, "previous"),
      WriteExamples(JoinPath(root, "previous_examples"), 300, 150, /*drifted_eval=*/false));
  // This span: the same train, a drifted eval; each split is compared with
  // its namesake in the previous span.
  Upstream current = StatisticsAndSchema(
      JoinPath(root, "current"),
      WriteExamples(JoinPath(root, "current_examples"), 300, 150, /*drifted_eval=*/true));
  ExampleValidatorOptions options = Options();
  options.baseline_statistics =
      pipeline::Channel{"Resolver.previous", "statistics", "ExampleStatistics"};
  options.drift_baseline_split = "eval";  // ignored: a baseline is given
  auto component = ExampleValidator(options);
  ASSERT_TRUE(component.ok());
  EXPECT_EQ(component->inputs.count("baseline_statistics"), 1u);
  ExecutorHarness harness(*component, root);
  harness.inputs = {{"statistics", {current.statistics}},
                    {"schema", {previous.schema}},
                    {"baseline_statistics", {previous.statistics}}};
  ASSERT_TRUE(harness.Run(*component).ok());
  auto read = ReadAnomalies(harness.output("anomalies").uri);
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->size(), 2u);
  // train against the previous train: the same data, measured as no drift.
  const tfmd::Anomalies& train = (*read)[1].anomalies;
  EXPECT_EQ(train.anomaly_info_size(), 0);
  ASSERT_EQ(train.drift_skew_info_size(), 2);
  EXPECT_EQ(train.drift_skew_info(0).drift_measurements(0).value(), 0);
  // eval against the previous eval: drifted.
  const tfmd::Anomalies& eval = (*read)[0].anomalies;
  EXPECT_TRUE(Found(eval)["image"].count("COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH"));
  EXPECT_NE(eval.anomaly_info().at("image").description().find(
                "between the current data and the baseline data of split 'eval'"),
            std::string::npos)
      << eval.anomaly_info().at("image").description();
}

TEST(ExampleValidatorTest, FailOnAnomaliesFailsListingThem) {
  std::string root = FreshTempDir("example_validator_fail");
  Upstream up = StatisticsAndSchema(
      root, WriteExamples(JoinPath(root, "examples"), 300, 150, /*drifted_eval=*/true));
  ExampleValidatorOptions options = Options();
  options.fail_on_anomalies = true;
  auto component = ExampleValidator(options);
  ASSERT_TRUE(component.ok());
  EXPECT_EQ(component->exec_properties.at("fail_on_anomalies"), true);
  ExecutorHarness harness(*component, root);
  harness.inputs = {{"statistics", {up.statistics}}, {"schema", {up.schema}}};
  Status st = harness.Run(*component);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Status::Code::kFailedPrecondition);
  EXPECT_TRUE(st.message().starts_with(
      "ExampleValidator: 6 anomalies and fail_on_anomalies is set:\n"
      "  split 'eval': feature 'image': FLOAT_TYPE_BIG_FLOAT: Feature 'image' has values as high "
      "as "))
      << st.message();
  EXPECT_NE(st.message().find("  split 'eval': feature 'weight': SCHEMA_MISSING_COLUMN: "),
            std::string::npos)
      << st.message();
}

TEST(ExampleValidatorTest, BadInputFailsNamingTheFile) {
  std::string root = FreshTempDir("example_validator_bad");
  Upstream up = StatisticsAndSchema(
      root, WriteExamples(JoinPath(root, "examples"), 30, 15, /*drifted_eval=*/false));
  auto component = ExampleValidator(Options());
  ASSERT_TRUE(component.ok());
  ExecutorHarness harness(*component, root);
  harness.inputs = {{"statistics", {up.statistics}}, {"schema", {up.schema}}};
  // A split named in split_names without its folder.
  harness.inputs["statistics"][0].properties["split_names"] = std::string("[\"train\",\"test\"]");
  Status st = harness.Run(*component);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), JoinPath(up.statistics.uri, "Split-test") +
                              ": no statistics for split 'test' named in the artifact's "
                              "split_names");
  // A corrupt statistics file.
  harness.inputs["statistics"][0].properties.erase("split_names");
  std::string file = JoinPath(up.statistics.uri, "Split-eval/FeatureStats.pb");
  ASSERT_TRUE(WriteFileAtomic(file, "\x0a\xff\xff").ok());
  st = harness.Run(*component);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find(file), std::string::npos) << st.message();
  // A schema that does not parse.
  std::string schema_file = SchemaPath(up.schema.uri);
  ASSERT_TRUE(WriteFileAtomic(schema_file, "feature { nme: \"x\" }").ok());
  st = harness.Run(*component);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find(schema_file), std::string::npos) << st.message();
}

TEST(ExampleValidatorTest, WrongChannelTypesAreRefused) {
  ExampleValidatorOptions options = Options();
  options.schema = {"StatisticsGen", "statistics", "ExampleStatistics"};
  auto c = ExampleValidator(options);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "ExampleValidator: input schema must be a Schema channel, got 'ExampleStatistics'");
  options = Options();
  options.baseline_statistics = pipeline::Channel{"SchemaGen", "schema", "Schema"};
  EXPECT_FALSE(ExampleValidator(options).ok());
}

TEST(ReadAnomaliesTest, BadInputIsNamed) {
  std::string root = FreshTempDir("read_anomalies");
  EXPECT_EQ(ReadAnomalies(root).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(ReadAnomalies(JoinPath(root, "missing")).status().code(), Status::Code::kNotFound);
  std::string garbage = JoinPath(root, "SchemaDiff.pb");
  ASSERT_TRUE(WriteFileAtomic(garbage, "\xff\xff\xff\xff").ok());
  auto r = ReadAnomalies(garbage);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kCorruption);
  EXPECT_EQ(r.status().message(), garbage + ": not a valid Anomalies proto (4 bytes)");
  // Over the cap: refused from its size, unread (a sparse file).
  std::string big = JoinPath(root, "big.pb");
  std::FILE* f = std::fopen(big.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(std::fseek(f, static_cast<long>(kMaxAnomaliesBytes), SEEK_SET), 0);
  ASSERT_EQ(std::fputc(0, f), 0);
  std::fclose(f);
  r = ReadAnomalies(big);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kResourceExhausted);
  EXPECT_NE(r.status().message().find(big), std::string::npos);
}

// ---- in a pipeline: the runner publishes or not ----

// Writes a hand-made Examples artifact (clean train, drifted eval).
pipeline::Component DriftedExampleGen() {
  pipeline::Component c;
  c.id = "DriftedExampleGen";
  c.type = "DriftedExampleGen";
  c.outputs = {{"examples", "Examples"}};
  c.executor = [](pipeline::ExecutionContext& ctx) -> Status {
    ASSIGN_OR_RETURN(pipeline::Artifact * out, ctx.SingleOutput("examples"));
    pipeline::Artifact written = WriteExamples(out->uri, 60, 30, /*drifted_eval=*/true);
    out->properties = written.properties;
    return Status::OK();
  };
  return c;
}

// A node after the validator (TFX: e.g. Transform or Trainer).
pipeline::Component Downstream(const pipeline::Channel& anomalies) {
  pipeline::Component c;
  c.id = "Downstream";
  c.type = "Downstream";
  c.inputs = {{"anomalies", anomalies}};
  c.outputs = {{"done", "Marker"}};
  c.executor = [](pipeline::ExecutionContext&) { return Status::OK(); };
  return c;
}

pipeline::Pipeline ValidatingPipeline(const std::string& dir, bool fail_on_anomalies) {
  pipeline::Pipeline p;
  p.name = "validating";
  p.pipeline_root = JoinPath(dir, "root");
  p.metadata_path = JoinPath(dir, "metadata.sqlite");
  pipeline::Component gen = DriftedExampleGen();
  auto stats = StatisticsGen({.examples = gen.output("examples")});
  auto schema = SchemaGen({.statistics = stats->output("statistics"), .exclude_splits = {"eval"}});
  ExampleValidatorOptions options{.statistics = stats->output("statistics"),
                                  .schema = schema->output("schema"),
                                  .fail_on_anomalies = fail_on_anomalies,
                                  .log = nullptr};
  auto validator = ExampleValidator(options);
  EXPECT_TRUE(stats.ok() && schema.ok() && validator.ok());
  p.components = {gen, *stats, *schema, *validator, Downstream(validator->output("anomalies"))};
  return p;
}

using Outcome = pipeline::NodeResult::Outcome;

TEST(ExampleValidatorPipelineTest, AnomaliesDoNotStopThePipeline) {
  std::string dir = FreshTempDir("example_validator_pipeline");
  auto run = pipeline::LocalDagRunner::Run(ValidatingPipeline(dir, false), {.log = nullptr});
  ASSERT_TRUE(run.ok()) << run.status().message();
  ASSERT_TRUE(run->status().ok()) << run->status().message();
  EXPECT_EQ(run->node("ExampleValidator")->outcome, Outcome::kExecuted);
  EXPECT_EQ(run->node("Downstream")->outcome, Outcome::kExecuted);
  auto store = metadata::MetadataStore::Open(JoinPath(dir, "metadata.sqlite"));
  ASSERT_TRUE(store.ok());
  auto published = (*store)->GetArtifactsByType("ExampleAnomalies");
  ASSERT_TRUE(published.ok());
  ASSERT_EQ(published->size(), 1u);
  EXPECT_EQ(std::get<int64_t>(published->front().custom_properties.at("anomalies_count")), 4);
  auto read = ReadAnomalies(published->front().uri);
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_EQ(Found((*read)[0].anomalies)["label"], std::set<std::string>{"UNEXPECTED_DATA_TYPE"});
}

TEST(ExampleValidatorPipelineTest, FailOnAnomaliesFailsTheExecutionAndPublishesNothing) {
  std::string dir = FreshTempDir("example_validator_pipeline_fail");
  auto run = pipeline::LocalDagRunner::Run(ValidatingPipeline(dir, true), {.log = nullptr});
  ASSERT_TRUE(run.ok()) << run.status().message();
  const pipeline::NodeResult* validator = run->node("ExampleValidator");
  EXPECT_EQ(validator->outcome, Outcome::kFailed);
  EXPECT_NE(validator->status.message().find("feature 'weight': SCHEMA_MISSING_COLUMN"),
            std::string::npos)
      << validator->status.message();
  EXPECT_TRUE(validator->outputs.empty());
  EXPECT_EQ(run->node("Downstream")->outcome, Outcome::kSkipped);
  EXPECT_FALSE(run->status().ok());
  auto store = metadata::MetadataStore::Open(JoinPath(dir, "metadata.sqlite"));
  ASSERT_TRUE(store.ok());
  auto published = (*store)->GetArtifactsByType("ExampleAnomalies");
  EXPECT_TRUE(!published.ok() || published->empty());
  EXPECT_FALSE(PathExists(JoinPath(dir, "root/ExampleValidator/anomalies")));
}

}  // namespace
}  // namespace edgepipe::components
