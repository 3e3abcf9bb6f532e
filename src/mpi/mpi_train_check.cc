// Test program for data-parallel training (src/mpi/gradient_allreduce.h with
// nn::Model::Fit); mpi_train_test.cc launches it under mpirun or alone.
//
//   mpi_train_check reducer                          bucketed allreduce vs the plain sum/mean
//   mpi_train_check reducer-late SECONDS             rank 1 starts its bucket SECONDS late:
//                                                    rank 0's Finish must time out first
//   mpi_train_check train OUT BUCKET_BYTES BATCH [bn|bad-rank-1|short-rank-1|die-rank-1]
//       trains the small model below (SGD, no dropout) on 481 synthetic rows,
//       3 epochs, BATCH rows per rank; each rank writes OUT.rank<r>: its
//       weights (floats, save order) and the epochs' losses (doubles)
//   mpi_train_check train-single OUT BATCH [bn]     the same in one process, no MPI
//   mpi_train_check mnist OUT IMAGES LABELS BATCH   MLP on MNIST: 8,000 rows to train, the
//       last 2,000 to test; rank 0 (or the lone process, without mpirun:
//       `mnist-single`) writes the test accuracy to OUT
//   mpi_train_check runfn DIR IMAGES LABELS          the MNIST example's RunFn with
//       FnArgs::gradient_reducer on every rank: 2,000 digits to train, 500 to
//       validate, as tf.Example files in DIR/rank<r>/; the run_fn's outputs in
//       DIR/rank<r>/serving and DIR/rank<r>/run (only rank 0 writes there)
//
// Exit codes: 0 fine, 1 an error every rank agreed on, 2 bad usage; an MPI
// failure or timeout aborts the job (MPI_Abort, code 3).
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "src/core/byte_buffer.h"
#include "src/core/files.h"
#include "src/data/examples.h"
#include "src/examples/mnist/mnist_utils.h"
#include "src/io/example.h"
#include "src/io/idx.h"
#include "src/io/tfrecord.h"
#include "src/mpi/communicator.h"
#include "src/mpi/gradient_allreduce.h"
#include "src/nn/model.h"
#include "src/nn/normalization.h"
#include "src/nn/random.h"

namespace edgepipe::mpi {
namespace {

// ---- reducer -----------------------------------------------------------------

// Rank r's values of a case: reproducible on every rank, so each can compute
// the exact sum over all ranks itself.
std::vector<float> CaseValues(int rank, int64_t n, uint64_t seed) {
  nn::Rng rng(seed * 1000 + static_cast<uint64_t>(rank));
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = rng.UniformFloat() * 2.0f - 1.0f;
  return v;
}

Status CheckReducer(Communicator& comm) {
  ASSIGN_OR_RETURN(auto reducer, MakeGradientReducer(comm, {.bucket_bytes = 64}));
  struct Case {
    const char* name;
    int64_t n;
    std::vector<int64_t> buckets;  // sizes, in order; they add up to n
  };
  std::vector<Case> cases = {{"one value", 1, {1}},
                             {"odd size, one bucket", 1001, {1001}},
                             {"odd size, many buckets", 1001, {}},
                             {"many one-value buckets", 37, {}},
                             {"large, three buckets", 65537, {1, 65535, 1}}};
  for (int64_t i = 0, at = 0; at < 1001; ++i) {  // 1, 2, 3, ... values
    cases[2].buckets.push_back(std::min<int64_t>(i + 1, 1001 - at));
    at += cases[2].buckets.back();
  }
  cases[3].buckets.assign(37, 1);
  uint64_t seed = 1;
  for (const Case& c : cases) {
    std::vector<float> values = CaseValues(comm.rank(), c.n, seed);
    // Back to front, as Fit hands the buckets over.
    int64_t end = c.n;
    for (int64_t size : c.buckets) {
      RETURN_IF_ERROR(reducer->BeginBucket(values.data() + end - size, size));
      reducer->Poll();
      end -= size;
    }
    if (end != 0) return Status::Internal(std::string(c.name) + ": buckets do not cover the case");
    RETURN_IF_ERROR(reducer->Finish());
    std::vector<double> exact(static_cast<size_t>(c.n), 0.0), magnitude(exact.size(), 0.0);
    for (int r = 0; r < comm.size(); ++r) {
      const std::vector<float> theirs = CaseValues(r, c.n, seed);
      for (size_t i = 0; i < exact.size(); ++i) {
        exact[i] += theirs[i];
        magnitude[i] += std::abs(theirs[i]);
      }
    }
    for (size_t i = 0; i < exact.size(); ++i) {
      // A float sum of P terms is within (P - 1) ulps of |terms| of the exact one.
      const double bound = comm.size() * 1.2e-7 * magnitude[i];
      const double mean = values[i] / comm.size(), exact_mean = exact[i] / comm.size();
      if (std::abs(mean - exact_mean) > bound / comm.size()) {
        return Status::Internal(std::string(c.name) + ": value " + std::to_string(i) + " mean " +
                                std::to_string(mean) + ", exact " + std::to_string(exact_mean));
      }
    }
    // Every rank holds the same bits.
    ASSIGN_OR_RETURN(std::vector<std::string> all,
                     comm.Gather(std::string_view(reinterpret_cast<const char*>(values.data()),
                                                  values.size() * sizeof(float))));
    for (size_t r = 1; r < all.size(); ++r) {
      if (all[r] != all[0]) {
        return Status::Internal(std::string(c.name) + ": rank " + std::to_string(r) +
                                " holds other bits than rank 0");
      }
    }
    ++seed;
  }
  int64_t buckets = 0, bytes = 0;
  for (const Case& c : cases) {
    buckets += static_cast<int64_t>(c.buckets.size());
    bytes += c.n * 4;
  }
  const auto& stats = reducer->stats();
  if (stats.buckets != buckets || stats.bytes != bytes ||
      stats.finishes != static_cast<int64_t>(cases.size())) {
    return Status::Internal("stats: " + std::to_string(stats.buckets) + " buckets, " +
                            std::to_string(stats.bytes) + " bytes, expected " +
                            std::to_string(buckets) + ", " + std::to_string(bytes));
  }
  // A negative size is refused without touching MPI.
  if (reducer->BeginBucket(nullptr, -1).ok()) return Status::Internal("negative size accepted");
  if (MakeGradientReducer(comm, {.bucket_bytes = 0}).ok()) {
    return Status::Internal("bucket_bytes 0 accepted");
  }
  return Status::OK();
}

// ---- train -------------------------------------------------------------------

constexpr int64_t kRows = 481;  // 15 global batches of 32 and 1 row: a rank gets none
constexpr int64_t kFeatures = 8, kClasses = 4;

struct Dataset {
  Tensor x{DType::kFloat32, {kRows, kFeatures}};
  Tensor y{DType::kInt64, {kRows}};
};

// Classes from a fixed linear rule plus noise, so that training learns.
Dataset MakeDataset() {
  Dataset d;
  nn::Rng rng(5);
  for (int64_t i = 0; i < kRows; ++i) {
    float* row = d.x.data<float>() + i * kFeatures;
    for (int64_t j = 0; j < kFeatures; ++j) row[j] = rng.UniformFloat() * 2.0f - 1.0f;
    const float s = row[0] + 0.5f * row[1] - row[2] + 0.1f * (rng.UniformFloat() - 0.5f);
    d.y.data<int64_t>()[i] = s < -0.6f ? 0 : s < 0.0f ? 1 : s < 0.6f ? 2 : 3;
  }
  return d;
}

StatusOr<std::unique_ptr<nn::Sequential>> SmallModel(bool batch_norm) {
  auto model = std::make_unique<nn::Sequential>("small");
  RETURN_IF_ERROR(model->Add(std::make_unique<nn::Dense>(16, nn::Activation::kRelu)));
  if (batch_norm) RETURN_IF_ERROR(model->Add(std::make_unique<nn::BatchNormalization>()));
  RETURN_IF_ERROR(model->Add(std::make_unique<nn::Dense>(16, nn::Activation::kRelu)));
  RETURN_IF_ERROR(model->Add(std::make_unique<nn::Dense>(kClasses)));
  // Rank-dependent seeds: the broadcast from rank 0 must make them equal.
  RETURN_IF_ERROR(model->Build(kFeatures, /*seed=*/3));
  RETURN_IF_ERROR(
      model->Compile({.optimizer = nn::SGD({.learning_rate = 0.1f, .momentum = 0.5f})}));
  model->set_num_threads(1);
  return model;
}

// Kills this process at the end of epoch 1 (a rank dying mid-training).
class DieAfterFirstEpoch : public nn::Callback {
 public:
  Status OnEpochEnd(nn::Model&, int64_t epoch, const nn::EpochLogs&) override {
    if (epoch == 1) std::raise(SIGKILL);
    return Status::OK();
  }
};

Status Train(nn::GradientReducer* reducer, int rank, const std::string& out, int64_t batch,
             const std::string& variant) {
  Dataset d = MakeDataset();
  if (variant == "bad-rank-1" && rank == 1) d.y.data<int64_t>()[17] = 9;
  if (variant == "short-rank-1" && rank == 1) {  // one example fewer than rank 0
    Tensor x(DType::kFloat32, {kRows - 1, kFeatures}), y(DType::kInt64, {kRows - 1});
    std::memcpy(x.raw_data(), d.x.raw_data(), x.num_bytes());
    std::memcpy(y.raw_data(), d.y.raw_data(), y.num_bytes());
    d.x = std::move(x);
    d.y = std::move(y);
  }
  ASSIGN_OR_RETURN(auto model, SmallModel(variant == "bn"));
  if (rank != 0) {
    // Different initial weights on the other ranks: Fit must replace them by rank 0's.
    auto weights = model->GetWeights();
    for (auto& [name, t] : weights) {
      for (int64_t i = 0; i < t.num_elements(); ++i) t.data<float>()[i] += 0.25f;
    }
    RETURN_IF_ERROR(model->SetWeights(weights));
  }
  nn::FitOptions fit{.batch_size = batch, .epochs = 3, .seed = 11, .verbose = 0};
  fit.reducer = reducer;
  DieAfterFirstEpoch die;
  if (variant == "die-rank-1" && rank == 1) fit.callbacks.push_back(&die);
  ASSIGN_OR_RETURN(nn::History h, model->Fit(d.x, d.y, fit));
  ByteWriter w;
  for (const auto& [name, t] : model->GetWeights()) {
    for (int64_t i = 0; i < t.num_elements(); ++i) w.Put<float>(t.data<float>()[i]);
  }
  for (double loss : h.history.at("loss")) w.Put<double>(loss);
  for (double acc : h.history.at("sparse_categorical_accuracy")) w.Put<double>(acc);
  return WriteFileAtomic(out + ".rank" + std::to_string(rank), w.Release());
}

// ---- mnist -------------------------------------------------------------------

Status Mnist(nn::GradientReducer* reducer, const std::string& out, const std::string& images,
             const std::string& labels, int64_t batch) {
  ASSIGN_OR_RETURN(Tensor xi, io::ReadIdx(images));
  ASSIGN_OR_RETURN(Tensor yi, io::ReadIdx(labels));
  constexpr int64_t kTrain = 8000, kTest = 2000, kPixels = 784;
  if (xi.dtype() != DType::kUInt8 || xi.num_elements() < (kTrain + kTest) * kPixels ||
      yi.dtype() != DType::kUInt8 || yi.num_elements() < kTrain + kTest) {
    return Status::InvalidArgument(images + ": expected at least 10,000 uint8 28x28 images");
  }
  auto split = [&](int64_t begin, int64_t n, Tensor* x, Tensor* y) {
    *x = Tensor(DType::kFloat32, {n, kPixels});
    *y = Tensor(DType::kInt64, {n});
    for (int64_t i = 0; i < n * kPixels; ++i) {
      x->data<float>()[i] = xi.data<uint8_t>()[begin * kPixels + i] / 255.0f;
    }
    for (int64_t i = 0; i < n; ++i) y->data<int64_t>()[i] = yi.data<uint8_t>()[begin + i];
  };
  Tensor x, y, tx, ty;
  split(0, kTrain, &x, &y);
  split(kTrain, kTest, &tx, &ty);
  nn::Sequential model("mnist");
  RETURN_IF_ERROR(model.Add(std::make_unique<nn::Dense>(64, nn::Activation::kRelu)));
  RETURN_IF_ERROR(model.Add(std::make_unique<nn::Dense>(64, nn::Activation::kRelu)));
  RETURN_IF_ERROR(model.Add(std::make_unique<nn::Dense>(10)));
  RETURN_IF_ERROR(model.Build(kPixels, 42));
  RETURN_IF_ERROR(model.Compile({.optimizer = nn::Adam({.learning_rate = 1e-3f})}));
  model.set_num_threads(1);
  nn::FitOptions fit{.batch_size = batch, .epochs = 3, .seed = 7, .verbose = 0};
  fit.reducer = reducer;
  ASSIGN_OR_RETURN(nn::History h, model.Fit(x, y, fit));
  ASSIGN_OR_RETURN(nn::EvaluateResult ev, model.Evaluate(tx, ty));
  if (reducer != nullptr && reducer->rank() != 0) return Status::OK();
  char line[64];
  std::snprintf(line, sizeof(line), "%.6f\n", ev.sparse_categorical_accuracy);
  return WriteFileAtomic(out, line);
}

// ---- the example module's run_fn -------------------------------------------

Status RunFnOnRanks(nn::GradientReducer& reducer, const std::string& dir, const std::string& images,
                    const std::string& labels) {
  ASSIGN_OR_RETURN(Tensor xi, io::ReadIdx(images));
  ASSIGN_OR_RETURN(Tensor yi, io::ReadIdx(labels));
  constexpr int64_t kTrain = 2000, kEval = 500, kPixels = 784;
  if (xi.dtype() != DType::kUInt8 || xi.num_elements() < (kTrain + kEval) * kPixels ||
      yi.dtype() != DType::kUInt8 || yi.num_elements() < kTrain + kEval) {
    return Status::InvalidArgument(images + ": expected at least 2,500 uint8 28x28 images");
  }
  // The pipeline's ExampleGen output, written by every rank into its own folder.
  const std::string mine = dir + "/rank" + std::to_string(reducer.rank());
  auto write = [&](int64_t begin, int64_t n, const std::string& path) {
    std::vector<std::string> records;
    for (int64_t i = begin; i < begin + n; ++i) {
      tensorflow::Example ex;
      std::vector<float> pixels(kPixels);
      for (int64_t j = 0; j < kPixels; ++j) pixels[j] = xi.data<uint8_t>()[i * kPixels + j];
      io::SetFloatFeature(examples::mnist::kImageKey, pixels, &ex);
      io::SetInt64Feature(examples::mnist::kLabelKey, {yi.data<uint8_t>()[i]}, &ex);
      records.push_back(ex.SerializeAsString());
    }
    return io::WriteAllRecords(path, records, io::Compression::kGzip);
  };
  RETURN_IF_ERROR(CreateDirectories(mine + "/serving"));
  RETURN_IF_ERROR(CreateDirectories(mine + "/run"));
  RETURN_IF_ERROR(write(0, kTrain, mine + "/train.tfrecord.gz"));
  RETURN_IF_ERROR(write(kTrain, kEval, mine + "/eval.tfrecord.gz"));
  components::FnArgs args;
  args.train_files = {mine + "/train.tfrecord.gz"};
  args.eval_files = {mine + "/eval.tfrecord.gz"};
  args.serving_model_dir = mine + "/serving";
  args.model_run_dir = mine + "/run";
  args.train_steps = 200;
  args.eval_steps = 5;
  args.custom_config = {{"seed", 1}, {"batch_size", 40}};
  args.data_accessor.read_examples =
      [](const std::vector<std::string>& files, const std::vector<data::FeatureSpec>& specs,
         const data::ReadOptions& options) { return data::ReadExamples(files, specs, options); };
  args.gradient_reducer = &reducer;
  args.log = nullptr;
  return examples::mnist::RunFn(args);
}

int Main(int argc, char** argv) {
  if (argc < 2) return 2;
  const std::string mode = argv[1];
  if (mode == "train-single" && argc >= 4) {
    Status st = Train(nullptr, 0, argv[2], std::atoll(argv[3]), argc >= 5 ? argv[4] : "");
    if (!st.ok()) std::fprintf(stderr, "mpi_train_check: %s\n", st.ToString().c_str());
    return st.ok() ? 0 : 1;
  }
  if (mode == "mnist-single" && argc >= 6) {
    Status st = Mnist(nullptr, argv[2], argv[3], argv[4], std::atoll(argv[5]));
    if (!st.ok()) std::fprintf(stderr, "mpi_train_check: %s\n", st.ToString().c_str());
    return st.ok() ? 0 : 1;
  }
  auto session = MpiSession::Init(&argc, &argv);
  if (!session.ok()) {
    std::fprintf(stderr, "mpi_train_check: %s\n", session.status().ToString().c_str());
    return 1;
  }
  auto comm = Communicator::WorldFromEnvironment();
  if (!comm.ok()) {
    std::fprintf(stderr, "mpi_train_check: %s\n", comm.status().ToString().c_str());
    return 1;
  }
  Communicator& c = **comm;
  Status st;
  if (mode == "reducer") {
    st = CheckReducer(c);
    if (st.ok() && c.is_root()) std::printf("reducer ok on %d ranks\n", c.size());
  } else if (mode == "reducer-late" && argc >= 3) {
    auto reducer = MakeGradientReducer(c);
    st = reducer.status();
    std::vector<float> grads(1000, 1.0f);
    if (st.ok() && c.rank() == 1) {
      std::this_thread::sleep_for(std::chrono::duration<double>(std::atof(argv[2])));
    }
    if (st.ok()) st = (*reducer)->BeginBucket(grads.data(), 1000);
    if (st.ok()) st = (*reducer)->Finish();
  } else if (mode == "train" && argc >= 5) {
    auto reducer = MakeGradientReducer(c, {.bucket_bytes = std::atoll(argv[3])});
    st = reducer.ok() ? Train(reducer->get(), c.rank(), argv[2], std::atoll(argv[4]),
                              argc >= 6 ? argv[5] : "")
                      : reducer.status();
  } else if (mode == "runfn" && argc >= 5) {
    auto reducer = MakeGradientReducer(c);
    st = reducer.ok() ? RunFnOnRanks(**reducer, argv[2], argv[3], argv[4]) : reducer.status();
  } else if (mode == "mnist" && argc >= 6) {
    auto reducer = MakeGradientReducer(c);
    st = reducer.ok() ? Mnist(reducer->get(), argv[2], argv[3], argv[4], std::atoll(argv[5]))
                      : reducer.status();
  } else {
    std::fprintf(stderr, "mpi_train_check: bad arguments for mode '%s'\n", mode.c_str());
    return 2;
  }
  if (!st.ok()) {
    std::fprintf(stderr, "mpi_train_check: rank %d: %s\n", c.rank(), st.ToString().c_str());
    if (c.poisoned()) c.Abort(3);
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace edgepipe::mpi

int main(int argc, char** argv) { return edgepipe::mpi::Main(argc, argv); }
