// Our TFRecords of tf.Examples against a third-party reader and writer: the
// npm package @roboflow/tfrecords 1.0.4, driven by tests/js/tfrecords_*.js.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "src/core/files.h"
#include "src/io/example.h"
#include "src/io/tfrecord.h"
#include "tests/support/subprocess.h"

namespace edgepipe::io {
namespace {

using edgepipe::testing::NodeCommand;
using edgepipe::testing::RunCommand;
using nlohmann::json;

constexpr int kNumRecords = 12;

// Record i: image_floats[k] varies per record and position (negative,
// fractional, large, tiny), image_class = (7 * i) % 10.
std::vector<float> OurFloats(int i) {
  std::vector<float> v(784);
  for (int k = 0; k < 784; ++k) {
    v[k] = static_cast<float>((i * 131 + k * 17) % 997) / 97.0f - 3.0f;
  }
  v[0] = 1e-30f * static_cast<float>(i + 1);
  v[1] = -1e30f;
  return v;
}
int64_t OurClass(int i) { return (7 * i) % 10; }

// What tests/js/tfrecords_write.js puts in record i (computed in double, as
// JavaScript does, then stored as float32 by the package).
float TheirFloat(int i, int k) { return static_cast<float>(((i * 784 + k) % 256) / 255.0 - 0.25); }

class TFRecordInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "tfrecord_interop_" + std::to_string(::getpid());
    ASSERT_TRUE(CreateDirectories(dir_).ok());
  }
  void TearDown() override { (void)RemoveAll(dir_); }

  std::vector<std::string> OurRecords() {
    std::vector<std::string> records;
    for (int i = 0; i < kNumRecords; ++i) {
      tensorflow::Example ex;
      SetFloatFeature("image_floats", OurFloats(i), &ex);
      SetInt64Feature("image_class", {OurClass(i)}, &ex);
      records.push_back(SerializeDeterministic(ex));
    }
    return records;
  }

  // Runs tfrecords_read.js on `path` and parses its JSON.
  json ReadWithRoboflow(const std::string& path) {
    auto run = RunCommand(NodeCommand("tfrecords_read.js", "'" + path + "'"));
    EXPECT_EQ(run.exit_code, 0) << run.out;
    try {
      return json::parse(run.out);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "bad JSON from tfrecords_read.js: " << e.what() << "\n" << run.out;
      return json::object();
    }
  }

  std::string dir_;
};

TEST_F(TFRecordInteropTest, OurGzipFileReadByRoboflow) {
  const std::string path = JoinPath(dir_, "data_tfrecord-00000-of-00001.gz");
  ASSERT_TRUE(WriteAllRecords(path, OurRecords(), Compression::kGzip).ok());

  json out = ReadWithRoboflow(path);
  ASSERT_EQ(out.value("count", -1), kNumRecords);
  EXPECT_TRUE(out["messages"].empty()) << out["messages"].dump();
  for (int i = 0; i < kNumRecords; ++i) {
    const json& rec = out["records"][i];
    ASSERT_EQ(rec["image_floats"]["kind"], "float_list");
    const json& values = rec["image_floats"]["values"];
    ASSERT_EQ(values.size(), 784u);
    const std::vector<float> want = OurFloats(i);
    for (int k = 0; k < 784; ++k) {
      // JavaScript holds the float32 as a double: exact after narrowing.
      ASSERT_EQ(static_cast<float>(values[k].get<double>()), want[k]) << i << "," << k;
    }
    ASSERT_EQ(rec["image_class"]["kind"], "int64_list");
    EXPECT_EQ(rec["image_class"]["values"], json::array({OurClass(i)}));
  }
}

TEST_F(TFRecordInteropTest, RoboflowFileReadByUs) {
  const std::string path = JoinPath(dir_, "theirs.gz");
  auto run = RunCommand(NodeCommand("tfrecords_write.js", "'" + path + "' 9"));
  ASSERT_EQ(run.exit_code, 0) << run.out;

  auto records = ReadAllRecords(path);
  ASSERT_TRUE(records.ok()) << records.status().message();
  ASSERT_EQ(records->size(), 9u);
  for (int i = 0; i < 9; ++i) {
    auto ex = ParseExample((*records)[i], path + ": record " + std::to_string(i));
    ASSERT_TRUE(ex.ok()) << ex.status().message();
    const auto& fmap = ex->features().feature();
    ASSERT_EQ(fmap.count("image_floats"), 1u);
    const auto& floats = fmap.at("image_floats").float_list();
    ASSERT_EQ(floats.value_size(), 784);
    for (int k = 0; k < 784; ++k) ASSERT_EQ(floats.value(k), TheirFloat(i, k)) << i << "," << k;
    ASSERT_EQ(fmap.at("image_class").int64_list().value_size(), 1);
    EXPECT_EQ(fmap.at("image_class").int64_list().value(0), i % 10);
    ASSERT_EQ(fmap.at("name").bytes_list().value_size(), 1);
    EXPECT_EQ(fmap.at("name").bytes_list().value(0), "digit-" + std::to_string(i));
  }
}

TEST_F(TFRecordInteropTest, BothReadersStopAtTheSameCorruptRecord) {
  // Flip one data byte of record 5, then gzip: both readers must accept
  // records 0..4 and reject record 5.
  std::vector<std::string> records = OurRecords();
  std::string raw = EncodeRecords(records);
  size_t at = 0;
  for (int i = 0; i < 5; ++i) at += records[i].size() + 16;
  raw[at + 12 + 100] ^= 0x01;
  const std::string path = JoinPath(dir_, "corrupt.gz");
  ASSERT_TRUE(WriteFileAtomic(path, GzipCompress(raw)).ok());

  json out = ReadWithRoboflow(path);
  EXPECT_EQ(out.value("count", -1), 5);
  EXPECT_EQ(out["messages"], json::array({"Wrong Data CRC"}));

  auto reader = TFRecordReader::Open(path);
  ASSERT_TRUE(reader.ok());
  std::string rec;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(*(*reader)->ReadRecord(&rec)) << i;
  auto bad = (*reader)->ReadRecord(&rec);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().rfind(
                path + ": offset " + std::to_string(at) + ": record data CRC mismatch", 0),
            0u)
      << bad.status().message();
}

}  // namespace
}  // namespace edgepipe::io
