// Forward + backward time of the two convolutions of the MNIST CNN
// (Conv 3x3x32 relu -> MaxPool 2 -> Conv 3x3x64 relu -> MaxPool 2 -> Dense 10)
// at batch 64, with one thread and with the whole pool, plus the max pools.
//
// Usage: nn_kernels_bench [iterations]   (default 50)
// Prints per layer: ms per forward, per backward, and GFLOP/s of the
// convolution arithmetic (2 * MACs; backward counts the dkernel GEMM and,
// when the input gradient is needed, the dinput GEMM).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <vector>

#include "src/core/cpu.h"
#include "src/core/cpu_features.h"
#include "src/core/gemm.h"
#include "src/core/parallel.h"
#include "src/nn/kernels/conv2d.h"
#include "src/nn/kernels/pooling.h"

namespace {

using edgepipe::ThreadPool;
using namespace edgepipe::nn::kernels;

double NowMs() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// CPU time of the whole process: on a shared, overloaded machine wall time
// mostly measures the other tenants; CPU time divided by the thread count is
// what the step would take on idle cores (exact for one thread, optimistic by
// the pool's idle waits for two — waits block, they do not spin).
double CpuMs() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

std::vector<float> Random(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

struct Timing {
  double fwd_ms, bwd_ms;          // wall
  double fwd_cpu_ms, bwd_cpu_ms;  // process CPU
};

Timing BenchConv(const Conv2DDims& d, bool need_din, ThreadPool& pool, int iters) {
  auto in = Random(d.n * d.h * d.w * d.c, 1);
  auto kernel = Random(d.kh * d.kw * d.c * d.oc, 2);
  auto bias = Random(d.oc, 3);
  auto dout = Random(d.n * d.oh * d.ow * d.oc, 4);
  std::vector<float> out(dout.size()), din(in.size()), dk(kernel.size()), db(d.oc);
  std::vector<float> scratch(Conv2DScratchSize(d, pool.num_threads()));
  for (int warm = 0; warm < 3; ++warm) {
    Conv2DForward(out.data(), in.data(), kernel.data(), bias.data(), ConvActivation::kRelu, d,
                  scratch.data(), pool);
    Conv2DBackward(need_din ? din.data() : nullptr, dk.data(), db.data(), dout.data(), out.data(),
                   in.data(), kernel.data(), ConvActivation::kRelu, d, scratch.data(), pool);
  }
  double fwd = 0, bwd = 0, fwd_cpu = 0, bwd_cpu = 0;
  for (int i = 0; i < iters; ++i) {
    const double c0 = CpuMs(), t0 = NowMs();
    Conv2DForward(out.data(), in.data(), kernel.data(), bias.data(), ConvActivation::kRelu, d,
                  scratch.data(), pool);
    const double c1 = CpuMs(), t1 = NowMs();
    // The layer zeroes its gradients before Backward (they accumulate).
    std::fill(din.begin(), din.end(), 0.0f);
    Conv2DBackward(need_din ? din.data() : nullptr, dk.data(), db.data(), dout.data(), out.data(),
                   in.data(), kernel.data(), ConvActivation::kRelu, d, scratch.data(), pool);
    const double c2 = CpuMs(), t2 = NowMs();
    fwd += t1 - t0;
    bwd += t2 - t1;
    fwd_cpu += c1 - c0;
    bwd_cpu += c2 - c1;
  }
  return {fwd / iters, bwd / iters, fwd_cpu / iters, bwd_cpu / iters};
}

Timing BenchPool(const Pool2DDims& d, ThreadPool& pool, int iters) {
  auto in = Random(d.n * d.h * d.w * d.c, 5);
  auto dout = Random(d.n * d.oh * d.ow * d.c, 6);
  std::vector<float> out(dout.size()), din(in.size());
  std::vector<int32_t> argmax(dout.size());
  double fwd = 0, bwd = 0, fwd_cpu = 0, bwd_cpu = 0;
  for (int i = 0; i < iters; ++i) {
    const double c0 = CpuMs(), t0 = NowMs();
    MaxPool2DForward(out.data(), argmax.data(), in.data(), d, pool);
    const double c1 = CpuMs(), t1 = NowMs();
    std::fill(din.begin(), din.end(), 0.0f);
    MaxPool2DBackward(din.data(), dout.data(), argmax.data(), d, pool);
    const double c2 = CpuMs(), t2 = NowMs();
    fwd += t1 - t0;
    bwd += t2 - t1;
    fwd_cpu += c1 - c0;
    bwd_cpu += c2 - c1;
  }
  return {fwd / iters, bwd / iters, fwd_cpu / iters, bwd_cpu / iters};
}

}  // namespace

int main(int argc, char** argv) {
  const int iters = argc > 1 ? std::max(1, std::atoi(argv[1])) : 50;
  edgepipe::ScopedFlushDenormals flush;
  edgepipe::ScopedGemmThreads one(1);
  const int64_t batch = 64;
  auto conv1 = MakeConv2DDims(batch, 28, 28, 1, 3, 3, 32, 1, 1, 1, 1, Padding::kValid);
  auto conv2 = MakeConv2DDims(batch, 13, 13, 32, 3, 3, 64, 1, 1, 1, 1, Padding::kValid);
  auto pool1 = MakePool2DDims(batch, 26, 26, 32, 2, 2, 2, 2, Padding::kValid);
  auto pool2 = MakePool2DDims(batch, 11, 11, 64, 2, 2, 2, 2, Padding::kValid);
  if (!conv1.ok() || !conv2.ok() || !pool1.ok() || !pool2.ok()) return 1;
  const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // The peak of this core, measured now (not a figure from another machine).
  std::printf("batch %lld, %d iterations; peak %s\n", static_cast<long long>(batch), iters,
              edgepipe::CpuPeakString(edgepipe::MeasurePeak()).c_str());
  for (int threads : {1, hw}) {
    ThreadPool pool(threads);
    std::printf("--- %d thread(s); wall ms | CPU ms / threads (= idle-machine estimate)\n",
                threads);
    double step_wall = 0, step_cpu = 0;
    for (int layer = 0; layer < 2; ++layer) {
      const Conv2DDims& d = layer == 0 ? *conv1 : *conv2;
      const bool need_din = layer == 1;  // the first layer's input needs no gradient
      const double macs = static_cast<double>(d.n * d.oh * d.ow) * d.kh * d.kw * d.c * d.oc;
      const double flops = 2 * macs * (need_din ? 3 : 2);  // fwd + dkernel (+ dinput)
      const Timing t = BenchConv(d, need_din, pool, iters);
      const double wall = t.fwd_ms + t.bwd_ms, cpu = (t.fwd_cpu_ms + t.bwd_cpu_ms) / threads;
      step_wall += wall;
      step_cpu += cpu;
      std::printf(
          "conv%d %lldx%lldx%lld->%lldx%lldx%lld: fwd %.2f | %.2f ms, bwd %.2f | %.2f ms, "
          "fwd+bwd %.2f | %.2f ms = %.1f | %.1f GFLOP/s\n",
          layer + 1, static_cast<long long>(d.h), static_cast<long long>(d.w),
          static_cast<long long>(d.c), static_cast<long long>(d.oh), static_cast<long long>(d.ow),
          static_cast<long long>(d.oc), t.fwd_ms, t.fwd_cpu_ms / threads, t.bwd_ms,
          t.bwd_cpu_ms / threads, wall, cpu, flops / wall / 1e6, flops / cpu / 1e6);
    }
    for (int layer = 0; layer < 2; ++layer) {
      const Pool2DDims& d = layer == 0 ? *pool1 : *pool2;
      const Timing t = BenchPool(d, pool, iters);
      step_wall += t.fwd_ms + t.bwd_ms;
      step_cpu += (t.fwd_cpu_ms + t.bwd_cpu_ms) / threads;
      std::printf("maxpool%d: fwd %.2f | %.2f ms, bwd %.2f | %.2f ms\n", layer + 1, t.fwd_ms,
                  t.fwd_cpu_ms / threads, t.bwd_ms, t.bwd_cpu_ms / threads);
    }
    std::printf("conv+pool per step %.2f | %.2f ms -> %.2f | %.2f s per epoch (938 steps)\n",
                step_wall, step_cpu, step_wall * 938 / 1000, step_cpu * 938 / 1000);
  }
  return 0;
}
