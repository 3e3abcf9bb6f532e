// The sharded Transform passes (sharded_transform.h) on 1, 2 and 3 ranks that
// are threads of this process (tests/support/thread_collective.h) against
// transform::Analyze / TransformFiles in one process: analyzer results
// (counts and min/max exact, moments within 1e-12 relative, quantiles exact
// while the sketch is exact and within KLL's stated rank error beyond,
// vocabularies identical), the transformed shards, and one rank's failure
// failing every rank. The same passes under a real mpirun run in
// src/cli/mpi_run_test.cc (the MNIST pipeline's Transform).
#include "src/mpi/sharded_transform.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "src/core/byte_buffer.h"
#include "src/data/examples.h"
#include "src/io/example.h"
#include "src/io/text_proto.h"
#include "src/io/tfrecord.h"
#include "tests/support/temp_dir.h"
#include "tests/support/thread_collective.h"

namespace edgepipe::mpi {
namespace {

using testing::RunOnRanks;
using transform::Analyzer;
using transform::TransformGraph;

transform::tfmd::Schema TestSchema() {
  transform::tfmd::Schema schema;
  EXPECT_TRUE(io::ParseTextProto(R"pb(
                                   feature { name: "x" type: FLOAT }
                                   feature { name: "n" type: INT }
                                   feature { name: "w" type: BYTES }
                                 )pb",
                                 "test schema", &schema)
                  .ok());
  return schema;
}

// Every analyzer kind, and a second phase (quantiles of a z-scored column).
Status PreprocessingFn(const transform::Inputs& in, transform::Outputs* out) {
  (*out)["x_mm"] = transform::ScaleByMinMax(in["x"], -1.0, 1.0);
  (*out)["x_z"] = transform::ScaleToZScore(in["x"]);
  (*out)["x_b"] = transform::Bucketize(in["x"], 10);
  (*out)["x_zb"] = transform::Bucketize(transform::ScaleToZScore(in["x"]), 4);
  (*out)["n_z"] = transform::ScaleToZScore(in["n"]);
  (*out)["n_b"] = transform::Bucketize(in["n"], 7);
  (*out)["n_v"] = transform::ComputeAndApplyVocabulary(in["n"], /*top_k=*/10);
  (*out)["w_v"] = transform::ComputeAndApplyVocabulary(in["w"], /*top_k=*/60,
                                                       /*frequency_threshold=*/5,
                                                       /*num_oov_buckets=*/2);
  return Status::OK();
}

struct Data {
  std::vector<std::string> files;
  std::vector<double> xs;  // every x value (not NaN), for the rank checks
};

// `n` examples over `num_files` files of unequal size: x normal (continuous:
// `continuous` gives n distinct values, KLL past 4096; else multiples of
// 1/64 in [-8, 8], exact), with a NaN now and then and x missing in some
// examples; n small integers; w words of a skewed distribution, and the word
// "spread" twice in each third of the records (so below the threshold 5 in
// every rank's share, above it over all).
Data WriteData(const std::string& dir, int n, int num_files, bool continuous, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(1.5f, 2.0f);
  std::geometric_distribution<int> word(0.08);
  Data data;
  std::vector<std::vector<std::string>> records(static_cast<size_t>(num_files));
  for (int i = 0; i < n; ++i) {
    // File f gets examples while i < n * (f + 1)^2 / F^2: later files larger.
    size_t f = 0;
    while (static_cast<int64_t>(i) * num_files * num_files >=
           static_cast<int64_t>(n) * static_cast<int64_t>((f + 1) * (f + 1))) {
      ++f;
    }
    tensorflow::Example ex;
    if (i % 17 != 3) {
      float x = normal(rng);
      if (!continuous) x = std::clamp(std::round(x * 64) / 64, -8.0f, 8.0f);
      if (i % 101 == 7) x = std::nanf("");
      if (!std::isnan(x)) data.xs.push_back(x);
      io::SetFloatFeature("x", {x}, &ex);
    }
    io::SetInt64Feature("n", {static_cast<int64_t>(rng() % 23) - 5}, &ex);
    std::string w = "w" + std::to_string(word(rng));
    if (i % (n / 3) < 2) w = "spread";
    io::SetBytesFeature("w", {w}, &ex);
    records[f].push_back(io::SerializeDeterministic(ex));
  }
  for (size_t f = 0; f < records.size(); ++f) {
    data.files.push_back(dir + "/part-" + std::to_string(f) + ".tfrecord.gz");
    EXPECT_TRUE(io::WriteAllRecords(data.files.back(), records[f], io::Compression::kGzip).ok());
  }
  return data;
}

TransformGraph Built() {
  auto graph = transform::BuildTransformGraph(TestSchema(), PreprocessingFn);
  EXPECT_TRUE(graph.ok()) << graph.status().ToString();
  return graph.ok() ? std::move(graph).value() : TransformGraph();
}

TransformGraph OneProcess(const std::vector<std::string>& files) {
  TransformGraph graph = Built();
  ThreadPool pool(2);
  Status st = transform::Analyze(&graph, files, &pool);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return graph;
}

// Every rank's analyzed graph (rank order) and status.
struct Sharded {
  std::vector<TransformGraph> graphs;
  std::vector<Status> statuses;
};
Sharded AnalyzeOnRanks(int ranks, const std::vector<std::string>& files) {
  Sharded out;
  out.graphs.resize(static_cast<size_t>(ranks));
  out.statuses = RunOnRanks(ranks, [&](Collective& comm) {
    TransformGraph& graph = out.graphs[static_cast<size_t>(comm.rank())];
    graph = Built();
    ThreadPool pool(1);
    return ShardedAnalyze(comm, &graph, files, &pool);
  });
  return out;
}

void ExpectRelNear(double a, double b, const std::string& what) {
  EXPECT_LE(std::abs(a - b), 1e-12 * std::max(std::abs(a), std::abs(b)))
      << what << ": " << a << " vs " << b;
}

// Boundary i of `a` (quantiles over `values`) is a value whose rank in the
// sorted values is within eps * n of i / num_buckets * n.
void ExpectWithinRankError(const Analyzer& a, std::vector<double> values, double eps,
                           const std::string& what) {
  std::sort(values.begin(), values.end());
  const double n = static_cast<double>(values.size());
  for (size_t i = 0; i < a.boundaries.size(); ++i) {
    const double b = a.boundaries[i];
    const double below =
        static_cast<double>(std::lower_bound(values.begin(), values.end(), b) - values.begin());
    const double upto =
        static_cast<double>(std::upper_bound(values.begin(), values.end(), b) - values.begin());
    const double want = static_cast<double>(i + 1) / a.num_buckets * n;
    const double off = want < below ? below - want : (want > upto ? want - upto : 0.0);
    EXPECT_LE(off, eps * n) << what << ": boundary " << i << " = " << b;
  }
}

// Analyzer by analyzer: `exact_quantiles` says whether every quantile
// analyzer must match one process's exactly (sketch still exact).
void ExpectSameAnalyzers(const TransformGraph& got, const TransformGraph& want,
                         bool exact_quantiles, const std::string& what) {
  ASSERT_TRUE(got.analyzed()) << what;
  ASSERT_EQ(got.analyzers().size(), want.analyzers().size()) << what;
  for (size_t i = 0; i < want.analyzers().size(); ++i) {
    const Analyzer& g = got.analyzers()[i];
    const Analyzer& w = want.analyzers()[i];
    const std::string at = what + ", analyzer " + std::to_string(i);
    EXPECT_EQ(g.count, w.count) << at;
    switch (w.kind) {
      case Analyzer::Kind::kMinMax:
        EXPECT_EQ(g.min, w.min) << at;
        EXPECT_EQ(g.max, w.max) << at;
        break;
      case Analyzer::Kind::kMeanVar:
        ExpectRelNear(g.mean, w.mean, at + " mean");
        ExpectRelNear(g.variance, w.variance, at + " variance");
        break;
      case Analyzer::Kind::kQuantiles:
        ASSERT_EQ(g.boundaries.size(), w.boundaries.size()) << at;
        if (exact_quantiles) {
          EXPECT_EQ(g.boundaries, w.boundaries) << at;
        }
        break;
      case Analyzer::Kind::kVocabulary:
        EXPECT_EQ(g.vocabulary, w.vocabulary) << at;
        EXPECT_EQ(g.frequencies, w.frequencies) << at;
        break;
    }
  }
}

class ShardedTransformTest : public ::testing::TestWithParam<int> {};

// 3 files: by file on 2 and 3 ranks; 1 file: by record range.
TEST_P(ShardedTransformTest, AnalyzersEqualOneProcessWhileTheSketchIsExact) {
  const int ranks = GetParam();
  const std::string dir = edgepipe::testing::FreshTempDir("sharded_transform_exact");
  for (int num_files : {3, 1}) {
    const Data data = WriteData(dir, 3000, num_files, /*continuous=*/false, 11);
    const TransformGraph want = OneProcess(data.files);
    Sharded got = AnalyzeOnRanks(ranks, data.files);
    const std::string what =
        std::to_string(ranks) + " ranks, " + std::to_string(num_files) + " files";
    for (int r = 0; r < ranks; ++r) {
      ASSERT_TRUE(got.statuses[static_cast<size_t>(r)].ok())
          << what << ": " << got.statuses[static_cast<size_t>(r)].ToString();
      ExpectSameAnalyzers(got.graphs[static_cast<size_t>(r)], want, /*exact_quantiles=*/true,
                          what + ", rank " + std::to_string(r));
      // Every rank holds rank 0's graph, bit for bit.
      EXPECT_EQ(got.graphs[static_cast<size_t>(r)].ToJson(), got.graphs[0].ToJson()) << what;
    }
    // The word spread thinly over the shares makes the threshold only merged.
    // top_k cuts n's 23 values (about 130 each: ties broken by value).
    int vocab_checked = 0;
    for (const Analyzer& a : got.graphs[0].analyzers()) {
      if (a.kind != Analyzer::Kind::kVocabulary) continue;
      ++vocab_checked;
      if (a.top_k == 10) {
        EXPECT_EQ(a.vocabulary.size(), 10u);
        continue;
      }
      EXPECT_GT(a.vocabulary.size(), 20u);
      EXPECT_LT(a.vocabulary.size(), 60u);
      EXPECT_GE(a.frequencies.back(), 5) << what;
      EXPECT_NE(std::find(a.vocabulary.begin(), a.vocabulary.end(), "spread"), a.vocabulary.end())
          << what;
    }
    EXPECT_EQ(vocab_checked, 2);
  }
}

TEST_P(ShardedTransformTest, QuantilesWithinTheKllBoundPastTheExactSketch) {
  const int ranks = GetParam();
  const std::string dir = edgepipe::testing::FreshTempDir("sharded_transform_kll");
  // 20000 examples: ~18,600 distinct x, past the sketch's 4096 exact values.
  const Data data = WriteData(dir, 20000, 3, /*continuous=*/true, 5);
  const TransformGraph want = OneProcess(data.files);
  Sharded got = AnalyzeOnRanks(ranks, data.files);
  for (const Status& st : got.statuses) ASSERT_TRUE(st.ok()) << st.ToString();
  ExpectSameAnalyzers(got.graphs[0], want, /*exact_quantiles=*/false, "kll");
  // The bound the header states: eps <= 1.65% of n at 99% confidence (k = 200).
  int checked = 0;
  for (size_t i = 0; i < want.analyzers().size(); ++i) {
    const Analyzer& a = want.analyzers()[i];
    if (a.kind != Analyzer::Kind::kQuantiles || a.num_buckets != 10) continue;
    ExpectWithinRankError(a, data.xs, 0.0165, "one process");
    ExpectWithinRankError(got.graphs[0].analyzers()[i], data.xs, 0.0165, "sharded");
    ++checked;
  }
  EXPECT_EQ(checked, 1);
}

TEST_P(ShardedTransformTest, TransformedShardsInRankOrderAreTheOneProcessExamples) {
  const int ranks = GetParam();
  const std::string dir = edgepipe::testing::FreshTempDir("sharded_transform_apply");
  for (int num_files : {4, 1}) {
    const Data data = WriteData(dir, 2500, num_files, /*continuous=*/false, 3);
    const TransformGraph one = OneProcess(data.files);
    ThreadPool pool(2);
    auto written = transform::TransformFiles(one, data.files, dir + "/one.gz", &pool);
    ASSERT_TRUE(written.ok()) << written.status().ToString();
    auto want = io::ReadAllRecords(dir + "/one.gz");
    ASSERT_TRUE(want.ok());
    ASSERT_EQ(static_cast<int64_t>(want->size()), 2500);

    std::vector<int64_t> totals(static_cast<size_t>(ranks), -1);
    const std::vector<Status> statuses = RunOnRanks(ranks, [&](Collective& comm) {
      TransformGraph graph = Built();
      ThreadPool mine(1);
      RETURN_IF_ERROR(ShardedAnalyze(comm, &graph, data.files, &mine));
      ASSIGN_OR_RETURN(totals[static_cast<size_t>(comm.rank())],
                       ShardedTransformFiles(
                           comm, graph, data.files,
                           dir + "/" + data::ShardFileName("t", comm.rank(), comm.size()), &mine));
      return Status::OK();
    });
    std::vector<std::string> sharded;
    for (int r = 0; r < ranks; ++r) {
      ASSERT_TRUE(statuses[static_cast<size_t>(r)].ok())
          << statuses[static_cast<size_t>(r)].ToString();
      EXPECT_EQ(totals[static_cast<size_t>(r)], 2500);
      auto shard = io::ReadAllRecords(dir + "/" + data::ShardFileName("t", r, ranks));
      ASSERT_TRUE(shard.ok()) << shard.status().ToString();
      EXPECT_FALSE(shard->empty());
      sharded.insert(sharded.end(), shard->begin(), shard->end());
    }
    EXPECT_TRUE(sharded == *want) << ranks << " ranks, " << num_files
                                  << " files: the shards differ from one process's "
                                  << sharded.size() << " records";
  }
}

INSTANTIATE_TEST_SUITE_P(Ranks, ShardedTransformTest, ::testing::Values(1, 2, 3));

TEST(ShardedTransformFailureTest, ACorruptFileOnOneRankFailsEveryRankWithItsError) {
  const std::string dir = edgepipe::testing::FreshTempDir("sharded_transform_corrupt");
  const Data data = WriteData(dir, 900, 3, /*continuous=*/false, 9);
  // The last file (rank 2's) loses its end: a truncated gzip stream.
  auto bytes = ReadFile(data.files[2]);
  ASSERT_TRUE(bytes.ok());
  ASSERT_TRUE(WriteFileAtomic(data.files[2], bytes->substr(0, bytes->size() / 2)).ok());
  Sharded got = AnalyzeOnRanks(3, data.files);
  for (const Status& st : got.statuses) {
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.ToString().find("rank 2"), std::string::npos) << st.ToString();
    EXPECT_NE(st.ToString().find("part-2.tfrecord.gz"), std::string::npos) << st.ToString();
    EXPECT_EQ(st.ToString(), got.statuses[0].ToString());
  }
}

TEST(ShardedTransformFailureTest, ABadRecordInOneRanksShareFailsTheTransformOnEveryRank) {
  const std::string dir = edgepipe::testing::FreshTempDir("sharded_transform_bad_record");
  const Data data = WriteData(dir, 600, 2, /*continuous=*/false, 4);
  // One file of 3 records, the middle one not a tf.Example: by record range,
  // it is rank 1's of 3 (records [1, 2)).
  tensorflow::Example ok;
  io::SetFloatFeature("x", {1.0f}, &ok);
  const std::string bad_file = dir + "/bad.tfrecord.gz";
  ASSERT_TRUE(io::WriteAllRecords(bad_file,
                                  {io::SerializeDeterministic(ok), std::string("\xff\xff\xff", 3),
                                   io::SerializeDeterministic(ok)},
                                  io::Compression::kGzip)
                  .ok());
  const std::vector<Status> statuses = RunOnRanks(3, [&](Collective& comm) {
    TransformGraph graph = Built();
    ThreadPool pool(1);
    RETURN_IF_ERROR(ShardedAnalyze(comm, &graph, data.files, &pool));
    return ShardedTransformFiles(comm, graph, {bad_file},
                                 dir + "/" + data::ShardFileName("t", comm.rank(), comm.size()),
                                 &pool)
        .status();
  });
  for (const Status& st : statuses) {
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.ToString().find("rank 1"), std::string::npos) << st.ToString();
    EXPECT_NE(st.ToString().find("bad.tfrecord.gz: record 1"), std::string::npos) << st.ToString();
  }
}

TEST(AnalyzerPartialTest, TruncatedOrMismatchedStateIsCorruption) {
  transform::AnalyzerPartial quantiles;
  quantiles.sketch = std::make_unique<data::QuantileSketch>();
  for (double x : {3.0, 1.0, 2.0}) quantiles.AddNumber(x);
  ByteWriter w;
  quantiles.AppendTo(&w);
  const std::string bytes = w.Release();
  {
    transform::AnalyzerPartial into;
    into.sketch = std::make_unique<data::QuantileSketch>();
    ByteReader r(bytes, "state");
    ASSERT_TRUE(into.MergeFrom(&r).ok());
    EXPECT_EQ(into.count, 3);
    EXPECT_EQ(into.min, 1.0);
    EXPECT_EQ(into.max, 3.0);
    EXPECT_EQ(into.mean, 2.0);
    EXPECT_EQ(into.sketch->Quantile(0.5), 2.0);
  }
  {
    transform::AnalyzerPartial into;
    into.sketch = std::make_unique<data::QuantileSketch>();
    ByteReader r(std::string_view(bytes).substr(0, bytes.size() - 3), "state of rank 1");
    Status st = into.MergeFrom(&r);
    EXPECT_EQ(st.code(), Status::Code::kCorruption);
    EXPECT_NE(st.ToString().find("state of rank 1: truncated"), std::string::npos) << st.ToString();
  }
  {
    transform::AnalyzerPartial no_sketch;  // a min/max analyzer's
    ByteReader r(bytes, "state");
    EXPECT_EQ(no_sketch.MergeFrom(&r).code(), Status::Code::kCorruption);
  }
}

}  // namespace
}  // namespace edgepipe::mpi
