// RESIZE_BILINEAR on the shapes Google's MediaPipe models resize (2x
// upsampling in the selfie-segmentation and pose decoders): the reference
// kernel (taps computed per output pixel) against the planned one
// (optimized/resize.h: taps once, channels vectorised), float32 and int8,
// same process, same buffers. The two give the same bytes (checked here too).
//
//   build/bench/resize_bench [RUNS]      # default 200; prints a table
//
// Prints the median microseconds per call, the ratio and the output
// bandwidth (GB/s written) of the planned kernel, then the load average.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "src/lite/kernels/optimized/resize.h"

namespace {

using edgepipe::lite::reference::ResizeShape;
namespace optimized = edgepipe::lite::optimized;
namespace reference = edgepipe::lite::reference;

template <typename F>
double MedianMicros(int runs, F&& f) {
  std::vector<double> t(static_cast<size_t>(runs));
  for (auto& x : t) {
    const auto start = std::chrono::steady_clock::now();
    f();
    x = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
  }
  std::nth_element(t.begin(), t.begin() + runs / 2, t.end());
  return t[static_cast<size_t>(runs / 2)];
}

std::string LoadAverage() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a + " " + b + " " + c;
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 200;
  struct Case {
    const char* model;
    ResizeShape s;
  };
  const Case cases[] = {
      {"selfie_segmentation", {1, 16, 16, 32, 32, 128, false, false}},
      {"selfie_segmentation", {1, 32, 32, 64, 64, 24, false, false}},
      {"selfie_segmentation", {1, 64, 64, 128, 128, 16, false, false}},
      {"selfie_segmentation_landscape", {1, 36, 64, 72, 128, 16, false, false}},
      {"pose_landmark_*", {1, 32, 32, 64, 64, 48, false, true}},
      {"pose_landmark_*", {1, 128, 128, 256, 256, 8, false, true}},
  };
  std::printf("%-30s %-22s %6s %10s %10s %7s %8s\n", "model", "resize (HxWxC)", "type", "ref (us)",
              "plan (us)", "ratio", "GB/s");
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> uniform(-3.0f, 3.0f);
  bool identical = true;
  for (const Case& c : cases) {
    const ResizeShape& s = c.s;
    const size_t n_in = size_t{1} * s.batches * s.in_h * s.in_w * s.depth;
    const size_t n_out = size_t{1} * s.batches * s.out_h * s.out_w * s.depth;
    std::vector<float> in(n_in), out_ref(n_out), out_plan(n_out);
    std::vector<int8_t> in8(n_in), out8_ref(n_out), out8_plan(n_out);
    for (size_t i = 0; i < n_in; ++i) {
      in[i] = uniform(rng);
      in8[i] = static_cast<int8_t>(static_cast<int>(rng() % 256) - 128);
    }
    using optimized::ResizeKind;
    std::vector<int32_t> ints(optimized::ResizePlanInts(ResizeKind::kBilinearFloat, s));
    std::vector<float> floats(optimized::ResizePlanFloats(ResizeKind::kBilinearFloat, s));
    optimized::PlanResize(ResizeKind::kBilinearFloat, s, ints.data(), floats.data());
    std::vector<int32_t> ints8(optimized::ResizePlanInts(ResizeKind::kBilinearInt8, s));
    optimized::PlanResize(ResizeKind::kBilinearInt8, s, ints8.data(), nullptr);
    std::vector<int32_t> scratch(static_cast<size_t>(optimized::ResizeInt8ScratchElements(s)));

    const double ref =
        MedianMicros(runs, [&] { reference::ResizeBilinearFloat(out_ref.data(), in.data(), s); });
    const double plan = MedianMicros(runs, [&] {
      optimized::ResizeBilinearFloat(out_plan.data(), in.data(), s, ints.data(), floats.data());
    });
    const double ref8 =
        MedianMicros(runs, [&] { reference::ResizeBilinearInt8(out8_ref.data(), in8.data(), s); });
    const double plan8 = MedianMicros(runs, [&] {
      optimized::ResizeBilinearInt8(out8_plan.data(), in8.data(), s, ints8.data(), scratch.data());
    });
    identical = identical &&
                std::memcmp(out_ref.data(), out_plan.data(), n_out * sizeof(float)) == 0 &&
                out8_ref == out8_plan;
    char shape[64];
    std::snprintf(shape, sizeof shape, "%dx%dx%d -> %dx%d%s", s.in_h, s.in_w, s.depth, s.out_h,
                  s.out_w, s.half_pixel_centers ? " hp" : "");
    std::printf("%-30s %-22s %6s %10.1f %10.1f %6.2fx %8.2f\n", c.model, shape, "float", ref, plan,
                ref / plan, static_cast<double>(n_out * sizeof(float)) / plan * 1e-3);
    std::printf("%-30s %-22s %6s %10.1f %10.1f %6.2fx %8.2f\n", c.model, shape, "int8", ref8, plan8,
                ref8 / plan8, static_cast<double>(n_out) / plan8 * 1e-3);
  }
  std::printf(
      "median of %d calls, 1 thread; planned == reference byte for byte: %s; "
      "load average: %s\n",
      runs, identical ? "yes" : "NO", LoadAverage().c_str());
  return identical ? 0 : 1;
}
