// nn_epoch_bench: seconds per epoch of edgepipe's nn on the issue-3 models,
// the "ours" side of bench/run_training_bench.sh (the peer is
// torch_train_bench, with the same flags, data and output lines).
//
//   nn_epoch_bench --model mlp|cnn --train-images P --train-labels P
//                  [--test-images P --test-labels P | --holdout K] [--epochs 5]
//
//   (a) mlp: Dense(128, relu) → Dense(10), Adam, batch 32
//   (b) cnn: Conv2D(32, 3x3, relu) → MaxPooling2D(2) → Conv2D(64, 3x3, relu)
//            → MaxPooling2D(2) → Flatten → Dense(10), Adam, batch 64
//   with the recipe of training_bench_common.h (standardised inputs; Adam
//   3e-3 with cosine decay to 0 over the run; the MLP's images randomly
//   translated each epoch).
//
// Flags and output lines: bench/training_bench_common.h. Each epoch is one
// Fit(epochs = 1) call (with its own shuffle seed) so each can be timed with
// wall and CPU time; the test accuracy is Evaluate() after it, not timed.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "bench/fashion_cnn.h"
#include "bench/training_bench_common.h"
#include "src/core/cpu_features.h"
#include "src/nn/conv.h"
#include "src/nn/dense.h"
#include "src/nn/model.h"

namespace {

namespace bench = edgepipe::bench;
namespace nn = edgepipe::nn;
using edgepipe::DType;
using edgepipe::Status;
using edgepipe::Tensor;

// Features as the model's input: (N, 784) for the MLP, NHWC (N, 28, 28, 1)
// for the CNN (the same floats: one channel).
Tensor Features(const bench::ImageSet& s, bool cnn) {
  const edgepipe::Shape shape =
      cnn ? edgepipe::Shape{s.n, s.height, s.width, 1} : edgepipe::Shape{s.n, s.pixels};
  Tensor t(DType::kFloat32, shape);
  std::copy(s.x.begin(), s.x.end(), t.data<float>());
  return t;
}

Tensor Labels(const bench::ImageSet& s) {
  Tensor t(DType::kInt64, {s.n});
  std::copy(s.y.begin(), s.y.end(), t.data<int64_t>());
  return t;
}

// Floating-point operations of one training example (forward, the weight
// gradients and the input gradients every layer but the first needs): 2 per
// multiply-add of the convolutions and dense layers (the rest is
// memory-bound and not counted).
double TrainFlopsPerExample(const nn::Model& model) {
  double flops = 0;
  for (size_t l = 0; l < model.layers().size(); ++l) {
    const nn::Layer* layer = model.layers()[l].get();
    double macs = 0;
    if (const auto* conv = dynamic_cast<const nn::Conv2D*>(layer)) {
      const edgepipe::Shape& in = conv->input_shape();
      const edgepipe::Shape& out = conv->output_shape();
      macs = static_cast<double>(out[0] * out[1] * out[2]) * conv->options().kernel_size[0] *
             conv->options().kernel_size[1] * static_cast<double>(in[2]);
    } else if (const auto* dense = dynamic_cast<const nn::Dense*>(layer)) {
      macs = static_cast<double>(edgepipe::NumElements(dense->input_shape())) *
             static_cast<double>(edgepipe::NumElements(dense->output_shape()));
    }
    flops += 2 * macs * (l == 0 ? 2 : 3);
  }
  return flops;
}

Status BuildModel(const bench::TrainingBenchArgs& a, int64_t train_examples,
                  nn::Sequential* model) {
  if (a.model == "mlp") {
    RETURN_IF_ERROR(model->Add(std::make_unique<nn::Dense>(128, nn::Activation::kRelu)));
    RETURN_IF_ERROR(model->Add(std::make_unique<nn::Dense>(10)));
    RETURN_IF_ERROR(model->Build(784, a.seed));
  } else {
    RETURN_IF_ERROR(bench::BuildFashionCnn(model, a.seed));
  }
  // The recipe's rate and schedule (training_bench_common.h), as libtorch's.
  std::unique_ptr<nn::Optimizer> adam = nn::Adam({.learning_rate = a.learning_rate});
  if (auto schedule = bench::LearningRateSchedule(a, train_examples))
    adam->set_learning_rate_schedule(*schedule);
  return model->Compile({.optimizer = std::move(adam)});
}

}  // namespace

int main(int argc, char** argv) {
  auto args = bench::ParseTrainingBenchArgs(argc, argv);
  if (!args.ok()) {
    std::fprintf(stderr, "nn_epoch_bench: %s\n", args.status().message().c_str());
    return 2;
  }
  const bench::TrainingBenchArgs& a = *args;
  bench::ImageSet train, test;
  if (Status s = bench::LoadTrainTest(a, &train, &test); !s.ok()) {
    std::fprintf(stderr, "nn_epoch_bench: %s\n", s.message().c_str());
    return 1;
  }
  nn::Sequential model(a.model);
  model.set_num_threads(a.threads);
  model.set_chunked_steps(a.chunked != 0);
  if (Status s = BuildModel(a, train.n, &model); !s.ok()) {
    std::fprintf(stderr, "nn_epoch_bench: %s\n", s.message().c_str());
    return 1;
  }
  const bool cnn = a.model == "cnn";
  const Tensor y = Labels(train);
  const Tensor tx = Features(test, cnn), ty = Labels(test);
  std::fprintf(stderr, "nn_epoch_bench: %lld train / %lld test\n", static_cast<long long>(train.n),
               static_cast<long long>(test.n));

  bench::ImageSet augmented;
  std::vector<bench::EpochFigures> epochs;
  for (int64_t epoch = 1; epoch <= a.epochs; ++epoch) {
    // This epoch's (augmented) images, the same bytes libtorch trains on;
    // prepared before the clock starts, as there.
    const Tensor x = Features(bench::EpochTrainingSet(a, train, epoch, &augmented), cnn);
    // The profile leaves out the first epoch (one-time kernel JIT and
    // planning) unless there is only one.
    if (a.profile != 0 && epoch == std::min<int64_t>(2, a.epochs)) model.set_step_profiling(true);
    const double cpu0 = bench::CpuSeconds();
    const double wall0 = bench::WallSeconds();
    auto h = model.Fit(x, y,
                       {.batch_size = a.batch,
                        .epochs = 1,
                        .seed = a.seed * 1000 + static_cast<uint64_t>(epoch),
                        .verbose = 0});
    bench::EpochFigures e;
    e.wall_s = bench::WallSeconds() - wall0;
    e.cpu_s = bench::CpuSeconds() - cpu0;
    if (!h.ok()) {
      std::fprintf(stderr, "nn_epoch_bench: %s\n", h.status().message().c_str());
      return 1;
    }
    e.loss = h->history.at("loss").back();
    e.acc = h->history.at("sparse_categorical_accuracy").back();
    auto ev = model.Evaluate(tx, ty);
    if (!ev.ok()) {
      std::fprintf(stderr, "nn_epoch_bench: %s\n", ev.status().message().c_str());
      return 1;
    }
    e.test_acc = ev->sparse_categorical_accuracy;
    e.load = bench::LoadAverage();
    bench::PrintEpoch("ours", a, epoch, e);
    epochs.push_back(e);
  }
  if (a.profile != 0) {
    // Where a step's time went, over every epoch's steps.
    const nn::Model::StepProfile& p = model.step_profile();
    double wall = 0, cpu = 0;
    for (size_t i = 0; i < p.phases.size(); ++i) {
      wall += p.wall_s[i];
      cpu += p.cpu_s[i];
    }
    const double steps = static_cast<double>(std::max<int64_t>(p.steps, 1));
    std::printf(
        "PROFILE %lld steps, %d thread(s), load %.2f: ms per step, wall | CPU (%% of CPU)\n",
        static_cast<long long>(p.steps), a.threads, bench::LoadAverage());
    for (size_t i = 0; i < p.phases.size(); ++i) {
      std::printf("PROFILE %-28s %8.3f | %8.3f  (%4.1f%%)\n", p.phases[i].c_str(),
                  1e3 * p.wall_s[i] / steps, 1e3 * p.cpu_s[i] / steps,
                  cpu > 0 ? 100.0 * p.cpu_s[i] / cpu : 0.0);
    }
    std::printf("PROFILE %-28s %8.3f | %8.3f\n", "step", 1e3 * wall / steps, 1e3 * cpu / steps);
  }
  bench::PrintResult("ours", a, train.n, epochs);
  {
    // Arithmetic rate against this machine's peak, measured now (one core,
    // then times the threads used: the cores are alike).
    // Best of 5: a loaded machine deschedules the timing loops.
    edgepipe::CpuPeak peak = edgepipe::MeasurePeak();
    for (int i = 0; i < 4; ++i) {
      const edgepipe::CpuPeak p = edgepipe::MeasurePeak();
      if (p.fp32_gflops > peak.fp32_gflops) peak = p;
    }
    std::vector<double> wall, cpu;
    for (const bench::EpochFigures& e : epochs) wall.push_back(e.wall_s), cpu.push_back(e.cpu_s);
    const double gflop = TrainFlopsPerExample(model) * static_cast<double>(train.n) / 1e9;
    const double rate = gflop / bench::Median(wall), cpu_rate = gflop / bench::Median(cpu);
    const double threads_peak = peak.fp32_gflops * a.threads;
    std::printf(
        "FLOPS model=%s gflop_per_epoch=%.1f gflops=%.1f pct_of_%d_core_peak=%.1f "
        "gflops_per_cpu_s=%.1f pct_of_1_core_peak=%.1f peak_1_core=%.1f isa=%s\n",
        a.model.c_str(), gflop, rate, a.threads, 100 * rate / threads_peak, cpu_rate,
        100 * cpu_rate / peak.fp32_gflops, peak.fp32_gflops,
        std::string(edgepipe::IsaName(peak.isa)).c_str());
  }
  return 0;
}
