#include "src/components/schema_gen.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "src/components/component_test_util.h"
#include "src/components/statistics_gen.h"
#include "src/core/parallel.h"
#include "src/io/example.h"
#include "src/io/tfrecord.h"
#include "tests/support/bounded_child.h"

namespace edgepipe::components {
namespace {

// A statistics artifact computed from a small Examples folder.
pipeline::Artifact WriteStatistics(const std::string& root) {
  std::string examples = JoinPath(root, "examples");
  EXPECT_TRUE(CreateDirectories(JoinPath(examples, "Split-train")).ok());
  std::vector<std::string> records;
  for (int i = 0; i < 6; ++i) {
    tensorflow::Example e;
    io::SetFloatFeature("image_floats", {0.0f, static_cast<float>(i) / 5}, &e);
    io::SetInt64Feature("image_class", {i % 3}, &e);
    records.push_back(io::SerializeDeterministic(e));
  }
  EXPECT_TRUE(io::WriteAllRecords(JoinPath(examples, "Split-train/data.gz"), records,
                                  io::Compression::kGzip)
                  .ok());
  pipeline::Artifact a;
  a.type_name = "ExampleStatistics";
  a.uri = JoinPath(root, "statistics");
  ThreadPool pool(2);
  EXPECT_TRUE(GenerateStatistics(examples, {"train"}, a.uri, {}, &pool).ok());
  return a;
}

pipeline::Channel StatisticsChannel() {
  return {"StatisticsGen", "statistics", "ExampleStatistics"};
}

TEST(SchemaGenTest, WritesSchemaPbtxt) {
  std::string root = FreshTempDir("schema_gen");
  auto component = SchemaGen({.statistics = StatisticsChannel()});
  ASSERT_TRUE(component.ok()) << component.status().message();
  ExecutorHarness harness(*component, root);
  harness.inputs["statistics"].push_back(WriteStatistics(root));
  Status st = harness.Run(*component);
  ASSERT_TRUE(st.ok()) << st.message();
  const pipeline::Artifact& out = harness.output("schema");
  EXPECT_EQ(out.type_name, "Schema");
  auto text = ReadFile(SchemaPath(out.uri));
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text,
            "feature {\n"
            "  name: \"image_class\"\n"
            "  type: INT\n"
            "  int_domain {\n"
            "    min: 0\n"
            "    max: 2\n"
            "  }\n"
            "  presence {\n"
            "    min_fraction: 1\n"
            "    min_count: 1\n"
            "  }\n"
            "  shape {\n"
            "    dim {\n"
            "      size: 1\n"
            "    }\n"
            "  }\n"
            "}\n"
            "feature {\n"
            "  name: \"image_floats\"\n"
            "  type: FLOAT\n"
            "  float_domain {\n"
            "    min: 0\n"
            "    max: 1\n"
            "  }\n"
            "  presence {\n"
            "    min_fraction: 1\n"
            "    min_count: 1\n"
            "  }\n"
            "  shape {\n"
            "    dim {\n"
            "      size: 2\n"
            "    }\n"
            "  }\n"
            "}\n");
  auto schema = ReadSchema(out.uri);
  ASSERT_TRUE(schema.ok()) << schema.status().message();
  EXPECT_EQ(schema->feature_size(), 2);
}

TEST(SchemaGenTest, DriftComparatorsAreWrittenAndPartOfTheCacheKey) {
  std::string root = FreshTempDir("schema_gen_comparators");
  SchemaGenOptions options{.statistics = StatisticsChannel()};
  auto plain = SchemaGen(options);
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->exec_properties.contains("drift_comparators"));
  data::tfmd::FeatureComparator jsd;
  jsd.mutable_jensen_shannon_divergence()->set_threshold(0.1);
  options.drift_comparators["image_floats"] = jsd;
  auto component = SchemaGen(options);
  ASSERT_TRUE(component.ok());
  EXPECT_EQ(component->exec_properties.at("drift_comparators").dump(),
            "{\"image_floats\":\"jensen_shannon_divergence { threshold: 0.1 }\"}");
  ExecutorHarness harness(*component, root);
  harness.inputs["statistics"].push_back(WriteStatistics(root));
  Status st = harness.Run(*component);
  ASSERT_TRUE(st.ok()) << st.message();
  auto schema = ReadSchema(harness.output("schema").uri);
  ASSERT_TRUE(schema.ok()) << schema.status().message();
  EXPECT_DOUBLE_EQ(schema->feature(1).drift_comparator().jensen_shannon_divergence().threshold(),
                   0.1);
  EXPECT_FALSE(schema->feature(0).has_drift_comparator());

  // A comparator on a feature the statistics lack fails the execution.
  options.drift_comparators["nope"] = jsd;
  auto bad = SchemaGen(options);
  ASSERT_TRUE(bad.ok());
  ExecutorHarness bad_harness(*bad, FreshTempDir("schema_gen_bad_comparator"));
  bad_harness.inputs["statistics"].push_back(WriteStatistics(root));
  st = bad_harness.Run(*bad);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "drift_comparators['nope']: the statistics have no feature 'nope'");
}

TEST(SchemaGenTest, AllSplitsExcludedIsAnError) {
  std::string root = FreshTempDir("schema_gen_excluded");
  auto component = SchemaGen({.statistics = StatisticsChannel(), .exclude_splits = {"train"}});
  ASSERT_TRUE(component.ok());
  ExecutorHarness harness(*component, root);
  harness.inputs["statistics"].push_back(WriteStatistics(root));
  Status st = harness.Run(*component);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("no split statistics"), std::string::npos) << st.message();
}

TEST(SchemaGenTest, CorruptStatisticsFileIsNamed) {
  std::string root = FreshTempDir("schema_gen_corrupt");
  auto component = SchemaGen({.statistics = StatisticsChannel()});
  ASSERT_TRUE(component.ok());
  ExecutorHarness harness(*component, root);
  pipeline::Artifact stats = WriteStatistics(root);
  std::string file = JoinPath(stats.uri, "Split-train/FeatureStats.pb");
  ASSERT_TRUE(WriteFileAtomic(file, "\x0a\xff\xff").ok());
  harness.inputs["statistics"].push_back(stats);
  Status st = harness.Run(*component);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find(file), std::string::npos) << st.message();
}

TEST(ReadSchemaTest, BadTextNamesFileAndLine) {
  std::string root = FreshTempDir("read_schema");
  std::string file = JoinPath(root, "schema.pbtxt");
  ASSERT_TRUE(WriteFileAtomic(file, "feature {\n  name: \"x\"\n  bogus: 1\n}\n").ok());
  auto schema = ReadSchema(root);
  ASSERT_FALSE(schema.ok());
  EXPECT_EQ(schema.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(schema.status().message().find(file + ": line 3"), std::string::npos)
      << schema.status().message();
  EXPECT_EQ(ReadSchema(JoinPath(root, "missing")).status().code(), Status::Code::kNotFound);
}

// A schema.pbtxt over the cap is refused by its size, before a byte is read
// or allocated (a sparse file: the test writes nothing).
TEST(ReadSchemaTest, HugeFileIsRefusedBeforeReading) {
  std::string root = FreshTempDir("read_schema_huge");
  std::string file = JoinPath(root, "schema.pbtxt");
  ASSERT_TRUE(WriteFileAtomic(file, "").ok());
  std::filesystem::resize_file(file, kMaxSchemaFileBytes + 1);
  const testing::ChildResult r = testing::RunBoundedChild(
      [&] {
        auto schema = ReadSchema(root);
        if (schema.ok() || schema.status().code() != Status::Code::kResourceExhausted) return 1;
        return schema.status().message().starts_with(file + ": ") ? 0 : 2;
      },
      uint64_t{128} << 20);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_LT(r.rss_growth_kb, 16 << 10);
  auto schema = ReadSchema(file);
  ASSERT_FALSE(schema.ok());
  EXPECT_NE(schema.status().message().find(std::to_string(kMaxSchemaFileBytes)), std::string::npos)
      << schema.status().message();
}

}  // namespace
}  // namespace edgepipe::components
