// torch_train_bench: the peer of nn_epoch_bench — the same two models,
// optimizer, batch sizes and data, trained with libtorch (Debian libtorch-dev),
// so bench/run_training_bench.sh can print ours vs libtorch seconds per epoch.
//
//   torch_train_bench --model mlp|cnn --train-images P --train-labels P
//                     [--test-images P --test-labels P | --holdout K] [--epochs 5]
//
// Flags and output lines: bench/training_bench_common.h.
//
// Fairness: both implementations run on 2 threads with flush-to-zero +
// denormals-are-zero, Keras's initialisers (glorot_uniform kernels, zero
// biases) and Keras's Adam (betas 0.9/0.999, eps 1e-7) with the same
// learning rate and schedule (training_bench_common.h: LearningRateSchedule),
// train on the same standardised and, for the MLP, randomly translated images
// (EpochTrainingSet: shared code, the same bytes for both), reshuffle every
// epoch, keep the last partial batch, and compute the training loss and
// accuracy of every step (what Keras' fit reports). libtorch should be linked
// with libopenblas0-pthread installed, else Debian's reference BLAS makes it
// several times slower than it really is.
#include <dlfcn.h>
#include <omp.h>
#include <torch/torch.h>
#include <xmmintrin.h>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "bench/training_bench_common.h"

namespace {

namespace bench = edgepipe::bench;

// Sets FTZ (flush results) + DAZ (denormal inputs) on the calling thread.
void SetFlushDenormalsHere() { _mm_setcsr(_mm_getcsr() | 0x8040); }

// MXCSR is per thread and a new thread copies its creator's (checked on this
// kernel), so: set it here, then in every OpenMP thread (libtorch's intra-op
// pool and oneDNN's, both libgomp, kept alive by the runtime), and restart
// OpenBLAS's pthread pool — created when the library loaded, before main, and
// OpenBLAS does not pass the caller's MXCSR to its workers — so that its
// threads are re-created from this one on the next GEMM.
void SetFlushDenormalsEverywhere(int threads) {
  SetFlushDenormalsHere();
  at::globalContext().setFlushDenormal(true);
#pragma omp parallel num_threads(threads)
  SetFlushDenormalsHere();
  using ShutdownFn = int (*)();
  if (auto shutdown = reinterpret_cast<ShutdownFn>(dlsym(RTLD_DEFAULT, "blas_thread_shutdown_")))
    shutdown();
}

// Evidence that every thread doing the work flushes: with DAZ, denormal inputs
// read as 0, so a GEMM (big enough for OpenBLAS to use its threads) and a
// convolution (oneDNN, OpenMP threads) of denormal 1e-40 by ones are exactly
// 0; any thread without DAZ leaves 784e-40 ~ 7.8e-38 (a normal float) in its
// part. Returns the number of non-zero outputs.
int64_t CountUnflushed() {
  torch::NoGradGuard no_grad;
  const torch::Tensor a = torch::full({256, 784}, 1e-40f);
  const torch::Tensor b = torch::ones({784, 256});
  const torch::Tensor img = torch::full({64, 16, 28, 28}, 1e-40f);
  const torch::Tensor w = torch::ones({32, 16, 7, 7});
  return torch::mm(a, b).ne(0).sum().item<int64_t>() +
         torch::conv2d(img, w).ne(0).sum().item<int64_t>();
}

// Keras defaults: glorot_uniform kernel, zero bias (torch's defaults differ:
// kaiming_uniform with a = sqrt(5) and a fan-in uniform bias).
template <typename M>
void KerasInit(M& m) {
  torch::NoGradGuard no_grad;
  torch::nn::init::xavier_uniform_(m->weight);
  torch::nn::init::zeros_(m->bias);
}

struct MlpImpl : torch::nn::Module {
  MlpImpl() {
    fc1 = register_module("fc1", torch::nn::Linear(784, 128));
    fc2 = register_module("fc2", torch::nn::Linear(128, 10));
    KerasInit(fc1);
    KerasInit(fc2);
  }
  torch::Tensor forward(torch::Tensor x) {
    return fc2->forward(torch::relu(fc1->forward(x.view({x.size(0), 784}))));
  }
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(Mlp);

struct CnnImpl : torch::nn::Module {
  CnnImpl() {
    conv1 = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 32, 3)));
    conv2 = register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(32, 64, 3)));
    fc = register_module("fc", torch::nn::Linear(5 * 5 * 64, 10));
    KerasInit(conv1);
    KerasInit(conv2);
    KerasInit(fc);
  }
  // x (B, 1, 28, 28) → 26 → 13 → 11 → 5 (valid convs, floor pooling as Keras).
  torch::Tensor forward(torch::Tensor x) {
    x = torch::max_pool2d(torch::relu(conv1->forward(x)), 2);
    x = torch::max_pool2d(torch::relu(conv2->forward(x)), 2);
    return fc->forward(x.flatten(1));
  }
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(Cnn);

torch::Tensor Images(const bench::ImageSet& s, bool cnn) {
  torch::Tensor t =
      torch::from_blob(const_cast<float*>(s.x.data()), {s.n, s.pixels}, torch::kFloat32).clone();
  return cnn ? t.view({s.n, 1, s.height, s.width}) : t;
}

torch::Tensor Labels(const bench::ImageSet& s) {
  return torch::from_blob(const_cast<int64_t*>(s.y.data()), {s.n}, torch::kInt64).clone();
}

template <typename Net>
double TestAccuracy(Net& net, const torch::Tensor& x, const torch::Tensor& y) {
  torch::NoGradGuard no_grad;
  net->eval();
  int64_t correct = 0;
  for (int64_t i = 0; i < x.size(0); i += 1000) {
    const int64_t end = std::min<int64_t>(i + 1000, x.size(0));
    const torch::Tensor logits = net->forward(x.slice(0, i, end));
    correct += logits.argmax(1).eq(y.slice(0, i, end)).sum().item<int64_t>();
  }
  net->train();
  return static_cast<double>(correct) / static_cast<double>(x.size(0));
}

template <typename Net>
int Train(Net net, const bench::TrainingBenchArgs& a, const bench::ImageSet& train,
          const bench::ImageSet& test) {
  const bool cnn = a.model == "cnn";
  const torch::Tensor y = Labels(train);
  const torch::Tensor tx = Images(test, cnn), ty = Labels(test);
  torch::optim::Adam adam(net->parameters(),
                          torch::optim::AdamOptions(a.learning_rate).betas({0.9, 0.999}).eps(1e-7));
  const std::optional<edgepipe::nn::LearningRateSchedule> schedule =
      bench::LearningRateSchedule(a, train.n);
  int64_t step = 0;
  const int64_t n = train.n;
  bench::ImageSet augmented;
  std::vector<bench::EpochFigures> epochs;
  for (int64_t epoch = 1; epoch <= a.epochs; ++epoch) {
    // This epoch's (augmented) images, the same bytes nn_epoch_bench trains
    // on; prepared before the clock starts, as there.
    const torch::Tensor x = Images(bench::EpochTrainingSet(a, train, epoch, &augmented), cnn);
    const double wall0 = bench::WallSeconds(), cpu0 = bench::CpuSeconds();
    const torch::Tensor order = torch::randperm(n, torch::kInt64);
    torch::Tensor loss_sum = torch::zeros({}, torch::kFloat64);
    torch::Tensor correct = torch::zeros({}, torch::kInt64);
    for (int64_t i = 0; i < n; i += a.batch) {
      const torch::Tensor idx = order.slice(0, i, std::min(i + a.batch, n));
      const torch::Tensor bx = x.index_select(0, idx), by = y.index_select(0, idx);
      if (schedule) {
        // Keras semantics: the update numbered `step` (from 0) uses schedule(step).
        static_cast<torch::optim::AdamOptions&>(adam.param_groups()[0].options())
            .lr((*schedule)(step));
      }
      ++step;
      adam.zero_grad();
      const torch::Tensor logits = net->forward(bx);
      const torch::Tensor loss = torch::nn::functional::cross_entropy(logits, by);
      loss.backward();
      adam.step();
      torch::NoGradGuard no_grad;
      loss_sum += loss.detach().to(torch::kFloat64) * idx.size(0);
      correct += logits.argmax(1).eq(by).sum();
    }
    bench::EpochFigures e;
    e.wall_s = bench::WallSeconds() - wall0;
    e.cpu_s = bench::CpuSeconds() - cpu0;
    e.loss = loss_sum.item<double>() / static_cast<double>(n);
    e.acc = static_cast<double>(correct.item<int64_t>()) / static_cast<double>(n);
    e.test_acc = TestAccuracy(net, tx, ty);
    e.load = bench::LoadAverage();
    bench::PrintEpoch("libtorch", a, epoch, e);
    epochs.push_back(e);
  }
  bench::PrintResult("libtorch", a, n, epochs);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto args = bench::ParseTrainingBenchArgs(argc, argv);
  if (!args.ok()) {
    std::fprintf(stderr, "torch_train_bench: %s\n", args.status().message().c_str());
    return 2;
  }
  bench::ImageSet train, test;
  if (edgepipe::Status s = bench::LoadTrainTest(*args, &train, &test); !s.ok()) {
    std::fprintf(stderr, "torch_train_bench: %s\n", s.message().c_str());
    return 1;
  }
  torch::set_num_threads(args->threads);
  SetFlushDenormalsEverywhere(args->threads);
  torch::manual_seed(static_cast<uint64_t>(args->seed));
  try {
    const int64_t unflushed = CountUnflushed();
    std::fprintf(stderr,
                 "torch_train_bench: libtorch %s, %d threads, flush-to-zero %s (%lld unflushed "
                 "outputs), %lld train / %lld test\n",
                 TORCH_VERSION, torch::get_num_threads(), unflushed == 0 ? "verified" : "FAILED",
                 static_cast<long long>(unflushed), static_cast<long long>(train.n),
                 static_cast<long long>(test.n));
    if (args->model == "mlp") return Train(Mlp(), *args, train, test);
    return Train(Cnn(), *args, train, test);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "torch_train_bench: libtorch error: %s\n", e.what());
    return 1;
  }
}
