// nn_train_bench: trains the TFX MNIST model (Dense(64, relu) → Dropout(0.2) →
// Dense(64, relu) → Dropout(0.2) → Dense(10), RMSprop(lr 0.0015), batch 40)
// for 5,000 steps on random data of MNIST shape and prints steps/s.
//
//   nn_train_bench [--steps N] [--batch N] [--examples N] [--repeat N]
//
// Random data has the real input size (784 floats in [0, 1)), so every GEMM,
// every activation and every optimizer update is the one of real training;
// only the accuracy figures are meaningless.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "src/nn/model.h"

namespace {

using edgepipe::DType;
using edgepipe::Tensor;
namespace nn = edgepipe::nn;

// CPU time of the whole process: on a shared machine wall time also counts
// other processes' turns, CPU time only ours.
double CpuSeconds() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

long long Flag(int argc, char** argv, const char* name, long long fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return std::atoll(argv[i + 1]);
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t steps = Flag(argc, argv, "--steps", 5000);
  const int64_t batch = Flag(argc, argv, "--batch", 40);
  const int64_t examples = Flag(argc, argv, "--examples", 60000);
  const int64_t repeats = Flag(argc, argv, "--repeat", 3);

  Tensor x(DType::kFloat32, {examples, 784});
  Tensor y(DType::kInt64, {examples});
  nn::Rng rng(1);
  for (int64_t i = 0; i < examples * 784; ++i) x.data<float>()[i] = rng.UniformFloat();
  for (int64_t i = 0; i < examples; ++i)
    y.data<int64_t>()[i] = static_cast<int64_t>(rng.UniformInt(10));

  double best = 1e30, best_cpu = 1e30;
  for (int64_t r = 0; r < repeats; ++r) {
    nn::Sequential model("mnist");
    model.Add(std::make_unique<nn::Dense>(64, nn::Activation::kRelu));
    model.Add(std::make_unique<nn::Dropout>(0.2f));
    model.Add(std::make_unique<nn::Dense>(64, nn::Activation::kRelu));
    model.Add(std::make_unique<nn::Dropout>(0.2f));
    model.Add(std::make_unique<nn::Dense>(10));
    edgepipe::Status s = model.Build(784, 42);
    if (s.ok()) s = model.Compile({.optimizer = nn::RMSprop({.learning_rate = 0.0015f})});
    if (!s.ok()) {
      std::fprintf(stderr, "error: %s\n", s.message().c_str());
      return 1;
    }
    const double cpu_start = CpuSeconds();
    auto history = model.Fit(x, y,
                             {.batch_size = batch,
                              .steps = steps,
                              .seed = 7,
                              .verbose = r == 0 ? 1 : 0,
                              .progress = stderr});
    const double cpu = CpuSeconds() - cpu_start;
    if (!history.ok()) {
      std::fprintf(stderr, "error: %s\n", history.status().message().c_str());
      return 1;
    }
    std::printf(
        "run %lld: %lld steps in %.3f s wall = %.0f steps/s (%.1f us/step); %.3f s CPU = %.0f "
        "steps/s; loss %.4f\n",
        static_cast<long long>(r + 1), static_cast<long long>(history->steps), history->seconds,
        static_cast<double>(history->steps) / history->seconds,
        1e6 * history->seconds / static_cast<double>(history->steps), cpu,
        static_cast<double>(history->steps) / cpu, history->history.at("loss").back());
    if (history->seconds < best) best = history->seconds;
    if (cpu < best_cpu) best_cpu = cpu;
  }
  std::printf(
      "best: %lld steps of batch %lld in %.3f s wall = %.0f steps/s; %.3f s CPU = %.0f steps/s\n",
      static_cast<long long>(steps), static_cast<long long>(batch), best,
      static_cast<double>(steps) / best, best_cpu, static_cast<double>(steps) / best_cpu);
  return 0;
}
