#include "src/data/examples.h"

#include <gtest/gtest.h>
#include <unistd.h>


#include "src/core/files.h"
#include "src/io/example.h"
#include "src/io/tfrecord.h"

namespace edgepipe::data {
namespace {

using io::Compression;

const std::vector<FeatureSpec> kMnistSpecs = {{"image_floats", DType::kFloat32, 784},
                                              {"image_class", DType::kInt64, 1}};

// Example i has image_floats[k] = i + k / 1000 and image_class = i % 10.
std::string MakeExample(int i, int num_floats = 784) {
  tensorflow::Example ex;
  std::vector<float> floats(static_cast<size_t>(num_floats));
  for (int k = 0; k < num_floats; ++k) floats[k] = static_cast<float>(i) + k / 1000.0f;
  io::SetFloatFeature("image_floats", floats, &ex);
  io::SetInt64Feature("image_class", {i % 10}, &ex);
  return io::SerializeDeterministic(ex);
}

class ExamplesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "examples_test_" + std::to_string(::getpid());
    ASSERT_TRUE(CreateDirectories(dir_).ok());
  }
  void TearDown() override { (void)RemoveAll(dir_); }
  std::string Write(const std::string& name, const std::vector<std::string>& records) {
    std::string path = JoinPath(dir_, name);
    EXPECT_TRUE(io::WriteAllRecords(path, records, Compression::kGzip).ok());
    return path;
  }
  std::string dir_;
};

TEST_F(ExamplesTest, ReadsColumnsAcrossFilesInOrder) {
  std::vector<std::string> a, b;
  for (int i = 0; i < 3; ++i) a.push_back(MakeExample(i));
  for (int i = 3; i < 5; ++i) b.push_back(MakeExample(i));
  auto table = ReadExamples({Write("a.gz", a), Write("b.gz", b)}, kMnistSpecs);
  ASSERT_TRUE(table.ok()) << table.status().message();
  EXPECT_EQ(table->num_examples, 5);
  auto images = table->Column("image_floats");
  auto labels = table->Column("image_class");
  ASSERT_TRUE(images.ok() && labels.ok());
  EXPECT_EQ((*images)->shape(), (Shape{5, 784}));
  EXPECT_EQ((*images)->dtype(), DType::kFloat32);
  EXPECT_EQ((*labels)->shape(), (Shape{5, 1}));
  EXPECT_EQ((*labels)->dtype(), DType::kInt64);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ((*images)->data<float>()[i * 784 + 0], static_cast<float>(i));
    EXPECT_EQ((*images)->data<float>()[i * 784 + 500], static_cast<float>(i) + 0.5f);
    EXPECT_EQ((*labels)->data<int64_t>()[i], i % 10);
  }
  EXPECT_FALSE(table->Column("nope").ok());
  EXPECT_EQ(table->Column("nope").status().code(), Status::Code::kNotFound);
}

TEST_F(ExamplesTest, WrongLength) {
  std::string path = Write("x.gz", {MakeExample(0), MakeExample(1, 783)});
  auto table = ReadExamples({path}, kMnistSpecs);
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), Status::Code::kCorruption);
  EXPECT_EQ(table.status().message(),
            path + ": record 1: feature 'image_floats': expected 784 floats, got 783");
}

TEST_F(ExamplesTest, MissingFeature) {
  tensorflow::Example ex;
  io::SetFloatFeature("image_floats", std::vector<float>(784), &ex);
  std::string path = Write("x.gz", {io::SerializeDeterministic(ex)});
  auto table = ReadExamples({path}, kMnistSpecs);
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().message(),
            path + ": record 0: feature 'image_class' missing (expected 1 int64s)");
}

// An empty CSV cell (CsvExampleGen: the feature with an empty list) and an
// absent feature are an error by default; kSkipExample leaves such examples
// out and counts them, and still fails on any other mismatch.
TEST_F(ExamplesTest, MissingValuesSkippedOnlyWhenAsked) {
  tensorflow::Example empty_list;
  io::SetFloatFeature("image_floats", {}, &empty_list);
  io::SetInt64Feature("image_class", {1}, &empty_list);
  tensorflow::Example absent;
  io::SetInt64Feature("image_class", {2}, &absent);
  tensorflow::Example no_kind;
  (*no_kind.mutable_features()->mutable_feature())["image_floats"];
  io::SetInt64Feature("image_class", {3}, &no_kind);
  const std::vector<FeatureSpec> specs = {{"image_floats", DType::kFloat32, 2},
                                          {"image_class", DType::kInt64, 1}};
  tensorflow::Example full;
  io::SetFloatFeature("image_floats", {0.5f, 1.5f}, &full);
  io::SetInt64Feature("image_class", {7}, &full);
  const std::string path =
      Write("x.gz", {io::SerializeDeterministic(empty_list), io::SerializeDeterministic(full),
                     io::SerializeDeterministic(absent), io::SerializeDeterministic(no_kind)});

  auto strict = ReadExamples({path}, specs);
  ASSERT_FALSE(strict.ok());
  EXPECT_EQ(strict.status().message(),
            path + ": record 0: feature 'image_floats': expected 2 floats, got 0");

  auto table = ReadExamples({path}, specs, {.missing_values = MissingValues::kSkipExample});
  ASSERT_TRUE(table.ok()) << table.status().message();
  EXPECT_EQ(table->num_examples, 1);
  EXPECT_EQ(table->num_skipped, 3);
  EXPECT_EQ(table->columns[0].data<float>()[1], 1.5f);
  EXPECT_EQ(table->columns[1].data<int64_t>()[0], 7);

  tensorflow::Example short_list;
  io::SetFloatFeature("image_floats", {0.5f}, &short_list);
  io::SetInt64Feature("image_class", {7}, &short_list);
  const std::string bad = Write("bad.gz", {io::SerializeDeterministic(short_list)});
  auto wrong = ReadExamples({bad}, specs, {.missing_values = MissingValues::kSkipExample});
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().message(),
            bad + ": record 0: feature 'image_floats': expected 2 floats, got 1");
}

TEST_F(ExamplesTest, WrongKind) {
  tensorflow::Example ex;
  io::SetFloatFeature("image_floats", std::vector<float>(784), &ex);
  io::SetFloatFeature("image_class", {3.0f}, &ex);
  std::string path = Write("x.gz", {io::SerializeDeterministic(ex)});
  auto table = ReadExamples({path}, kMnistSpecs);
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().message(),
            path + ": record 0: feature 'image_class': expected int64_list, got float_list");
}

TEST_F(ExamplesTest, NotAnExample) {
  std::string path = Write("x.gz", {std::string("\x0a\xff\xff\xff", 4)});
  auto table = ReadExamples({path}, kMnistSpecs);
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().message(),
            path + ": record 0: not a valid tensorflow.Example (4 bytes)");
}

TEST_F(ExamplesTest, FramingErrorNamesFile) {
  std::string raw = io::EncodeRecords({MakeExample(0)});
  raw[20] ^= 1;
  std::string path = JoinPath(dir_, "bad.tfrecord");
  ASSERT_TRUE(WriteFileAtomic(path, raw).ok());
  auto table = ReadExamples({path}, kMnistSpecs);
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().message().rfind(path + ": offset 0: record data CRC mismatch", 0), 0u)
      << table.status().message();
}

TEST(ExamplesSpecTest, BadSpecsAreInvalidArgument) {
  auto check = [](std::vector<FeatureSpec> specs) {
    auto t = ParseExamples({}, specs, "mem");
    EXPECT_FALSE(t.ok());
    EXPECT_EQ(t.status().code(), Status::Code::kInvalidArgument);
  };
  check({});
  check({{"a", DType::kInt8, 1}});
  check({{"a", DType::kFloat32, 0}});
  check({{"a", DType::kFloat32, 1}, {"a", DType::kInt64, 1}});
  check({{"", DType::kFloat32, 1}});
  EXPECT_FALSE(ReadExamples({}, kMnistSpecs).ok());
}

TEST(ExamplesSpecTest, ParseExamplesInMemory) {
  auto t = ParseExamples({MakeExample(7), MakeExample(8)}, kMnistSpecs, "mem");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->num_examples, 2);
  EXPECT_EQ(t->columns[1].data<int64_t>()[1], 8);
}

// Speed is the benchmarks' business (bench/); this holds the values of a
// gzip file of 10,000 MNIST-sized examples, the last one included.
TEST_F(ExamplesTest, TenThousandMnistSizedExamplesLoad) {
  std::vector<std::string> records;
  for (int i = 0; i < 10000; ++i) records.push_back(MakeExample(i));
  std::string path = Write("mnist.gz", records);
  auto table = ReadExamples({path}, kMnistSpecs);
  ASSERT_TRUE(table.ok()) << table.status().message();
  EXPECT_EQ(table->num_examples, 10000);
  EXPECT_EQ(table->columns[0].data<float>()[9999 * 784 + 10], 9999.0f + 0.01f);
}

TEST_F(ExamplesTest, SplitFilesSortedSkippingTempAndHidden) {
  std::string uri = JoinPath(dir_, "examples");
  std::string split = JoinPath(uri, "Split-train");
  ASSERT_TRUE(CreateDirectories(JoinPath(split, "subdir")).ok());
  for (const char* name : {"data_tfrecord-00001-of-00002.gz", "data_tfrecord-00000-of-00002.gz",
                           ".hidden", "data_tfrecord-00002.gz.tmp-12-0"}) {
    ASSERT_TRUE(WriteFileAtomic(JoinPath(split, name), "x").ok());
  }
  auto files = SplitFiles(uri, "train");
  ASSERT_TRUE(files.ok()) << files.status().message();
  EXPECT_EQ(*files, (std::vector<std::string>{JoinPath(split, "data_tfrecord-00000-of-00002.gz"),
                                              JoinPath(split, "data_tfrecord-00001-of-00002.gz")}));
}

TEST_F(ExamplesTest, SplitFilesMissingFolder) {
  auto files = SplitFiles(dir_, "eval");
  ASSERT_FALSE(files.ok());
  EXPECT_EQ(files.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(files.status().message(),
            JoinPath(dir_, "Split-eval") + ": split folder does not exist");
}

TEST_F(ExamplesTest, SplitFilesEmptyFolder) {
  ASSERT_TRUE(CreateDirectories(JoinPath(dir_, "Split-eval")).ok());
  auto files = SplitFiles(dir_, "eval");
  ASSERT_FALSE(files.ok());
  EXPECT_EQ(files.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(files.status().message(),
            JoinPath(dir_, "Split-eval") + ": split folder holds no files");
}

}  // namespace
}  // namespace edgepipe::data
