#include "src/components/example_gen.h"

#include <gtest/gtest.h>

#include "src/components/component_test_util.h"
#include "src/core/sha256.h"
#include "src/core/tensor.h"
#include "src/io/example.h"
#include "src/io/idx.h"
#include "src/io/tfrecord.h"

namespace edgepipe::components {
namespace {

// 256 = 1 (mod 3), so a big-endian number is congruent to the sum of its
// bytes modulo 3: an independent way to compute the bucket.
int BucketBySumOfBytes(std::string_view data) {
  int sum = 0;
  for (uint8_t b : Sha256(data)) sum += b;
  return sum % 3;
}

TEST(PartitionBucketTest, IsTheDigestAsAnIntegerModuloBuckets) {
  for (int i = 0; i < 200; ++i) {
    std::string data = "example " + std::to_string(i);
    EXPECT_EQ(PartitionBucket(data, 3), BucketBySumOfBytes(data)) << data;
    EXPECT_EQ(PartitionBucket(data, 1), 0);
  }
}

// Writes n tiny 2x2 "images" whose pixels encode the index, and labels i % 10.
void WriteIdxPair(const std::string& dir, int n) {
  Tensor images(DType::kUInt8, {n, 2, 2});
  Tensor labels(DType::kUInt8, {n});
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < 4; ++j) images.data<uint8_t>()[i * 4 + j] = static_cast<uint8_t>(i + j);
    labels.data<uint8_t>()[i] = static_cast<uint8_t>(i % 10);
  }
  ASSERT_TRUE(io::WriteIdx(JoinPath(dir, "images-idx3-ubyte.gz"), images, true).ok());
  ASSERT_TRUE(io::WriteIdx(JoinPath(dir, "labels-idx1-ubyte.gz"), labels, true).ok());
}

TEST(ImportExampleGenTest, SplitsIdxDigitsTwoToOneWithTfxFeatures) {
  std::string root = FreshTempDir("example_gen_idx");
  std::string input = JoinPath(root, "input");
  ASSERT_TRUE(CreateDirectories(input).ok());
  const int n = 250;  // pixels i + j stay below 256
  WriteIdxPair(input, n);
  auto component = ImportExampleGen({.input_base = input});
  ASSERT_TRUE(component.ok()) << component.status().message();
  ExecutorHarness harness(*component, root);
  ASSERT_TRUE(harness.Run(*component).ok());
  const pipeline::Artifact& out = harness.output("examples");
  EXPECT_EQ(std::get<std::string>(out.properties.at("split_names")), "[\"train\", \"eval\"]");

  int64_t seen = 0;
  for (const std::string split : {"train", "eval"}) {
    auto records = io::ReadAllRecords(
        JoinPath(out.uri, "Split-" + split + "/data_tfrecord-00000-of-00001.gz"));
    ASSERT_TRUE(records.ok()) << records.status().message();
    EXPECT_EQ(std::get<int64_t>(out.custom_properties.at("num_examples_" + split)),
              static_cast<int64_t>(records->size()));
    for (const std::string& record : *records) {
      // Each example lands in the split its own hash picks.
      int bucket = BucketBySumOfBytes(record);
      EXPECT_EQ(split == "train", bucket < 2);
      auto example = io::ParseExample(record, "test");
      ASSERT_TRUE(example.ok());
      const auto& f = example->features().feature();
      const auto& floats = f.at("image_floats").float_list().value();
      ASSERT_EQ(floats.size(), 4);
      int64_t label = f.at("image_class").int64_list().value(0);
      // Recover the index from the first pixel: raw intensities, unscaled.
      int i = static_cast<int>(floats[0]);
      EXPECT_EQ(floats[0], static_cast<float>(i));
      EXPECT_EQ(label, i % 10);
      EXPECT_EQ(floats[3], static_cast<float>(i + 3));
    }
    seen += static_cast<int64_t>(records->size());
  }
  EXPECT_EQ(seen, n);
  int64_t train = std::get<int64_t>(out.custom_properties.at("num_examples_train"));
  EXPECT_GT(train, n / 2);  // about 2/3
  EXPECT_LT(train, n * 5 / 6);
}

TEST(ImportExampleGenTest, ReadsTfRecordInputAndKeepsEveryExample) {
  std::string root = FreshTempDir("example_gen_tfrecord");
  std::string input = JoinPath(root, "input");
  ASSERT_TRUE(CreateDirectories(input).ok());
  std::vector<std::string> records;
  for (int i = 0; i < 50; ++i) {
    tensorflow::Example e;
    io::SetInt64Feature("image_class", {i}, &e);
    records.push_back(io::SerializeDeterministic(e));
  }
  ASSERT_TRUE(
      io::WriteAllRecords(JoinPath(input, "data.tfrecord"), records, io::Compression::kNone).ok());
  auto component = ImportExampleGen({.input_base = input});
  ASSERT_TRUE(component.ok());
  ExecutorHarness harness(*component, root);
  ASSERT_TRUE(harness.Run(*component).ok());
  const pipeline::Artifact& out = harness.output("examples");
  EXPECT_EQ(std::get<int64_t>(out.custom_properties.at("num_examples_train")) +
                std::get<int64_t>(out.custom_properties.at("num_examples_eval")),
            50);
}

TEST(ImportExampleGenTest, MissingInputFolderIsAnErrorNamingIt) {
  auto component = ImportExampleGen({.input_base = "/nonexistent/mnist"});
  ASSERT_FALSE(component.ok());
  EXPECT_EQ(component.status().code(), Status::Code::kNotFound);
  EXPECT_TRUE(component.status().message().starts_with("/nonexistent/mnist: "))
      << component.status().message();
}

TEST(ImportExampleGenTest, FolderWithoutInputIsAnError) {
  std::string root = FreshTempDir("example_gen_empty");
  auto component = ImportExampleGen({.input_base = root});
  ASSERT_FALSE(component.ok());
  EXPECT_NE(component.status().message().find("no input found"), std::string::npos);
}

TEST(ImportExampleGenTest, TruncatedTfRecordFailsWithOffsetAndLeavesNoFile) {
  std::string root = FreshTempDir("example_gen_truncated");
  std::string input = JoinPath(root, "input");
  ASSERT_TRUE(CreateDirectories(input).ok());
  tensorflow::Example e;
  io::SetInt64Feature("image_class", {1}, &e);
  std::string bytes =
      io::EncodeRecords({io::SerializeDeterministic(e), io::SerializeDeterministic(e)});
  std::string path = JoinPath(input, "data.tfrecord");
  ASSERT_TRUE(WriteFileAtomic(path, bytes.substr(0, bytes.size() - 3)).ok());
  auto component = ImportExampleGen({.input_base = input});
  ASSERT_TRUE(component.ok());
  ExecutorHarness harness(*component, root);
  Status s = harness.Run(*component);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.message().starts_with(path + ": offset ")) << s.message();
  // The split writers never renamed their temp files into place.
  EXPECT_FALSE(PathExists(
      JoinPath(harness.output("examples").uri, "Split-train/data_tfrecord-00000-of-00001.gz")));
}

// ---- inputs without examples (issue 8) -------------------------------------

// Runs ImportExampleGen over `input` and returns the executor's Status.
Status RunExampleGen(const std::string& root, const std::string& input) {
  auto component = ImportExampleGen({.input_base = input});
  if (!component.ok()) return component.status();
  ExecutorHarness harness(*component, root);
  return harness.Run(*component);
}

TEST(ImportExampleGenTest, EmptyTfRecordIsAnErrorNamingTheFile) {
  std::string root = FreshTempDir("example_gen_empty_tfrecord");
  std::string input = JoinPath(root, "input");
  ASSERT_TRUE(CreateDirectories(input).ok());
  std::string path = JoinPath(input, "data.tfrecord");
  ASSERT_TRUE(WriteFileAtomic(path, "").ok());
  Status s = RunExampleGen(root, input);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), path + ": holds no records (expected at least one tf.Example)");
}

TEST(ImportExampleGenTest, IdxOfZeroImagesIsAnErrorNamingTheFile) {
  std::string root = FreshTempDir("example_gen_zero_idx");
  std::string input = JoinPath(root, "input");
  ASSERT_TRUE(CreateDirectories(input).ok());
  WriteIdxPair(input, 0);
  Status s = RunExampleGen(root, input);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), JoinPath(input, "images-idx3-ubyte.gz") +
                             ": holds 0 images (expected at least one example)");
}

TEST(ImportExampleGenTest, SplitWithoutExamplesIsAnErrorNamingTheSplit) {
  std::string root = FreshTempDir("example_gen_empty_split");
  std::string input = JoinPath(root, "input");
  ASSERT_TRUE(CreateDirectories(input).ok());
  tensorflow::Example e;
  io::SetInt64Feature("image_class", {7}, &e);
  const std::string record = io::SerializeDeterministic(e);
  ASSERT_TRUE(
      io::WriteAllRecords(JoinPath(input, "one.tfrecord"), {record}, io::Compression::kNone).ok());
  // One example lands in one split; the other gets none.
  const std::string empty = PartitionBucket(record, 3) < 2 ? "eval" : "train";
  const std::string buckets = empty == "eval" ? "1" : "2";
  auto component = ImportExampleGen({.input_base = input});
  ASSERT_TRUE(component.ok());
  ExecutorHarness harness(*component, root);
  Status s = harness.Run(*component);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), input + ": split '" + empty + "' got 0 of the 1 examples (hash_buckets " +
                             buckets + " of 3; expected at least one example per split)");
  // Nothing was published.
  EXPECT_FALSE(PathExists(
      JoinPath(harness.output("examples").uri, "Split-train/data_tfrecord-00000-of-00001.gz")));
}

// ---- TFX's input patterns: span, version, date (shared by the ExampleGens) --

void Touch(const std::string& root, const std::string& rel) {
  const std::string path = JoinPath(root, rel);
  ASSERT_TRUE(CreateDirectories(path.substr(0, path.rfind('/'))).ok());
  ASSERT_TRUE(WriteFileAtomic(path, "x").ok());
}

std::vector<std::string> Rel(const std::string& root, const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const std::string& p : paths) out.push_back(p.substr(root.size() + 1));
  return out;
}

TEST(ResolveInputSplitsTest, GlobMatchesRegularFilesPerPathComponent) {
  const std::string root = FreshTempDir("resolve_glob");
  for (const char* rel : {"a.csv", "b.csv", ".hidden.csv", "c.txt", "sub/d.csv", "sub/e.csv"}) {
    Touch(root, rel);
  }
  auto r = ResolveInputSplits(root, {{"s", "*.csv"}});
  ASSERT_TRUE(r.ok()) << r.status().message();
  // '*' crosses no '/', and skips dot files and folders, as TFX's glob.
  EXPECT_EQ(Rel(root, r->files[0]), (std::vector<std::string>{"a.csv", "b.csv"}));
  EXPECT_EQ(r->span, 0);
  EXPECT_FALSE(r->version.has_value());
  r = ResolveInputSplits(root, {{"s", "*"}, {"t", "s?b/[de].csv"}});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Rel(root, r->files[0]), (std::vector<std::string>{"a.csv", "b.csv", "c.txt"}));
  EXPECT_EQ(Rel(root, r->files[1]), (std::vector<std::string>{"sub/d.csv", "sub/e.csv"}));
}

TEST(ResolveInputSplitsTest, LatestSpanThenLatestVersion) {
  const std::string root = FreshTempDir("resolve_span");
  for (const char* rel : {"span-1/v-5/x.csv", "span-12/v-2/x.csv", "span-12/v-10/x.csv",
                          "span-12/v-10/y.csv", "span-3/v-99/x.csv"}) {
    Touch(root, rel);
  }
  auto r = ResolveInputSplits(root, {{"train", "span-{SPAN}/v-{VERSION}/*"}});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->span, 12);
  EXPECT_EQ(r->version, 10);
  EXPECT_EQ(r->splits[0].pattern, "span-12/v-10/*");
  EXPECT_EQ(Rel(root, r->files[0]),
            (std::vector<std::string>{"span-12/v-10/x.csv", "span-12/v-10/y.csv"}));
  // Without a version spec: the latest span's files of every version.
  r = ResolveInputSplits(root, {{"train", "span-{SPAN}/*/*"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->span, 12);
  EXPECT_FALSE(r->version.has_value());
  EXPECT_EQ(r->files[0].size(), 3u);
}

TEST(ResolveInputSplitsTest, SpanWidthIgnoresFilesOfOtherWidths) {
  const std::string root = FreshTempDir("resolve_width");
  for (const char* rel : {"data_02.csv", "data_27.csv", "data_123.csv", "data_1.csv"}) {
    Touch(root, rel);
  }
  auto r = ResolveInputSplits(root, {{"s", "data_{SPAN:2}.csv"}});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->span, 27);
  EXPECT_EQ(Rel(root, r->files[0]), (std::vector<std::string>{"data_27.csv"}));
}

TEST(ResolveInputSplitsTest, DateSpecsGiveDaysSinceTheEpoch) {
  const std::string root = FreshTempDir("resolve_date");
  Touch(root, "log-19700101.csv");
  Touch(root, "log-20170101.csv");
  auto r = ResolveInputSplits(root, {{"s", "log-{YYYY}{MM}{DD}.csv"}});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->span, 17167);  // TFX's example in example_gen.proto
  EXPECT_EQ(r->splits[0].pattern, "log-20170101.csv");
  Touch(root, "log-20170231.csv");
  r = ResolveInputSplits(root, {{"s", "log-{YYYY}{MM}{DD}.csv"}});
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("log-20170231.csv holds no valid date"), std::string::npos)
      << r.status().message();
}

TEST(ResolveInputSplitsTest, SplitsMustAgreeOnSpanAndVersion) {
  const std::string root = FreshTempDir("resolve_agree");
  Touch(root, "train/span-2/a.csv");
  Touch(root, "eval/span-1/a.csv");
  auto r =
      ResolveInputSplits(root, {{"train", "train/span-{SPAN}/*"}, {"eval", "eval/span-{SPAN}/*"}});
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            root +
                ": input split 'eval' resolves to span 1, split 'train' to span 2 (expected "
                "the same latest span and version in every split)");
}

TEST(ResolveInputSplitsTest, MisusedSpecsAreErrors) {
  const std::string root = FreshTempDir("resolve_specs");
  Touch(root, "span-x/a.csv");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"v-{VERSION}/*", "{VERSION} without {SPAN} or date specs"},
      {"{SPAN}/{SPAN}/*", "more than one {SPAN}"},
      {"{SPAN}-{YYYY}{MM}{DD}", "{SPAN} and date specs cannot be used together"},
      {"{YYYY}{MM}", "expected exactly one each of {YYYY}, {MM} and {DD}"},
      {"{SPAN:0}/*", "width '0' is not a positive integer"},
      {"{SPAN:x}/*", "width 'x' is not a positive integer"},
      {"span-{SPAN}/*", "cannot read a span number from 'x'"},
  };
  for (const auto& [pattern, want] : cases) {
    auto r = ResolveInputSplits(root, {{"s", pattern}});
    ASSERT_FALSE(r.ok()) << pattern;
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << pattern;
    EXPECT_NE(r.status().message().find(want), std::string::npos) << r.status().message();
  }
  auto r = ResolveInputSplits(root, {{"s", "span-{SPAN}.csv"}});
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound);
}

}  // namespace
}  // namespace edgepipe::components
