// Sharded evaluation on Open MPI ranks against one process: launches
// mpi_shard_check under `mpirun -np 2` (and alone) and compares what they
// wrote. Needs mpirun (openmpi-bin, scripts/install_deps.sh): without it the
// tests fail, they do not skip.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "src/core/byte_buffer.h"
#include "src/core/files.h"
#include "src/data/statistics.h"
#include "src/eval/evaluator.h"
#include "src/io/example.h"
#include "src/io/tfrecord.h"
#include "tests/support/proto_close.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace edgepipe::mpi {
namespace {

using edgepipe::testing::RunCommand;
namespace tfma = ::tensorflow_model_analysis;

// mpirun with everything the test relies on given as flags, not taken from
// the machine's configuration: root allowed (CI runs as root), more ranks
// than cores allowed, shared memory between the local ranks without the
// single-copy mechanism (CMA needs ptrace rights containers often lack).
std::string Mpirun(int ranks) {
  return std::string(MPIEXEC) +
         " --allow-run-as-root --oversubscribe --bind-to none"
         " --mca btl self,vader --mca btl_vader_single_copy_mechanism none -np " +
         std::to_string(ranks) + " ";
}

void RequireMpirun() {
  const auto r = RunCommand(std::string(MPIEXEC) + " --version 2>&1");
  ASSERT_EQ(r.exit_code, 0) << "mpirun (" << MPIEXEC
                            << ") does not run: install Open MPI (openmpi-bin "
                               "libopenmpi-dev, scripts/install_deps.sh). Output: "
                            << r.out;
}

struct Written {
  int64_t num_examples = 0;
  std::vector<tfma::MetricsForSlice> metrics;
  std::vector<tfma::PlotsForSlice> plots;
  tfma::ValidationResult validation;
};

Written ReadWritten(const std::string& path) {
  Written w;
  auto bytes = ReadFile(path);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  if (!bytes.ok()) return w;
  ByteReader r(*bytes, path);
  uint64_t n = 0;
  std::string s;
  EXPECT_TRUE(r.Get(&w.num_examples).ok());
  EXPECT_TRUE(r.Get(&n).ok());
  for (uint64_t i = 0; i < n && r.GetString(&s).ok(); ++i)
    w.metrics.emplace_back().ParseFromString(s);
  EXPECT_TRUE(r.Get(&n).ok());
  for (uint64_t i = 0; i < n && r.GetString(&s).ok(); ++i)
    w.plots.emplace_back().ParseFromString(s);
  EXPECT_TRUE(r.GetString(&s).ok());
  w.validation.ParseFromString(s);
  EXPECT_TRUE(r.ExpectEnd().ok());
  return w;
}

// Integers and strings equal, doubles and floats within 1e-12 relative.
template <typename Message>
void ExpectClose(const Message& a, const Message& b) {
  testing::ExpectProtoClose(a, b);
}

// `n` examples of 3 class scores, a label, a group for slicing and a weight;
// written across files of unequal size so shards cut through files.
std::vector<std::string> WriteData(const std::string& dir, int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::vector<std::string> files;
  const std::vector<int> sizes = {n / 5, n / 2, n - n / 5 - n / 2};
  for (size_t f = 0; f < sizes.size(); ++f) {
    std::vector<std::string> records;
    for (int i = 0; i < sizes[f]; ++i) {
      tensorflow::Example ex;
      std::vector<float> scores = {u(rng), u(rng), u(rng)};
      float sum = scores[0] + scores[1] + scores[2];
      for (float& s : scores) s /= sum;
      io::SetFloatFeature("scores", scores, &ex);
      io::SetInt64Feature("label", {static_cast<int64_t>(rng() % 3)}, &ex);
      io::SetBytesFeature("group", {rng() % 4 == 0 ? "rare" : "common"}, &ex);
      io::SetFloatFeature("w", {0.5f + u(rng)}, &ex);
      records.push_back(ex.SerializeAsString());
    }
    files.push_back(dir + "/part-" + std::to_string(f) + ".tfrecord.gz");
    EXPECT_TRUE(io::WriteAllRecords(files.back(), records, io::Compression::kGzip).ok());
  }
  return files;
}

constexpr char kConfig[] = R"pb(
  model_specs { label_key: "label" example_weight_key: "w" }
  slicing_specs {}
  slicing_specs { feature_keys: "group" }
  metrics_specs {
    metrics { class_name: "ExampleCount" }
    metrics { class_name: "WeightedExampleCount" }
    metrics { class_name: "SparseCategoricalAccuracy" }
    metrics { class_name: "SparseCategoricalCrossentropy" }
    metrics { class_name: "MultiClassConfusionMatrixPlot" }
  }
  options { compute_confidence_intervals { value: true } }
)pb";

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += " " + x;
  return s;
}

TEST(MpiTest, CollectivesOnTwoRanks) {
  RequireMpirun();
  const auto r = RunCommand(Mpirun(2) + MPI_SHARD_CHECK + " collectives");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("collectives ok on 2 ranks"), std::string::npos) << r.out;
}

TEST(MpiTest, ShardedEvaluationEqualsOneProcess) {
  RequireMpirun();
  const std::string dir = edgepipe::testing::FreshTempDir("mpi_eval");
  const std::vector<std::string> files = WriteData(dir, 1001, 7);
  ASSERT_TRUE(WriteFileAtomic(dir + "/config.pbtxt", kConfig).ok());
  const std::string check = std::string(MPI_SHARD_CHECK);
  const auto one = RunCommand(check + " eval-single " + dir + "/config.pbtxt " + dir + "/one.bin" +
                              Join(files) + " 2>&1");
  ASSERT_EQ(one.exit_code, 0) << one.out;
  for (int ranks : {2, 3}) {
    SCOPED_TRACE("ranks: " + std::to_string(ranks));
    const std::string out = dir + "/sharded" + std::to_string(ranks) + ".bin";
    const auto sharded = RunCommand(Mpirun(ranks) + check + " eval " + dir + "/config.pbtxt " +
                                    out + Join(files) + " 2>&1");
    ASSERT_EQ(sharded.exit_code, 0) << sharded.out;
    const Written a = ReadWritten(dir + "/one.bin"), b = ReadWritten(out);
    EXPECT_EQ(a.num_examples, 1001);
    EXPECT_EQ(b.num_examples, a.num_examples);
    ASSERT_EQ(a.metrics.size(), 3u);  // overall, group:common, group:rare
    ASSERT_EQ(b.metrics.size(), a.metrics.size());
    bool saw_interval = false;
    for (size_t i = 0; i < a.metrics.size(); ++i) {
      ExpectClose(a.metrics[i], b.metrics[i]);
      for (const auto& kv : a.metrics[i].metric_keys_and_values()) {
        saw_interval |= kv.value().has_bounded_value() || kv.has_confidence_interval();
      }
    }
    EXPECT_TRUE(saw_interval) << "the config asks for bootstrap intervals; none came out";
    ASSERT_EQ(b.plots.size(), a.plots.size());
    for (size_t i = 0; i < a.plots.size(); ++i) ExpectClose(a.plots[i], b.plots[i]);
    ExpectClose(a.validation, b.validation);
  }
}

// Every feature of WriteData stays under 4096 distinct values, so the quantile
// sketches are exact in both runs and histograms must agree like the moments.
TEST(MpiTest, ShardedStatisticsEqualOneProcess) {
  RequireMpirun();
  const std::string dir = edgepipe::testing::FreshTempDir("mpi_stats");
  const std::vector<std::string> files = WriteData(dir, 1001, 11);
  const std::string check = std::string(MPI_SHARD_CHECK);
  const auto one = RunCommand(check + " stats-single " + dir + "/one.pb" + Join(files) + " 2>&1");
  ASSERT_EQ(one.exit_code, 0) << one.out;
  data::tfmd::DatasetFeatureStatistics a;
  auto bytes = ReadFile(dir + "/one.pb");
  ASSERT_TRUE(bytes.ok() && a.ParseFromString(*bytes));
  EXPECT_EQ(a.num_examples(), 1001);
  ASSERT_EQ(a.features_size(), 4);  // group, label, scores, w
  for (int ranks : {2, 3}) {
    SCOPED_TRACE("ranks: " + std::to_string(ranks));
    const std::string out = dir + "/sharded" + std::to_string(ranks) + ".pb";
    const auto sharded =
        RunCommand(Mpirun(ranks) + check + " stats " + out + Join(files) + " 2>&1");
    ASSERT_EQ(sharded.exit_code, 0) << sharded.out;
    data::tfmd::DatasetFeatureStatistics b;
    bytes = ReadFile(out);
    ASSERT_TRUE(bytes.ok() && b.ParseFromString(*bytes));
    ExpectClose(a, b);
  }
}

TEST(MpiTest, CorruptRecordInOneShardFailsEveryRankWithItsName) {
  RequireMpirun();
  const std::string dir = edgepipe::testing::FreshTempDir("mpi_corrupt");
  std::vector<std::string> files = WriteData(dir, 40, 3);
  // Only the last rank's share holds the bad record.
  files.push_back(dir + "/bad.tfrecord");
  ASSERT_TRUE(io::WriteAllRecords(files.back(), {"not an example"}, io::Compression::kNone).ok());
  ASSERT_TRUE(WriteFileAtomic(dir + "/config.pbtxt", kConfig).ok());
  const auto r = RunCommand(Mpirun(2) + MPI_SHARD_CHECK + " eval " + dir + "/config.pbtxt " + dir +
                            "/out.bin" + Join(files) + " 2>&1");
  EXPECT_NE(r.exit_code, 0) << r.out;
  // Both ranks report rank 1's error.
  for (const char* rank : {"rank 0: ", "rank 1: "}) {
    EXPECT_NE(r.out.find(std::string(rank) + "Corruption: rank 1: "), std::string::npos) << r.out;
  }
  EXPECT_NE(r.out.find("bad.tfrecord: record 0: not a valid tensorflow.Example"), std::string::npos)
      << r.out;
  EXPECT_FALSE(PathExists(dir + "/out.bin"));
}

TEST(MpiTest, PeerThatNeverJoinsTimesOutAndAbortsTheJob) {
  RequireMpirun();
  // Rank 1 sleeps 20 s before joining; rank 0 gives up after 1 s and aborts
  // the job: mpirun then kills rank 1 in its sleep. The test asserts the outcome, not
  // the time: a hang would be caught by ctest's timeout.
  const auto r =
      RunCommand("EDGEPIPE_MPI_TIMEOUT_SECONDS=1 " + Mpirun(2) +
                 "-x EDGEPIPE_MPI_TIMEOUT_SECONDS " + MPI_SHARD_CHECK + " timeout 20 2>&1");
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("rank 0: Resource exhausted: mpi gather: timed out"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("timed out"), std::string::npos) << r.out;
}

TEST(MpiTest, RankKilledMidRunEndsTheJobOnEveryRank) {
  RequireMpirun();
  // Rank 0 waits in a gather with the default 30 min timeout; what ends it is
  // mpirun noticing rank 1's death. A hang would be caught by ctest's timeout.
  const auto r = RunCommand(Mpirun(2) + MPI_SHARD_CHECK + " die 2>&1");
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("signal 9"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace edgepipe::mpi
