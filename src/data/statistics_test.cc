#include "src/data/statistics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "src/core/files.h"
#include "src/io/example.h"
#include "src/io/tfrecord.h"
#include "tests/support/temp_dir.h"

namespace edgepipe::data {
namespace {

using ::edgepipe::testing::FreshTempDir;

const tfmd::FeatureNameStatistics* Find(const tfmd::DatasetFeatureStatistics& stats,
                                        const std::string& name) {
  for (const auto& f : stats.features()) {
    if (FeatureName(f) == name) return &f;
  }
  ADD_FAILURE() << "no feature " << name;
  return nullptr;
}

// Four examples whose statistics are worked out by hand below:
//   ex  i (int64)   f (float)    s (bytes)      vec (3 floats)
//   0   [1, 2]      [0.5]        [a, bb]        [1, 2, 3]
//   1   [3]         [NaN]        [a]            [4, 5, 6]
//   2   []          [0, 1.5]     -              [7, 8, 9]
//   3   -           [-1]         [c, a, bb]     [0, 0, 0]
std::vector<std::string> HandExamples() {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<tensorflow::Example> ex(4);
  io::SetInt64Feature("i", {1, 2}, &ex[0]);
  io::SetInt64Feature("i", {3}, &ex[1]);
  io::SetInt64Feature("i", {}, &ex[2]);
  io::SetFloatFeature("f", {0.5f}, &ex[0]);
  io::SetFloatFeature("f", {nan}, &ex[1]);
  io::SetFloatFeature("f", {0.0f, 1.5f}, &ex[2]);
  io::SetFloatFeature("f", {-1.0f}, &ex[3]);
  io::SetBytesFeature("s", {"a", "bb"}, &ex[0]);
  io::SetBytesFeature("s", {"a"}, &ex[1]);
  io::SetBytesFeature("s", {"c", "a", "bb"}, &ex[3]);
  io::SetFloatFeature("vec", {1, 2, 3}, &ex[0]);
  io::SetFloatFeature("vec", {4, 5, 6}, &ex[1]);
  io::SetFloatFeature("vec", {7, 8, 9}, &ex[2]);
  io::SetFloatFeature("vec", {0, 0, 0}, &ex[3]);
  std::vector<std::string> out;
  for (const auto& e : ex) out.push_back(io::SerializeDeterministic(e));
  return out;
}

void ExpectHandStatistics(const tfmd::DatasetFeatureStatistics& stats) {
  EXPECT_EQ(stats.num_examples(), 4u);
  ASSERT_EQ(stats.features_size(), 4);
  EXPECT_EQ(FeatureName(stats.features(0)), "f");  // sorted by name

  const auto* i = Find(stats, "i");
  ASSERT_NE(i, nullptr);
  EXPECT_EQ(i->type(), tfmd::FeatureNameStatistics::INT);
  const auto& in = i->num_stats();
  EXPECT_EQ(in.common_stats().num_non_missing(), 3u);  // an empty list is present
  EXPECT_EQ(in.common_stats().num_missing(), 1u);
  EXPECT_EQ(in.common_stats().min_num_values(), 0u);
  EXPECT_EQ(in.common_stats().max_num_values(), 2u);
  EXPECT_EQ(in.common_stats().tot_num_values(), 3u);
  EXPECT_FLOAT_EQ(in.common_stats().avg_num_values(), 1.0f);
  EXPECT_DOUBLE_EQ(in.mean(), 2.0);
  EXPECT_NEAR(in.std_dev(), std::sqrt(2.0 / 3.0), 1e-12);
  EXPECT_EQ(in.min(), 1);
  EXPECT_EQ(in.max(), 3);
  EXPECT_EQ(in.median(), 2);
  EXPECT_EQ(in.num_zeros(), 0u);
  ASSERT_EQ(in.histograms_size(), 2);
  const tfmd::Histogram& standard = in.histograms(0);
  EXPECT_EQ(standard.type(), tfmd::Histogram::STANDARD);
  ASSERT_EQ(standard.buckets_size(), 10);
  EXPECT_DOUBLE_EQ(standard.buckets(0).low_value(), 1.0);
  EXPECT_DOUBLE_EQ(standard.buckets(0).high_value(), 1.2);
  EXPECT_EQ(standard.buckets(0).sample_count(), 1);
  EXPECT_EQ(standard.buckets(9).high_value(), 3);
  EXPECT_EQ(standard.buckets(9).sample_count(), 1);  // the last bucket is closed
  double total = 0;
  for (const auto& b : standard.buckets()) total += b.sample_count();
  EXPECT_EQ(total, 3);
  const tfmd::Histogram& quantiles = in.histograms(1);
  EXPECT_EQ(quantiles.type(), tfmd::Histogram::QUANTILES);
  ASSERT_EQ(quantiles.buckets_size(), 10);
  EXPECT_EQ(quantiles.buckets(0).low_value(), 1);
  EXPECT_EQ(quantiles.buckets(3).high_value(), 2);  // q = 0.4: rank ceil(1.2) = 2
  EXPECT_EQ(quantiles.buckets(9).high_value(), 3);
  EXPECT_DOUBLE_EQ(quantiles.buckets(0).sample_count(), 0.3);
  // Values per example 2, 1, 0: quantiles of those.
  const tfmd::Histogram& nv = in.common_stats().num_values_histogram();
  EXPECT_EQ(nv.type(), tfmd::Histogram::QUANTILES);
  ASSERT_EQ(nv.buckets_size(), 10);
  EXPECT_EQ(nv.buckets(0).low_value(), 0);
  EXPECT_EQ(nv.buckets(9).high_value(), 2);

  const auto* f = Find(stats, "f");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->type(), tfmd::FeatureNameStatistics::FLOAT);
  const auto& fn = f->num_stats();
  EXPECT_EQ(fn.common_stats().num_non_missing(), 4u);
  EXPECT_EQ(fn.common_stats().num_missing(), 0u);
  EXPECT_EQ(fn.common_stats().tot_num_values(), 5u);
  EXPECT_FLOAT_EQ(fn.common_stats().avg_num_values(), 1.25f);
  // NaN left out: values 0.5, 0, 1.5, -1.
  EXPECT_DOUBLE_EQ(fn.mean(), 0.25);
  EXPECT_NEAR(fn.std_dev(), std::sqrt(3.25 / 4), 1e-12);
  EXPECT_EQ(fn.min(), -1);
  EXPECT_EQ(fn.max(), 1.5);
  EXPECT_EQ(fn.median(), 0);  // sorted -1 0 0.5 1.5: rank 2
  EXPECT_EQ(fn.num_zeros(), 1u);
  EXPECT_EQ(fn.histograms(0).num_nan(), 1u);
  EXPECT_EQ(fn.histograms(1).num_nan(), 1u);

  const auto* s = Find(stats, "s");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->type(), tfmd::FeatureNameStatistics::STRING);
  const auto& sn = s->string_stats();
  EXPECT_EQ(sn.common_stats().num_non_missing(), 3u);
  EXPECT_EQ(sn.common_stats().num_missing(), 1u);
  EXPECT_EQ(sn.common_stats().tot_num_values(), 6u);
  EXPECT_EQ(sn.unique(), 3u);
  ASSERT_EQ(sn.top_values_size(), 3);
  EXPECT_EQ(sn.top_values(0).value(), "a");
  EXPECT_EQ(sn.top_values(0).frequency(), 3);
  EXPECT_EQ(sn.top_values(1).value(), "bb");
  EXPECT_EQ(sn.top_values(2).value(), "c");
  EXPECT_FLOAT_EQ(sn.avg_length(), 8.0f / 6);
  ASSERT_EQ(sn.rank_histogram().buckets_size(), 3);
  EXPECT_EQ(sn.rank_histogram().buckets(1).low_rank(), 1u);
  EXPECT_EQ(sn.rank_histogram().buckets(1).label(), "bb");
  EXPECT_EQ(sn.rank_histogram().buckets(1).sample_count(), 2);

  // A fixed-length vector: every example has exactly 3 values.
  const auto* vec = Find(stats, "vec");
  ASSERT_NE(vec, nullptr);
  const auto& vn = vec->num_stats();
  EXPECT_EQ(vn.common_stats().min_num_values(), 3u);
  EXPECT_EQ(vn.common_stats().max_num_values(), 3u);
  EXPECT_EQ(vn.common_stats().tot_num_values(), 12u);
  EXPECT_DOUBLE_EQ(vn.mean(), 45.0 / 12);
  EXPECT_EQ(vn.num_zeros(), 3u);
  EXPECT_EQ(vn.median(), 3);  // 0 0 0 1 2 3 ...: rank 6
  EXPECT_EQ(vn.common_stats().num_values_histogram().buckets(0).low_value(), 3);
  EXPECT_EQ(vn.common_stats().num_values_histogram().buckets(9).high_value(), 3);
}

TEST(StatisticsTest, HandComputedValues) {
  StatisticsAccumulator acc({});
  for (const std::string& record : HandExamples()) {
    auto example = io::ParseExample(record, "test");
    ASSERT_TRUE(example.ok());
    ASSERT_TRUE(acc.AddExample(example.value()).ok());
  }
  tfmd::DatasetFeatureStatistics stats = acc.Finish("train");
  EXPECT_EQ(stats.name(), "train");
  ExpectHandStatistics(stats);
}

// The same examples over several files, in batches of one record on two
// threads (so partial aggregates are merged), give the same statistics; and
// the result survives a round trip through the binary proto.
TEST(StatisticsTest, SplitOverFilesAndThreadsMerges) {
  std::string dir = FreshTempDir("stats_files");
  auto records = HandExamples();
  std::vector<std::string> files = {JoinPath(dir, "a.gz"), JoinPath(dir, "b.gz"),
                                    JoinPath(dir, "c")};
  ASSERT_TRUE(io::WriteAllRecords(files[0], {records[0]}, io::Compression::kGzip).ok());
  ASSERT_TRUE(io::WriteAllRecords(files[1], {records[1], records[2]}, io::Compression::kGzip).ok());
  ASSERT_TRUE(io::WriteAllRecords(files[2], {records[3]}, io::Compression::kNone).ok());
  ThreadPool pool(2);
  StatisticsOptions options;
  options.records_per_batch = 1;
  auto stats = ComputeStatistics(files, "train", options, &pool);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  tfmd::DatasetFeatureStatisticsList list;
  *list.add_datasets() = stats.value();
  tfmd::DatasetFeatureStatisticsList back;
  ASSERT_TRUE(back.ParseFromString(list.SerializeAsString()));
  ExpectHandStatistics(back.datasets(0));
}

// What MPI ranks do (src/mpi/sharded_statistics.h): each pass takes a range
// of the records, cut through a file, sends its accumulator as bytes, and the
// merge gives the hand-computed statistics; damaged bytes are Corruption.
TEST(StatisticsTest, RecordRangesSerializedAndMergedGiveOnePass) {
  std::string dir = FreshTempDir("stats_ranges");
  auto records = HandExamples();
  std::vector<std::string> files = {JoinPath(dir, "a.gz"), JoinPath(dir, "b")};
  ASSERT_TRUE(
      io::WriteAllRecords(files[0], {records[0], records[1], records[2]}, io::Compression::kGzip)
          .ok());
  ASSERT_TRUE(io::WriteAllRecords(files[1], {records[3]}, io::Compression::kNone).ok());
  ThreadPool pool(2);
  for (int64_t cut : {0, 1, 2, 3, 4}) {
    SCOPED_TRACE("cut at record " + std::to_string(cut));
    StatisticsOptions first, second;
    first.record_end = cut;
    second.record_begin = cut;
    auto a = AccumulateStatistics(files, first, &pool);
    auto b = AccumulateStatistics(files, second, &pool);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a->num_examples(), cut);
    EXPECT_EQ(b->num_examples(), 4 - cut);
    const std::string bytes = b->SerializeState();
    for (size_t len : {size_t{3}, bytes.size() / 2, bytes.size() - 1}) {
      if (len >= bytes.size()) continue;
      StatisticsAccumulator fresh({});
      const Status st = fresh.MergeSerialized(bytes.substr(0, len), "rank 1");
      EXPECT_EQ(st.code(), Status::Code::kCorruption) << len << ": " << st.ToString();
    }
    ASSERT_TRUE(a->MergeSerialized(bytes, "rank 1").ok());
    ExpectHandStatistics(a->Finish("train"));
  }
}

TEST(StatisticsTest, NoFilesIsNoExamples) {
  ThreadPool pool(2);
  auto stats = ComputeStatistics({}, "eval", {}, &pool);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats.value().num_examples(), 0u);
  EXPECT_EQ(stats.value().features_size(), 0);
}

TEST(StatisticsTest, CorruptFileIsNamed) {
  std::string dir = FreshTempDir("stats_corrupt");
  std::string path = JoinPath(dir, "data.tfrecord");
  std::string bytes = io::EncodeRecords(HandExamples());
  bytes[bytes.size() / 2] ^= 0x40;
  ASSERT_TRUE(WriteFileAtomic(path, bytes).ok());
  ThreadPool pool(2);
  auto stats = ComputeStatistics({path}, "train", {}, &pool);
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.status().code(), Status::Code::kCorruption);
  EXPECT_NE(stats.status().message().find(path), std::string::npos) << stats.status().message();
}

TEST(StatisticsTest, RecordThatIsNotAnExampleIsNamed) {
  std::string dir = FreshTempDir("stats_garbage");
  std::string path = JoinPath(dir, "data.tfrecord.gz");
  auto records = HandExamples();
  records[2] = "\xff\xff\xff";
  ASSERT_TRUE(io::WriteAllRecords(path, records, io::Compression::kGzip).ok());
  ThreadPool pool(2);
  auto stats = ComputeStatistics({path}, "train", {}, &pool);
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.status().code(), Status::Code::kCorruption);
  EXPECT_NE(stats.status().message().find(path + ": record 2: not a valid tensorflow.Example"),
            std::string::npos)
      << stats.status().message();
}

TEST(StatisticsTest, FeatureChangingKindIsNamed) {
  std::string dir = FreshTempDir("stats_kind");
  std::string path = JoinPath(dir, "data.tfrecord");
  tensorflow::Example a, b;
  io::SetFloatFeature("x", {1}, &a);
  io::SetInt64Feature("x", {1}, &b);
  ASSERT_TRUE(io::WriteAllRecords(path,
                                  {io::SerializeDeterministic(a), io::SerializeDeterministic(b)},
                                  io::Compression::kNone)
                  .ok());
  ThreadPool pool(1);
  auto stats = ComputeStatistics({path}, "train", {}, &pool);
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.status().message(),
            path + ": record 1: feature 'x': int64_list here, float_list before");
}

TEST(StatisticsTest, MissingFileIsNamed) {
  ThreadPool pool(2);
  auto stats = ComputeStatistics({"/nonexistent/x.gz"}, "train", {}, &pool);
  ASSERT_FALSE(stats.ok());
  EXPECT_NE(stats.status().message().find("/nonexistent/x.gz"), std::string::npos);
}

TEST(StringCounterTest, PastCapacityKeepsHeavyHittersAndEstimatesUnique) {
  StringCounter counter(100);
  for (int i = 0; i < 20000; ++i) {
    counter.Add("v" + std::to_string(i));
    if (i % 4 == 0) counter.Add("heavy");
  }
  EXPECT_FALSE(counter.exact());
  auto top = counter.Top(1);
  ASSERT_EQ(top.size(), 1u);
  EXPECT_EQ(top[0].first, "heavy");
  EXPECT_LE(top[0].second, 5000u);  // a lower bound
  EXPECT_NEAR(static_cast<double>(counter.Unique()), 20001, 20001 * 0.05);
}

TEST(StatisticsTest, SummaryFormatsNumbersAndStrings) {
  StatisticsAccumulator acc({});
  for (const std::string& record : HandExamples()) {
    ASSERT_TRUE(acc.AddExample(io::ParseExample(record, "t").value()).ok());
  }
  auto rows = SummarizeStatistics(acc.Finish("train"), 2);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[1].name, "i");
  EXPECT_EQ(rows[1].type, "INT");
  EXPECT_EQ(rows[1].values, "0-2 (avg 1)");
  EXPECT_EQ(rows[1].median, "2");
  EXPECT_EQ(rows[2].top_values, "a (3), bb (2)");
  EXPECT_EQ(rows[2].unique, "3");
  EXPECT_EQ(rows[3].values, "3");
}

}  // namespace
}  // namespace edgepipe::data
