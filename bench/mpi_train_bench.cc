// mpi_train_bench: data-parallel training of the Fashion-MNIST CNN
// (nn_epoch_bench's (b): Conv2D(32) → pool → Conv2D(64) → pool → Dense(10),
// Adam 3e-3 with cosine decay, standardised inputs, global batch 64) on the
// ranks of an MPI job, one compute thread per rank, against one rank alone
// in the same job, so both figures come from the same run and machine state.
//
//   mpirun -np 2 build/bench/mpi_train_bench --train-images P --train-labels P
//       --test-images P --test-labels P [--epochs 1] [--batch 64 (global)]
//       [--bucket-kb 32] [--train-limit N] [--allreduce-repeat 200]
//
// (training_bench_common.h's flags, minus --threads: one thread per rank.)
// Phases: (1) rank 0 trains alone with the global batch while the others
// wait in a barrier (which sleeps), then 200 steps alone with batch / N
// rows (one rank's compute, for the cost model); (2) every rank trains a
// fresh model with batch / N rows per step (nn::FitOptions::reducer,
// mpi::GradientAllreduce, buckets of --bucket-kb: 32 KiB makes three
// buckets of this CNN — dense, conv2, conv1 — so the first two overlap the
// backward of the layers below them); (3) the ranks time the allreduce of
// one step's buckets alone, back to back (its unhidden cost). Rank 0 prints,
// per phase, the seconds per epoch and the test accuracy, then the
// speed-up, the allreduce bytes per step, compute per step (step time minus
// the time spent waiting in Finish), the exposed communication (that wait:
// the allreduce the backward pass did not hide, plus any time waiting for a
// slower rank), the overlapped part (allreduce alone minus exposed, floored
// at 0), the cost model's prediction and the load average (bench/README.md,
// "MPI").
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bench/fashion_cnn.h"
#include "bench/training_bench_common.h"
#include "src/mpi/communicator.h"
#include "src/mpi/gradient_allreduce.h"
#include "src/mpi/sharded_evaluate.h"
#include "src/nn/model.h"

namespace {

namespace bench = edgepipe::bench;
namespace mpi = ::edgepipe::mpi;
namespace nn = edgepipe::nn;
using edgepipe::DType;
using edgepipe::Status;
using edgepipe::Tensor;

Status BuildCnn(const bench::TrainingBenchArgs& a, int64_t train_examples, nn::Sequential* model) {
  RETURN_IF_ERROR(bench::BuildFashionCnn(model, a.seed));
  std::unique_ptr<nn::Optimizer> adam = nn::Adam({.learning_rate = a.learning_rate});
  if (auto schedule = bench::LearningRateSchedule(a, train_examples))
    adam->set_learning_rate_schedule(*schedule);
  RETURN_IF_ERROR(model->Compile({.optimizer = std::move(adam)}));
  model->set_num_threads(1);
  return Status::OK();
}

Tensor Images(const bench::ImageSet& s) {
  Tensor t(DType::kFloat32, {s.n, s.height, s.width, 1});
  std::copy(s.x.begin(), s.x.end(), t.data<float>());
  return t;
}

Tensor Labels(const bench::ImageSet& s) {
  Tensor t(DType::kInt64, {s.n});
  std::copy(s.y.begin(), s.y.end(), t.data<int64_t>());
  return t;
}

struct PhaseResult {
  double seconds_per_epoch = 0;  // median over epochs
  double cpu_per_epoch = 0;      // this process's CPU seconds, median over epochs
  double test_accuracy = 0;
  int64_t steps = 0;  // per epoch
};

// Trains `epochs` epochs (one Fit each, timed) and evaluates on the test set.
edgepipe::StatusOr<PhaseResult> TrainPhase(const bench::TrainingBenchArgs& a,
                                           const bench::ImageSet& train, const Tensor& tx,
                                           const Tensor& ty, int64_t batch,
                                           nn::GradientReducer* reducer) {
  nn::Sequential model("cnn");
  RETURN_IF_ERROR(BuildCnn(a, train.n, &model));
  const Tensor x = Images(train), y = Labels(train);
  std::vector<double> seconds, cpu;
  PhaseResult r;
  for (int64_t epoch = 1; epoch <= a.epochs; ++epoch) {
    nn::FitOptions fit{.batch_size = batch,
                       .epochs = 1,
                       .seed = a.seed * 1000 + static_cast<uint64_t>(epoch),
                       .verbose = 0};
    fit.reducer = reducer;
    const double t0 = bench::WallSeconds(), c0 = bench::CpuSeconds();
    ASSIGN_OR_RETURN(nn::History h, model.Fit(x, y, fit));
    seconds.push_back(bench::WallSeconds() - t0);
    cpu.push_back(bench::CpuSeconds() - c0);
    r.steps = h.steps;
  }
  r.seconds_per_epoch = bench::Median(seconds);
  r.cpu_per_epoch = bench::Median(cpu);
  ASSIGN_OR_RETURN(nn::EvaluateResult ev, model.Evaluate(tx, ty));
  r.test_accuracy = ev.sparse_categorical_accuracy;
  return r;
}

int Run(int argc, char** argv) {
  auto session = mpi::MpiSession::Init(&argc, &argv);
  if (!session.ok()) {
    std::fprintf(stderr, "mpi_train_bench: %s\n", session.status().ToString().c_str());
    return 1;
  }
  auto comm_or = mpi::Communicator::WorldFromEnvironment();
  if (!comm_or.ok()) {
    std::fprintf(stderr, "mpi_train_bench: %s\n", comm_or.status().ToString().c_str());
    return 1;
  }
  mpi::Communicator& comm = **comm_or;
  // Our own flags out of the way of ParseTrainingBenchArgs.
  int64_t bucket_kb = 32, allreduce_repeat = 200;
  std::vector<char*> rest = {argv[0]};
  for (int i = 1; i < argc; ++i) {
    if (i + 1 < argc && std::strcmp(argv[i], "--bucket-kb") == 0) {
      bucket_kb = std::atoll(argv[++i]);
    } else if (i + 1 < argc && std::strcmp(argv[i], "--allreduce-repeat") == 0) {
      allreduce_repeat = std::atoll(argv[++i]);
    } else {
      rest.push_back(argv[i]);
    }
  }
  std::vector<char*> with_model = rest;
  with_model.insert(with_model.begin() + 1,
                    {const_cast<char*>("--model"), const_cast<char*>("cnn")});
  auto args = bench::ParseTrainingBenchArgs(static_cast<int>(with_model.size()), with_model.data());
  Status st = args.status();
  const int ranks = comm.size();
  if (st.ok() && args->batch % ranks != 0) {
    st = Status::InvalidArgument("--batch " + std::to_string(args->batch) +
                                 " (global) is not a multiple of the " + std::to_string(ranks) +
                                 " ranks");
  }
  if (st.ok() && (bucket_kb <= 0 || allreduce_repeat <= 0)) {
    st = Status::InvalidArgument("--bucket-kb and --allreduce-repeat: expected > 0");
  }
  bench::ImageSet train, test;
  if (st.ok()) st = bench::LoadTrainTest(*args, &train, &test);
  if (Status agreed = AgreeOnStatus(comm, st); !agreed.ok()) {
    if (comm.is_root()) std::fprintf(stderr, "mpi_train_bench: %s\n", agreed.message().c_str());
    return comm.poisoned() ? (comm.Abort(3), 3) : 2;
  }
  const bench::TrainingBenchArgs& a = *args;
  const Tensor tx = Images(test), ty = Labels(test);
  auto fail = [&](const Status& s) {
    std::fprintf(stderr, "mpi_train_bench: rank %d: %s\n", comm.rank(), s.ToString().c_str());
    if (comm.poisoned()) comm.Abort(3);
    return 1;
  };

  // (1) One rank alone, the global batch on one thread; then (for the cost
  // model) the same rank alone with one rank's share of it, 200 steps.
  PhaseResult one;
  double share_step_s = 0;
  Status solo;
  if (comm.is_root()) {
    auto r = TrainPhase(a, train, tx, ty, a.batch, nullptr);
    solo = r.status();
    if (r.ok()) {
      one = *r;
      nn::Sequential model("cnn");
      solo = BuildCnn(a, train.n, &model);
      const Tensor x = Images(train), y = Labels(train);
      const int64_t steps = 200;
      const double t0 = bench::WallSeconds();
      if (solo.ok()) {
        solo =
            model.Fit(x, y, {.batch_size = a.batch / ranks, .steps = steps, .verbose = 0}).status();
      }
      share_step_s = (bench::WallSeconds() - t0) / steps;
    }
  }
  if (Status s = comm.Barrier(); !s.ok()) return fail(s);
  if (Status s = AgreeOnStatus(comm, solo); !s.ok()) return fail(s);
  const double load_one = bench::LoadAverage();

  // (2) Every rank, batch / N each.
  auto reducer = mpi::MakeGradientReducer(comm, {.bucket_bytes = bucket_kb * 1024});
  if (!reducer.ok()) return fail(reducer.status());
  auto many = TrainPhase(a, train, tx, ty, a.batch / ranks, reducer->get());
  if (!many.ok()) return fail(many.status());
  const double load_many = bench::LoadAverage();
  const mpi::GradientAllreduce::Stats stats = (*reducer)->stats();

  // (3) The allreduce of one step's buckets alone (same sizes, same order).
  const int64_t step_floats = stats.bytes / std::max<int64_t>(stats.finishes, 1) / 4;
  const int64_t buckets_per_step = stats.buckets / std::max<int64_t>(stats.finishes, 1);
  std::vector<float> grads(static_cast<size_t>(step_floats), 1.0f);
  const int64_t bucket_floats = (step_floats + buckets_per_step - 1) / buckets_per_step;
  (*reducer)->ResetStats();
  double best_allreduce = 1e30;
  for (int rep = 0; rep < 3; ++rep) {
    if (Status s = comm.Barrier(); !s.ok()) return fail(s);
    const double t0 = bench::WallSeconds();
    for (int64_t i = 0; i < allreduce_repeat; ++i) {
      for (int64_t at = 0; at < step_floats; at += bucket_floats) {
        Status s =
            (*reducer)->BeginBucket(grads.data() + at, std::min(bucket_floats, step_floats - at));
        if (!s.ok()) return fail(s);
      }
      if (Status s = (*reducer)->Finish(); !s.ok()) return fail(s);
    }
    best_allreduce = std::min(best_allreduce, (bench::WallSeconds() - t0) / allreduce_repeat);
  }

  if (comm.is_root()) {
    const double steps = static_cast<double>(many->steps) * static_cast<double>(a.epochs);
    const double step_s = many->seconds_per_epoch / static_cast<double>(many->steps);
    const double exposed = stats.exposed_seconds / steps;
    const double compute = step_s - exposed;
    const double overlapped = std::max(0.0, best_allreduce - exposed);
    std::printf(
        "mpi_train_bench: Fashion-MNIST CNN, %lld train / %lld test images, %lld epoch(s), "
        "global batch %lld, %lld params, buckets of %lld KiB\n",
        static_cast<long long>(train.n), static_cast<long long>(test.n),
        static_cast<long long>(a.epochs), static_cast<long long>(a.batch),
        static_cast<long long>(step_floats), static_cast<long long>(bucket_kb));
    std::printf(
        "1 rank : %8.3f s/epoch (CPU %.3f s)  %lld steps of %lld  %.3f ms/step  test_acc %.4f  "
        "load %.2f\n",
        one.seconds_per_epoch, one.cpu_per_epoch, static_cast<long long>(one.steps),
        static_cast<long long>(a.batch),
        1e3 * one.seconds_per_epoch / static_cast<double>(one.steps), one.test_accuracy, load_one);
    std::printf(
        "%d ranks: %8.3f s/epoch (CPU %.3f s on rank 0)  %lld steps of %d x %lld  %.3f ms/step  "
        "test_acc %.4f  load %.2f\n",
        ranks, many->seconds_per_epoch, many->cpu_per_epoch, static_cast<long long>(many->steps),
        ranks, static_cast<long long>(a.batch / ranks), 1e3 * step_s, many->test_accuracy,
        load_many);
    // On a shared machine a rank may wait for a core: the CPU seconds of one
    // rank against the lone rank's show the split of the work apart from that
    // (a rank's CPU includes its spin in Finish, so this is a lower bound).
    std::printf(
        "speed-up %.2fx wall, %.2fx per-rank CPU (ideal %d); accuracy difference %+.2f "
        "points\n",
        one.seconds_per_epoch / many->seconds_per_epoch, one.cpu_per_epoch / many->cpu_per_epoch,
        ranks, 100.0 * (many->test_accuracy - one.test_accuracy));
    std::printf(
        "per step on %d ranks: allreduce %lld bytes in %lld bucket(s); compute %.3f ms; "
        "communication alone %.3f ms, exposed (waited) %.3f ms, overlapped %.3f ms\n",
        ranks, static_cast<long long>(step_floats * 4), static_cast<long long>(buckets_per_step),
        1e3 * compute, 1e3 * best_allreduce, 1e3 * exposed, 1e3 * overlapped);
    // The cost model (bench/README.md): a step on N ranks is one rank's
    // compute of its share plus the allreduce the backward pass does not
    // hide; without any overlap, the allreduce alone is added whole.
    const double predicted = share_step_s + best_allreduce;
    std::printf(
        "model: 1 rank alone with %lld rows/step %.3f ms + allreduce alone %.3f ms = "
        "%.3f ms/step on %d ranks (no overlap) -> predicted speed-up %.2fx; measured "
        "%.3f ms/step, %.2fx\n",
        static_cast<long long>(a.batch / ranks), 1e3 * share_step_s, 1e3 * best_allreduce,
        1e3 * predicted, ranks, one.seconds_per_epoch / static_cast<double>(one.steps) / predicted,
        1e3 * step_s, one.seconds_per_epoch / many->seconds_per_epoch);
    std::printf(
        "RESULT ranks=%d s_epoch_1=%.4f s_epoch_n=%.4f speedup=%.3f acc_1=%.4f acc_n=%.4f "
        "bytes_step=%lld compute_ms=%.4f comm_ms=%.4f exposed_ms=%.4f load=%.2f\n",
        ranks, one.seconds_per_epoch, many->seconds_per_epoch,
        one.seconds_per_epoch / many->seconds_per_epoch, one.test_accuracy, many->test_accuracy,
        static_cast<long long>(step_floats * 4), 1e3 * compute, 1e3 * best_allreduce, 1e3 * exposed,
        load_many);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
