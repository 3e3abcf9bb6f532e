#include "src/components/csv_example_gen.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "src/components/component_test_util.h"
#include "src/core/sha256.h"
#include "src/io/example.h"
#include "src/io/tfrecord.h"

namespace edgepipe::components {
namespace {

void WriteText(const std::string& path, const std::string& text) {
  ASSERT_TRUE(CreateDirectories(path.substr(0, path.rfind('/'))).ok());
  ASSERT_TRUE(WriteFileAtomic(path, text).ok());
}

// Penguin-like rows: id (INT), bill (FLOAT, some empty), species (BYTES, some
// quoted with a comma), island (BYTES), one column empty everywhere.
std::string PenguinCsv(int first_id, int n) {
  static const char* kSpecies[] = {"Adelie", "Gentoo", "\"Chinstrap, pygoscelis\""};
  std::string csv = "id,bill_length_mm,species,island,comment\n";
  for (int i = first_id; i < first_id + n; ++i) {
    csv += std::to_string(i) + ",";
    if (i % 7 != 0) csv += std::to_string(30 + i % 20) + "." + std::to_string(i % 10);
    csv += std::string(",") + kSpecies[i % 3] + ",island" + std::to_string(i % 5) + ",\n";
  }
  return csv;
}

struct SplitRecords {
  std::map<std::string, std::vector<std::string>> records;  // split -> serialized examples
};

SplitRecords ReadSplits(const pipeline::Artifact& out, const std::vector<std::string>& splits) {
  SplitRecords r;
  for (const std::string& split : splits) {
    auto records = io::ReadAllRecords(
        JoinPath(out.uri, "Split-" + split + "/data_tfrecord-00000-of-00001.gz"));
    EXPECT_TRUE(records.ok()) << records.status().message();
    if (records.ok()) r.records[split] = *records;
    EXPECT_EQ(std::get<int64_t>(out.custom_properties.at("num_examples_" + split)),
              static_cast<int64_t>(r.records[split].size()));
  }
  return r;
}

tensorflow::Example Parse(const std::string& record) {
  auto e = io::ParseExample(record, "test");
  EXPECT_TRUE(e.ok());
  return e.ok() ? *e : tensorflow::Example();
}

int64_t Id(const tensorflow::Example& e) {
  return e.features().feature().at("id").int64_list().value(0);
}

// Runs the built component in a harness; returns the run's status.
struct CsvRun {
  std::unique_ptr<ExecutorHarness> harness;
  Status status;
};
CsvRun RunCsv(const std::string& root, const CsvExampleGenOptions& options) {
  CsvRun run;
  auto component = CsvExampleGen(options);
  if (!component.ok()) {
    run.status = component.status();
    return run;
  }
  run.harness = std::make_unique<ExecutorHarness>(*component, root);
  run.status = run.harness->Run(*component);
  return run;
}

TEST(CsvExampleGenTest, HashSplitsThreeToOneLandEachExampleWhereItsHashSays) {
  const std::string root = FreshTempDir("csv_gen_hash");
  const std::string input = JoinPath(root, "data");
  WriteText(JoinPath(input, "a.csv"), PenguinCsv(0, 150));
  WriteText(JoinPath(input, "b.csv"), PenguinCsv(150, 150));
  CsvRun run = RunCsv(root, {.input_base = input,
                             .output_splits = std::vector<SplitConfig>{{"train", 3}, {"eval", 1}}});
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  const pipeline::Artifact& out = run.harness->output("examples");
  EXPECT_EQ(std::get<std::string>(out.properties.at("split_names")), "[\"train\", \"eval\"]");
  EXPECT_EQ(std::get<int64_t>(out.properties.at("span")), 0);
  EXPECT_EQ(out.properties.count("version"), 0u);
  EXPECT_EQ(std::get<std::string>(out.custom_properties.at("payload_format")), "FORMAT_TF_EXAMPLE");
  EXPECT_EQ(std::get<std::string>(out.custom_properties.at("input_fingerprint")),
            run.harness->exec_properties.at("input_fingerprint").get<std::string>());

  SplitRecords r = ReadSplits(out, {"train", "eval"});
  std::set<int64_t> ids;
  for (const auto& [split, records] : r.records) {
    for (const std::string& record : records) {
      // 4 buckets: the digest as a big-endian number mod 4 is its last byte mod 4.
      const int bucket = Sha256(record)[31] % 4;
      EXPECT_EQ(split == "train", bucket < 3) << split;
      // Deterministic serialization: parsing and reserializing gives the same bytes.
      const tensorflow::Example e = Parse(record);
      EXPECT_EQ(io::SerializeDeterministic(e), record);
      ids.insert(Id(e));
    }
  }
  EXPECT_EQ(ids.size(), 300u);
  const size_t train = r.records["train"].size();
  EXPECT_GT(train, 190u);  // about 3/4 of 300
  EXPECT_LT(train, 260u);
}

TEST(CsvExampleGenTest, RowsBecomeExamplesAsTfxMakesThem) {
  const std::string root = FreshTempDir("csv_gen_rows");
  const std::string input = JoinPath(root, "data");
  WriteText(JoinPath(input, "p.csv"), PenguinCsv(0, 60));
  CsvRun run = RunCsv(root, {.input_base = input});  // TFX's default: train 2 : eval 1
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  SplitRecords r = ReadSplits(run.harness->output("examples"), {"train", "eval"});
  std::map<int64_t, tensorflow::Example> by_id;
  for (const auto& [split, records] : r.records) {
    for (const std::string& record : records) {
      EXPECT_EQ(split == "train", PartitionBucket(record, 3) < 2);
      tensorflow::Example e = Parse(record);
      by_id[Id(e)] = e;
    }
  }
  ASSERT_EQ(by_id.size(), 60u);
  const auto& f8 = by_id.at(8).features().feature();
  EXPECT_EQ(f8.at("bill_length_mm").float_list().value(0), 38.8f);
  EXPECT_EQ(f8.at("species").bytes_list().value(0), "Chinstrap, pygoscelis");
  EXPECT_EQ(f8.at("island").bytes_list().value(0), "island3");
  // The empty-everywhere column: a feature with no kind, as TFX writes it.
  EXPECT_EQ(f8.at("comment").kind_case(), tensorflow::Feature::KIND_NOT_SET);
  // An empty cell: the feature is there with no values.
  const auto& f7 = by_id.at(7).features().feature();
  ASSERT_TRUE(f7.at("bill_length_mm").has_float_list());
  EXPECT_EQ(f7.at("bill_length_mm").float_list().value_size(), 0);
}

TEST(CsvExampleGenTest, PartitionFeatureKeepsEqualValuesInOneSplit) {
  const std::string root = FreshTempDir("csv_gen_partition");
  const std::string input = JoinPath(root, "data");
  std::string csv = "user,item,score\n";
  for (int i = 0; i < 200; ++i) {
    csv += "user" + std::to_string(i % 23) + "," + std::to_string(i % 17) + "," +
           std::to_string(i) + ".5\n";
  }
  WriteText(JoinPath(input, "events.csv"), csv);
  for (const std::string column : {"user", "item"}) {
    CsvRun run = RunCsv(JoinPath(root, column),
                        {.input_base = input,
                         .output_splits = std::vector<SplitConfig>{{"train", 3}, {"eval", 1}},
                         .partition_feature_name = column});
    ASSERT_TRUE(run.status.ok()) << run.status.message();
    SplitRecords r = ReadSplits(run.harness->output("examples"), {"train", "eval"});
    std::map<std::string, std::string> split_of;  // feature bytes -> split
    for (const auto& [split, records] : r.records) {
      for (const std::string& record : records) {
        const tensorflow::Example e = Parse(record);
        const tensorflow::Feature& f = e.features().feature().at(column);
        // TFX hashes the feature's own serialization.
        const std::string key = f.SerializeAsString();
        EXPECT_EQ(split == "train", PartitionBucket(key, 4) < 3);
        auto [it, inserted] = split_of.emplace(key, split);
        EXPECT_EQ(it->second, split) << column << ": equal values in two splits";
      }
    }
    EXPECT_EQ(split_of.size(), column == "user" ? 23u : 17u);
  }
}

TEST(CsvExampleGenTest, PartitionFeatureMustBeAnIntOrBytesColumn) {
  const std::string root = FreshTempDir("csv_gen_partition_bad");
  const std::string input = JoinPath(root, "data");
  const std::string path = JoinPath(input, "x.csv");
  WriteText(path, "a,f,e\n1,1.5,\n2,2.5,\n");
  const std::vector<SplitConfig> splits = {{"train", 1}, {"eval", 1}};
  Status s =
      RunCsv(root, {.input_base = input, .output_splits = splits, .partition_feature_name = "f"})
          .status;
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), path +
                             ": partition_feature_name 'f' is a FLOAT column (expected INT or "
                             "BYTES: TFX partitions by int64_list and bytes_list features)");
  s = RunCsv(root, {.input_base = input, .output_splits = splits, .partition_feature_name = "e"})
          .status;
  EXPECT_NE(s.message().find("is a UNKNOWN column"), std::string::npos) << s.message();
  s = RunCsv(root, {.input_base = input, .output_splits = splits, .partition_feature_name = "z"})
          .status;
  EXPECT_EQ(s.message(), path +
                             ": partition_feature_name 'z' is not a column (expected one of "
                             "the header's names)");
}

TEST(CsvExampleGenTest, PreSplitInputKeepsItsSplitsAndTypesEachSplitAlone) {
  const std::string root = FreshTempDir("csv_gen_presplit");
  const std::string input = JoinPath(root, "data");
  WriteText(JoinPath(input, "train/part-0.csv"), "id,x\n1,5\n2,6\n");
  WriteText(JoinPath(input, "train/part-1.csv"), "id,x\n3,7\n");
  WriteText(JoinPath(input, "eval/part-0.csv"), "id,x\n4,0.5\n");
  CsvRun run = RunCsv(
      root, {.input_base = input, .input_splits = {{"train", "train/*"}, {"eval", "eval/*"}}});
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  const pipeline::Artifact& out = run.harness->output("examples");
  EXPECT_EQ(std::get<std::string>(out.properties.at("split_names")), "[\"train\", \"eval\"]");
  SplitRecords r = ReadSplits(out, {"train", "eval"});
  ASSERT_EQ(r.records["train"].size(), 3u);
  ASSERT_EQ(r.records["eval"].size(), 1u);
  std::vector<int64_t> train_ids;
  for (const std::string& record : r.records["train"]) {
    const tensorflow::Example e = Parse(record);
    train_ids.push_back(Id(e));
    EXPECT_TRUE(e.features().feature().at("x").has_int64_list());  // INT in train
  }
  EXPECT_EQ(train_ids, (std::vector<int64_t>{1, 2, 3}));  // file order, row order
  const tensorflow::Example eval = Parse(r.records["eval"][0]);
  EXPECT_EQ(eval.features().feature().at("x").float_list().value(0), 0.5f);  // FLOAT in eval
}

TEST(CsvExampleGenTest, SpanAndVersionPickTheLatestFiles) {
  const std::string root = FreshTempDir("csv_gen_span");
  const std::string input = JoinPath(root, "data");
  WriteText(JoinPath(input, "span-01/v-9/data.csv"), "id\n19\n");
  WriteText(JoinPath(input, "span-02/v-1/data.csv"), "id\n21\n");
  WriteText(JoinPath(input, "span-02/v-3/data.csv"), "id\n23\n24\n25\n26\n27\n28\n");
  WriteText(JoinPath(input, "span-02/v-3/more.csv"), "id\n29\n");
  CsvRun run = RunCsv(root, {.input_base = input,
                             .input_splits = {{"single_split", "span-{SPAN:2}/v-{VERSION}/*.csv"}},
                             .output_splits = std::vector<SplitConfig>{{"all", 1}}});
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  const pipeline::Artifact& out = run.harness->output("examples");
  EXPECT_EQ(std::get<int64_t>(out.properties.at("span")), 2);
  EXPECT_EQ(std::get<int64_t>(out.properties.at("version")), 3);
  EXPECT_EQ(run.harness->exec_properties.at("input_config").dump(),
            R"({"splits":[{"name":"single_split","pattern":"span-02/v-3/*.csv"}]})");
  EXPECT_EQ(run.harness->exec_properties.at("span"), 2);
  EXPECT_EQ(run.harness->exec_properties.at("version"), 3);
  std::set<int64_t> ids;
  SplitRecords r = ReadSplits(out, {"all"});
  for (const std::string& record : r.records["all"]) {
    ids.insert(Id(Parse(record)));
  }
  EXPECT_EQ(ids, (std::set<int64_t>{23, 24, 25, 26, 27, 28, 29}));
}

TEST(CsvExampleGenTest, SplitWithoutExamplesIsAnErrorNamingIt) {
  const std::string root = FreshTempDir("csv_gen_empty_split");
  const std::string input = JoinPath(root, "data");
  WriteText(JoinPath(input, "train/a.csv"), "id\n1\n2\n");
  WriteText(JoinPath(input, "eval/a.csv"), "id\n");  // a header and no rows
  CsvRun run = RunCsv(
      root, {.input_base = input, .input_splits = {{"train", "train/*"}, {"eval", "eval/*"}}});
  EXPECT_EQ(run.status.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(run.status.message(),
            input +
                ": split 'eval' got 0 of the 2 examples (input pattern 'eval/*'; expected at "
                "least one example per split)");
  EXPECT_FALSE(PathExists(JoinPath(run.harness->output("examples").uri,
                                   "Split-train/data_tfrecord-00000-of-00001.gz")));

  // By hash: one row lands in one of two splits.
  const std::string one = JoinPath(root, "one");
  WriteText(JoinPath(one, "a.csv"), "id\n1\n");
  run = RunCsv(root, {.input_base = one});
  EXPECT_EQ(run.status.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(run.status.message().find("got 0 of the 1 examples (hash_buckets "), std::string::npos)
      << run.status.message();
}

TEST(CsvExampleGenTest, BadCsvFailsTheRunNamingFileLineAndColumn) {
  const std::string root = FreshTempDir("csv_gen_bad");
  const std::string input = JoinPath(root, "data");
  const std::string path = JoinPath(input, "b.csv");
  WriteText(JoinPath(input, "a.csv"), PenguinCsv(0, 20));
  WriteText(path, "id,bill_length_mm,species,island,comment\n1,2.5,x,y,\n2,3.5,\"open,y,\n");
  CsvRun run = RunCsv(root, {.input_base = input});
  EXPECT_EQ(run.status.code(), Status::Code::kInvalidArgument);
  EXPECT_TRUE(run.status.message().starts_with(path + ": line 3, column 3 (\"species\"): "))
      << run.status.message();
  EXPECT_FALSE(PathExists(JoinPath(run.harness->output("examples").uri,
                                   "Split-train/data_tfrecord-00000-of-00001.gz")));
}

TEST(CsvExampleGenTest, DifferentHeadersInOneSplitAreAnError) {
  const std::string root = FreshTempDir("csv_gen_headers");
  const std::string input = JoinPath(root, "data");
  WriteText(JoinPath(input, "a.csv"), "id,x\n1,2\n");
  WriteText(JoinPath(input, "b.csv"), "id,y\n1,2\n");
  Status s = RunCsv(root, {.input_base = input}).status;
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_TRUE(s.message().starts_with(JoinPath(input, "b.csv") + ": header differs from " +
                                      JoinPath(input, "a.csv") + "'s"))
      << s.message();
}

TEST(CsvExampleGenTest, InputChangedSinceBuildFailsInsteadOfPublishing) {
  const std::string root = FreshTempDir("csv_gen_changed");
  const std::string input = JoinPath(root, "data");
  WriteText(JoinPath(input, "a.csv"), PenguinCsv(0, 30));
  auto component = CsvExampleGen({.input_base = input});
  ASSERT_TRUE(component.ok());
  WriteText(JoinPath(input, "a.csv"), PenguinCsv(0, 31));
  ExecutorHarness harness(*component, root);
  Status s = harness.Run(*component);
  EXPECT_EQ(s.code(), Status::Code::kFailedPrecondition);
  EXPECT_TRUE(
      s.message().starts_with(input + ": input files changed since the component was built"))
      << s.message();
}

TEST(CsvExampleGenTest, ConfigErrorsAreFoundWhenBuilding) {
  const std::string root = FreshTempDir("csv_gen_config");
  const std::string input = JoinPath(root, "data");
  WriteText(JoinPath(input, "train/a.csv"), "id\n1\n");
  WriteText(JoinPath(input, "eval/a.csv"), "id\n1\n");
  auto c = CsvExampleGen({.input_base = input,
                          .input_splits = {{"train", "train/*"}, {"eval", "eval/*"}},
                          .output_splits = std::vector<SplitConfig>{{"train", 2}, {"eval", 1}}});
  EXPECT_EQ(c.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(c.status().message().find("output splits need exactly one input split"),
            std::string::npos);
  c = CsvExampleGen({.input_base = input,
                     .input_splits = {{"train", "train/*"}, {"eval", "eval/*"}},
                     .partition_feature_name = "id"});
  EXPECT_NE(c.status().message().find("needs output hash splits"), std::string::npos);
  c = CsvExampleGen(
      {.input_base = input, .output_splits = std::vector<SplitConfig>{{"train", 2}, {"train", 1}}});
  EXPECT_EQ(c.status().message(),
            "CsvExampleGen: split 'train' named twice (expected unique split names)");
  c = CsvExampleGen(
      {.input_base = input, .output_splits = std::vector<SplitConfig>{{"train", 0}, {"eval", 1}}});
  EXPECT_EQ(c.status().code(), Status::Code::kInvalidArgument);
  c = CsvExampleGen({.input_base = input, .input_splits = {{"single_split", "test/*"}}});
  EXPECT_EQ(c.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(c.status().message(),
            input + ": input split 'single_split' pattern 'test/*' matches no file");
  c = CsvExampleGen({.input_base = JoinPath(root, "missing")});
  EXPECT_EQ(c.status().code(), Status::Code::kNotFound);
}

}  // namespace
}  // namespace edgepipe::components
