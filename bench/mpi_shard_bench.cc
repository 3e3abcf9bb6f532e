// Sharded passes over MPI ranks, run under mpirun with 1, 2, ... ranks:
//
//   mpirun -np N build/bench/mpi_shard_bench [--pass eval|stats|both|transform]
//                                            [--fashion DIR] [--repeat R]
//
//   eval   mpi::ShardedEvaluate: the Evaluator on the 10,000 Fashion-MNIST test
//          images with the Keras-example CNN (Conv 32 -> pool -> Conv 64 ->
//          pool -> Dense 128 -> Dense 10, src/examples/fashion_mnist's
//          keras_cnn) at its initial weights (seed 1: a trained model's cost
//          per example, metrics not meaningful); example count, accuracy,
//          cross-entropy, the confusion-matrix plot on the overall slice and
//          10 image_class slices, Poisson-bootstrap intervals.
//   stats  mpi::ShardedStatistics: StatisticsGen's passes over all 70,000
//          Fashion-MNIST images, one per split, each split as the two shard
//          files a 2-rank ExampleGen writes (30,000 + 30,000 train, 5,000 +
//          5,000 test), as the MPI runner's StatisticsGen reads them.
//   transform  mpi::ShardedAnalyze + mpi::ShardedTransformFiles: Transform's
//          passes over the 60,000 training images written as two files of
//          30,000 (a 2-rank ExampleGen's shards): min/max, mean/variance and
//          10-bucket quantiles of image_floats and the vocabulary of
//          image_class in one pass, then every image transformed (scaled to
//          [-0.5, 0.5], z-scored, bucketized; the class's index) into one
//          gzip shard file per rank. Not part of "both".
//
// DIR (default /usr/share/datasets/fashion-mnist, Debian dataset-fashion-mnist)
// holds the IDX files. Rank 0 writes them once as gzip TFRecords of
// tf.Examples (image_floats, image_class) under /tmp/edgepipe_mpi_shard_bench.
// Each rank computes with one thread, so N ranks use N cores. Rank 0 prints a
// RESULT line per pass: the best wall time of R runs (from a barrier to the
// merged result on rank 0) and the load average.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "bench/fashion_cnn.h"
#include "src/core/files.h"
#include "src/core/parallel.h"
#include "src/data/examples.h"
#include "src/eval/config.h"
#include "src/eval/evaluator.h"
#include "src/io/example.pb.h"
#include "src/io/idx.h"
#include "src/io/text_proto.h"
#include "src/io/tfrecord.h"
#include "src/mpi/communicator.h"
#include "src/mpi/sharded_evaluate.h"
#include "src/mpi/sharded_statistics.h"
#include "src/mpi/sharded_transform.h"

namespace {

using edgepipe::DType;
using edgepipe::Status;
using edgepipe::StatusOr;
using edgepipe::Tensor;
namespace eval = edgepipe::eval;
namespace nn = edgepipe::nn;
namespace mpi = edgepipe::mpi;
namespace transform = edgepipe::transform;

// The CNN behind the evaluator's interface: 784 floats in, 10 logits out.
class CnnModel : public eval::EvalModel {
 public:
  explicit CnnModel(std::unique_ptr<nn::Model> model) : model_(std::move(model)) {}
  const std::string& input_feature() const override { return feature_; }
  int64_t input_dim() const override { return 784; }
  StatusOr<Tensor> Predict(const Tensor& features) override {
    Tensor x = features;
    RETURN_IF_ERROR(x.Reshape({features.dim(0), 28, 28, 1}));
    return model_->Predict(x, features.dim(0));
  }

 private:
  std::unique_ptr<nn::Model> model_;
  std::string feature_ = "image_floats";
};

StatusOr<std::unique_ptr<nn::Model>> BuildCnn() {
  auto m = std::make_unique<nn::Sequential>("fashion_keras_cnn");
  RETURN_IF_ERROR(edgepipe::bench::BuildFashionCnn(m.get(), /*seed=*/1, /*hidden_units=*/128));
  m->set_num_threads(1);
  return std::unique_ptr<nn::Model>(std::move(m));
}

// `prefix`: "t10k" or "train"; its images spread over `paths` in order, in
// (near) equal parts.
Status WriteSplit(const std::string& dir, const std::string& prefix,
                  const std::vector<std::string>& paths) {
  ASSIGN_OR_RETURN(Tensor images,
                   edgepipe::io::ReadIdx(dir + "/" + prefix + "-images-idx3-ubyte.gz"));
  ASSIGN_OR_RETURN(Tensor labels,
                   edgepipe::io::ReadIdx(dir + "/" + prefix + "-labels-idx1-ubyte.gz"));
  const int64_t n = images.dim(0);
  if (images.dtype() != DType::kUInt8 || images.num_elements() != n * 784) {
    return Status::InvalidArgument(dir + ": expected 28x28 uint8 images");
  }
  const int64_t parts = static_cast<int64_t>(paths.size());
  for (int64_t p = 0; p < parts; ++p) {
    const std::string& path = paths[static_cast<size_t>(p)];
    RETURN_IF_ERROR(edgepipe::CreateDirectories(path.substr(0, path.rfind('/'))));
    ASSIGN_OR_RETURN(auto writer, edgepipe::io::TFRecordWriter::Open(
                                      path + ".tmp", edgepipe::io::Compression::kGzip));
    tensorflow::Example ex;
    std::string bytes;
    for (int64_t i = n * p / parts; i < n * (p + 1) / parts; ++i) {
      ex.Clear();
      auto& f = *ex.mutable_features()->mutable_feature();
      auto* img = f["image_floats"].mutable_float_list();
      for (int64_t j = 0; j < 784; ++j)
        img->add_value(images.data<uint8_t>()[i * 784 + j] / 255.0f);
      f["image_class"].mutable_int64_list()->add_value(labels.data<uint8_t>()[i]);
      ex.SerializeToString(&bytes);
      RETURN_IF_ERROR(writer->Write(bytes));
    }
    RETURN_IF_ERROR(writer->Close());
    RETURN_IF_ERROR(edgepipe::RenamePath(path + ".tmp", path));
  }
  return Status::OK();
}

std::string LoadAverage() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a + " " + b + " " + c;
}

// StatisticsGen's passes: one per split, each over that split's files.
Status RunStats(mpi::Communicator& comm,
                const std::vector<std::pair<std::string, std::vector<std::string>>>& splits,
                int repeat) {
  edgepipe::ThreadPool pool(1);
  double best = 1e30;
  int64_t examples = 0;
  for (int r = 0; r < repeat; ++r) {
    RETURN_IF_ERROR(comm.Barrier());
    const auto t0 = std::chrono::steady_clock::now();
    examples = 0;
    for (const auto& [split, files] : splits) {
      ASSIGN_OR_RETURN(auto stats, mpi::ShardedStatistics(comm, files, split, {}, &pool));
      if (stats.has_value()) examples += stats->num_examples();
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::min(best, s);
  }
  if (comm.is_root()) {
    std::printf(
        "RESULT pass=stats ranks=%d examples=%lld best_s=%.3f examples_per_s=%.0f load=%s\n",
        comm.size(), static_cast<long long>(examples), best, static_cast<double>(examples) / best,
        LoadAverage().c_str());
  }
  return Status::OK();
}

Status PreprocessingFn(const transform::Inputs& in, transform::Outputs* out) {
  (*out)["image_xf"] = transform::ScaleByMinMax(in["image_floats"], -0.5, 0.5);
  (*out)["image_z"] = transform::ScaleToZScore(in["image_floats"]);
  (*out)["image_bucket"] = transform::Bucketize(in["image_floats"], 10);
  (*out)["class_index"] = transform::ComputeAndApplyVocabulary(in["image_class"]);
  return Status::OK();
}

Status RunTransform(mpi::Communicator& comm, const std::vector<std::string>& files,
                    const std::string& dir, int repeat) {
  transform::tfmd::Schema schema;
  RETURN_IF_ERROR(edgepipe::io::ParseTextProto(R"pb(
                                                 feature {
                                                   name: "image_floats"
                                                   type: FLOAT
                                                   shape { dim { size: 784 } }
                                                 }
                                                 feature { name: "image_class" type: INT }
                                               )pb",
                                               "mpi_shard_bench schema", &schema));
  edgepipe::ThreadPool pool(1);
  double best_analyze = 1e30, best_total = 1e30;
  int64_t examples = 0;
  const std::string out =
      dir + "/" + edgepipe::data::ShardFileName("transformed", comm.rank(), comm.size());
  for (int r = 0; r < repeat; ++r) {
    ASSIGN_OR_RETURN(transform::TransformGraph graph,
                     transform::BuildTransformGraph(schema, PreprocessingFn));
    RETURN_IF_ERROR(comm.Barrier());
    const auto t0 = std::chrono::steady_clock::now();
    RETURN_IF_ERROR(mpi::ShardedAnalyze(comm, &graph, files, &pool));
    const auto t1 = std::chrono::steady_clock::now();
    ASSIGN_OR_RETURN(examples, mpi::ShardedTransformFiles(comm, graph, files, out, &pool));
    const auto t2 = std::chrono::steady_clock::now();
    best_analyze = std::min(best_analyze, std::chrono::duration<double>(t1 - t0).count());
    best_total = std::min(best_total, std::chrono::duration<double>(t2 - t0).count());
  }
  if (comm.is_root()) {
    std::printf(
        "RESULT pass=transform ranks=%d examples=%lld best_analyze_s=%.3f best_s=%.3f "
        "examples_per_s=%.0f load=%s\n",
        comm.size(), static_cast<long long>(examples), best_analyze, best_total,
        static_cast<double>(examples) / best_total, LoadAverage().c_str());
  }
  return Status::OK();
}

Status Run(mpi::Communicator& comm, const std::string& fashion, const std::string& pass,
           int repeat) {
  const std::string dir = "/tmp/edgepipe_mpi_shard_bench";
  const std::string file = dir + "/t10k.tfrecord.gz";
  Status written = Status::OK();
  if (comm.is_root() && !edgepipe::PathExists(file)) written = WriteSplit(fashion, "t10k", {file});
  RETURN_IF_ERROR(AgreeOnStatus(comm, written));
  // Each split also as the two shard files a 2-rank ExampleGen writes.
  const std::vector<std::string> train_shards = {dir + "/train-00000-of-00002.gz",
                                                 dir + "/train-00001-of-00002.gz"};
  const std::vector<std::string> test_shards = {dir + "/t10k-00000-of-00002.gz",
                                                dir + "/t10k-00001-of-00002.gz"};
  if (pass != "eval") {
    written = Status::OK();
    if (comm.is_root() && !edgepipe::PathExists(train_shards[1])) {
      written = WriteSplit(fashion, "train", train_shards);
    }
    if (comm.is_root() && written.ok() && !edgepipe::PathExists(test_shards[1])) {
      written = WriteSplit(fashion, "t10k", test_shards);
    }
    RETURN_IF_ERROR(AgreeOnStatus(comm, written));
  }
  if (pass == "transform") return RunTransform(comm, train_shards, dir, repeat);
  if (pass != "eval") {
    RETURN_IF_ERROR(RunStats(comm, {{"train", train_shards}, {"test", test_shards}}, repeat));
  }
  if (pass == "stats") return Status::OK();
  ASSIGN_OR_RETURN(
      ::tensorflow_model_analysis::EvalConfig config,
      eval::ParseEvalConfigText(
          R"pb(
            model_specs { label_key: "image_class" }
            slicing_specs {}
            slicing_specs { feature_keys: "image_class" }
            metrics_specs {
              metrics { class_name: "ExampleCount" }
              metrics { class_name: "SparseCategoricalAccuracy" }
              metrics { class_name: "SparseCategoricalCrossentropy" config: '"from_logits": true' }
              metrics { class_name: "MultiClassConfusionMatrixPlot" }
            }
            options { compute_confidence_intervals { value: true } }
          )pb",
          "mpi_shard_bench"));
  ASSIGN_OR_RETURN(std::unique_ptr<nn::Model> cnn, BuildCnn());
  CnnModel model(std::move(cnn));
  double best = 1e30;
  int64_t examples = 0;
  for (int r = 0; r < repeat; ++r) {
    RETURN_IF_ERROR(comm.Barrier());
    const auto t0 = std::chrono::steady_clock::now();
    ASSIGN_OR_RETURN(auto result, mpi::ShardedEvaluate(comm, config, {file}, {{"", &model, ""}}));
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::min(best, s);
    if (result.has_value()) examples = result->num_examples;
  }
  if (comm.is_root()) {
    std::printf("RESULT pass=eval ranks=%d examples=%lld best_s=%.3f examples_per_s=%.0f load=%s\n",
                comm.size(), static_cast<long long>(examples), best,
                static_cast<double>(examples) / best, LoadAverage().c_str());
  }
  return Status::OK();
}

}  // namespace

int main(int argc, char** argv) {
  auto session = mpi::MpiSession::Init(&argc, &argv);
  if (!session.ok()) {
    std::fprintf(stderr, "mpi_shard_bench: %s\n", session.status().ToString().c_str());
    return 1;
  }
  std::string fashion = "/usr/share/datasets/fashion-mnist";
  std::string pass = "both";
  int repeat = 3;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--fashion") == 0 && i + 1 < argc) fashion = argv[++i];
    if (std::strcmp(argv[i], "--pass") == 0 && i + 1 < argc) pass = argv[++i];
    if (std::strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
      repeat = std::max(1, std::atoi(argv[++i]));
  }
  auto comm = mpi::Communicator::WorldFromEnvironment();
  if (!comm.ok()) {
    std::fprintf(stderr, "mpi_shard_bench: %s\n", comm.status().ToString().c_str());
    return 1;
  }
  const Status st = Run(**comm, fashion, pass, repeat);
  if (!st.ok()) {
    std::fprintf(stderr, "mpi_shard_bench: rank %d: %s\n", (*comm)->rank(), st.ToString().c_str());
    if ((*comm)->poisoned()) (*comm)->Abort(3);
    return 1;
  }
  return 0;
}
