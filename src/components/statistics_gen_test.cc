#include "src/components/statistics_gen.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "src/components/component_test_util.h"
#include "src/core/parallel.h"
#include "src/data/schema_inference.h"
#include "src/io/example.h"
#include "src/io/tfrecord.h"
#include "tests/support/bounded_child.h"

namespace edgepipe::components {
namespace {

std::string Record(float x, int64_t label, const std::string& kind) {
  tensorflow::Example e;
  io::SetFloatFeature("x", {x, x + 1}, &e);
  io::SetInt64Feature("label", {label}, &e);
  io::SetBytesFeature("kind", {kind}, &e);
  return io::SerializeDeterministic(e);
}

// An Examples artifact made by hand: train in two files, eval in one.
pipeline::Artifact WriteExamples(const std::string& root) {
  pipeline::Artifact a;
  a.type_name = "Examples";
  a.uri = JoinPath(root, "examples");
  a.properties["split_names"] = std::string("[\"train\", \"eval\"]");
  EXPECT_TRUE(CreateDirectories(JoinPath(a.uri, "Split-train")).ok());
  EXPECT_TRUE(CreateDirectories(JoinPath(a.uri, "Split-eval")).ok());
  EXPECT_TRUE(io::WriteAllRecords(JoinPath(a.uri, "Split-train/data_tfrecord-00000-of-00002.gz"),
                                  {Record(1, 0, "a"), Record(2, 1, "b")}, io::Compression::kGzip)
                  .ok());
  EXPECT_TRUE(io::WriteAllRecords(JoinPath(a.uri, "Split-train/data_tfrecord-00001-of-00002.gz"),
                                  {Record(3, 1, "a")}, io::Compression::kGzip)
                  .ok());
  EXPECT_TRUE(io::WriteAllRecords(JoinPath(a.uri, "Split-eval/data_tfrecord-00000-of-00001.gz"),
                                  {Record(0, 0, "c")}, io::Compression::kGzip)
                  .ok());
  return a;
}

pipeline::Channel ExamplesChannel() { return {"ImportExampleGen", "examples", "Examples"}; }

TEST(StatisticsGenTest, WritesFeatureStatsPerSplit) {
  std::string root = FreshTempDir("statistics_gen");
  auto component = StatisticsGen({.examples = ExamplesChannel()});
  ASSERT_TRUE(component.ok()) << component.status().message();
  ExecutorHarness harness(*component, root);
  harness.inputs["examples"].push_back(WriteExamples(root));
  Status st = harness.Run(*component);
  ASSERT_TRUE(st.ok()) << st.message();
  const pipeline::Artifact& out = harness.output("statistics");
  EXPECT_EQ(out.type_name, "ExampleStatistics");
  EXPECT_EQ(std::get<std::string>(out.properties.at("split_names")), "[\"train\",\"eval\"]");
  ASSERT_TRUE(PathExists(JoinPath(out.uri, "Split-train/FeatureStats.pb")));

  auto read = ReadStatistics(out.uri);
  ASSERT_TRUE(read.ok()) << read.status().message();
  ASSERT_EQ(read->size(), 2u);
  EXPECT_EQ((*read)[0].split, "eval");  // split-name order
  const auto& train = (*read)[1];
  EXPECT_EQ(train.split, "train");
  ASSERT_EQ(train.statistics.datasets_size(), 1);
  const auto& ds = train.statistics.datasets(0);
  EXPECT_EQ(ds.name(), "train");
  EXPECT_EQ(ds.num_examples(), 3u);
  ASSERT_EQ(ds.features_size(), 3);
  // kind, label, x (by name); x = {1,2},{2,3},{3,4}
  EXPECT_EQ(data::FeatureName(ds.features(2)), "x");
  EXPECT_DOUBLE_EQ(ds.features(2).num_stats().mean(), 2.5);
  EXPECT_EQ(ds.features(2).num_stats().common_stats().min_num_values(), 2u);
  EXPECT_EQ(ds.features(0).string_stats().top_values(0).value(), "a");

  // A lone file reads too.
  auto one = ReadStatistics(JoinPath(out.uri, "Split-eval/FeatureStats.pb"));
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->front().statistics.datasets(0).num_examples(), 1u);

  // The page of both splits, in the property's order (train gets the first colour).
  auto page = ReadFile(JoinPath(out.uri, kStatisticsHtmlFile));
  ASSERT_TRUE(page.ok()) << page.status().message();
  EXPECT_NE(page->find("<i class=\"s0\"></i><b>train</b>: 3 examples"), std::string::npos);
  EXPECT_NE(page->find("<i class=\"s1\"></i><b>eval</b>: 1 example<"), std::string::npos);
  for (const char* feature : {"<b>x</b>", "<b>label</b>", "<b>kind</b>"}) {
    EXPECT_NE(page->find(feature), std::string::npos) << feature;
  }
  // The same page from what was written (as `edgepipe stats html` renders it),
  // but in split-name order.
  std::string again = RenderStatisticsPage(*read, "t");
  EXPECT_NE(again.find("<i class=\"s0\"></i><b>eval</b>"), std::string::npos);
}

TEST(StatisticsGenTest, ExcludedSplitIsSkipped) {
  std::string root = FreshTempDir("statistics_gen_exclude");
  auto component = StatisticsGen({.examples = ExamplesChannel(), .exclude_splits = {"eval"}});
  ASSERT_TRUE(component.ok());
  ExecutorHarness harness(*component, root);
  harness.inputs["examples"].push_back(WriteExamples(root));
  ASSERT_TRUE(harness.Run(*component).ok());
  EXPECT_FALSE(PathExists(JoinPath(harness.output("statistics").uri, "Split-eval")));
  EXPECT_EQ(std::get<std::string>(harness.output("statistics").properties.at("split_names")),
            "[\"train\"]");
}

TEST(StatisticsGenTest, CorruptInputFileIsNamed) {
  std::string root = FreshTempDir("statistics_gen_corrupt");
  auto component = StatisticsGen({.examples = ExamplesChannel()});
  ASSERT_TRUE(component.ok());
  ExecutorHarness harness(*component, root);
  pipeline::Artifact examples = WriteExamples(root);
  std::string bad = JoinPath(examples.uri, "Split-train/data_tfrecord-00001-of-00002.gz");
  ASSERT_TRUE(WriteFileAtomic(bad, "\x1f\x8b not really gzip").ok());
  harness.inputs["examples"].push_back(examples);
  Status st = harness.Run(*component);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find(bad), std::string::npos) << st.message();
}

TEST(StatisticsGenTest, BadSplitNamesAreRefused) {
  std::string root = FreshTempDir("statistics_gen_splits");
  auto component = StatisticsGen({.examples = ExamplesChannel()});
  ASSERT_TRUE(component.ok());
  ExecutorHarness harness(*component, root);
  pipeline::Artifact examples = WriteExamples(root);
  examples.properties["split_names"] = std::string("train,eval");
  harness.inputs["examples"].push_back(examples);
  Status st = harness.Run(*component);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("split_names"), std::string::npos) << st.message();
}

TEST(StatisticsGenTest, WrongChannelTypeIsRefused) {
  auto component = StatisticsGen({.examples = {"Trainer", "model", "Model"}});
  ASSERT_FALSE(component.ok());
  EXPECT_NE(component.status().message().find("Examples"), std::string::npos);
}

TEST(ReadStatisticsTest, GarbageFileIsNamed) {
  std::string root = FreshTempDir("read_statistics");
  std::string path = JoinPath(root, "FeatureStats.pb");
  ASSERT_TRUE(WriteFileAtomic(path, "\xff\xff\xff\xff").ok());
  auto read = ReadStatistics(path);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), Status::Code::kCorruption);
  EXPECT_NE(read.status().message().find(path), std::string::npos);
  EXPECT_EQ(ReadStatistics(root).status().code(), Status::Code::kNotFound);
}

// Raw bytes in a bytes_list (a JPEG) used to be written as they were into
// the statistics' proto3 strings, and protobuf then refused to parse the
// file: `stats show`, SchemaGen and the page all failed. Now they are TFDV's
// "__BYTES_VALUE__", and SchemaGen (as TFDV) infers no string domain.
TEST(StatisticsGenTest, ValuesThatAreNotUtf8ReadBack) {
  std::string root = FreshTempDir("statistics_gen_bytes");
  std::string examples = JoinPath(root, "examples");
  ASSERT_TRUE(CreateDirectories(JoinPath(examples, "Split-train")).ok());
  std::vector<std::string> records;
  for (const std::string value : {"\xff\xd8\xff\xe0", "\xff\xd8\xff\xe0", "png", "\xc3"}) {
    tensorflow::Example e;
    io::SetBytesFeature("image_raw", {value}, &e);
    records.push_back(io::SerializeDeterministic(e));
  }
  ASSERT_TRUE(io::WriteAllRecords(JoinPath(examples, "Split-train/data.gz"), records,
                                  io::Compression::kGzip)
                  .ok());
  ThreadPool pool(1);
  const std::string uri = JoinPath(root, "statistics");
  ASSERT_TRUE(GenerateStatistics(examples, {"train"}, uri, {}, &pool).ok());
  auto read = ReadStatistics(uri);
  ASSERT_TRUE(read.ok()) << read.status().message();
  const auto& s = (*read)[0].statistics.datasets(0).features(0).string_stats();
  ASSERT_EQ(s.top_values_size(), 3);
  EXPECT_EQ(s.top_values(0).value(), data::kNonUtf8Placeholder);
  EXPECT_EQ(s.top_values(0).frequency(), 2);
  EXPECT_EQ(s.top_values(1).value(), "png");
  EXPECT_EQ(s.top_values(2).value(), data::kNonUtf8Placeholder);
  EXPECT_EQ(s.rank_histogram().buckets(0).label(), data::kNonUtf8Placeholder);
  EXPECT_EQ(s.unique(), 3u);
  auto schema = data::InferSchema({{"train", &(*read)[0].statistics.datasets(0)}});
  ASSERT_TRUE(schema.ok()) << schema.status().message();
  EXPECT_EQ(schema->string_domain_size(), 0);
  EXPECT_FALSE(schema->feature(0).has_domain());
}

// Every reproducer saved by fuzz/statistics_fuzzer.cc (fuzz/regressions/
// statistics/), replayed in the normal build: read as a split of an artifact,
// then summarized, rendered and given to schema inference, as the fuzzer
// does; each is either refused with an error naming the file or goes through.
TEST(StatisticsFuzzRegressionTest, ReproducersAreReadOrRefusedCleanly) {
  const std::string dir = JoinPath(EDGEPIPE_SOURCE_DIR, "fuzz/regressions/statistics");
  auto names = ListDirectory(dir);
  ASSERT_TRUE(names.ok()) << names.status().message();
  EXPECT_FALSE(names->empty());
  const std::string root = FreshTempDir("statistics_fuzz_regressions");
  const std::string file = JoinPath(root, "Split-fuzz/FeatureStats.pb");
  ASSERT_TRUE(CreateDirectories(JoinPath(root, "Split-fuzz")).ok());
  for (const std::string& name : *names) {
    SCOPED_TRACE(name);
    auto bytes = ReadFile(JoinPath(dir, name));
    ASSERT_TRUE(bytes.ok()) << bytes.status().message();
    ASSERT_TRUE(WriteFileAtomic(file, *bytes).ok());
    auto read = ReadStatistics(root);
    if (!read.ok()) {
      EXPECT_TRUE(read.status().message().starts_with(file + ": ")) << read.status().message();
      continue;
    }
    EXPECT_TRUE(RenderStatisticsPage(*read, name).starts_with("<!DOCTYPE html>"));
    std::vector<data::NamedStatistics> named;
    for (const auto& d : (*read)[0].statistics.datasets()) {
      (void)data::SummarizeStatistics(d);
      named.push_back({"fuzz", &d});
    }
    if (named.empty()) continue;
    auto schema = data::InferSchema(named);
    if (!schema.ok()) {
      EXPECT_NE(schema.status().code(), Status::Code::kInternal) << schema.status().message();
    }
  }
}

// A FeatureStats.pb over the cap is refused by its size, before a byte is
// read or allocated (a sparse file: the test writes nothing).
TEST(ReadStatisticsTest, HugeFileIsRefusedBeforeReading) {
  std::string root = FreshTempDir("read_statistics_huge");
  std::string path = JoinPath(root, "Split-train/FeatureStats.pb");
  ASSERT_TRUE(CreateDirectories(JoinPath(root, "Split-train")).ok());
  ASSERT_TRUE(WriteFileAtomic(path, "").ok());
  std::filesystem::resize_file(path, kMaxStatisticsFileBytes + 1);
  const testing::ChildResult r = testing::RunBoundedChild(
      [&] {
        auto read = ReadStatistics(root);
        if (read.ok() || read.status().code() != Status::Code::kResourceExhausted) return 1;
        return read.status().message().starts_with(path + ": ") ? 0 : 2;
      },
      uint64_t{128} << 20);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_LT(r.rss_growth_kb, 16 << 10);
  auto read = ReadStatistics(path);
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.status().message().find(std::to_string(kMaxStatisticsFileBytes)),
            std::string::npos)
      << read.status().message();
}

}  // namespace
}  // namespace edgepipe::components
