// lite_latency: `edgepipe lite bench`'s measurement (lite::BenchmarkInvoke,
// batch 1, one thread) for a list of .tflite files, in a program that links
// the TFLite runtime only, so a second build of the tree (another
// EDGEPIPE_MARCH, for bench/portable_vs_native.sh) needs only core and lite.
//
//   lite_latency [--runs N] FILE.tflite...
//
// Prints one line per file: "<file> <median us> <instruction set>".
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "src/core/cpu_features.h"
#include "src/lite/bench.h"
#include "src/lite/interpreter.h"

int main(int argc, char** argv) {
  int runs = 50;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--runs" && i + 1 < argc) {
      runs = std::atoi(argv[++i]);
    } else {
      files.push_back(arg);
    }
  }
  if (files.empty() || runs < 1) {
    std::fprintf(stderr, "usage: lite_latency [--runs N] FILE.tflite...\n");
    return 2;
  }
  for (const std::string& file : files) {
    auto interp = edgepipe::lite::Interpreter::FromFile(file, {.num_threads = 1});
    if (!interp.ok()) {
      std::fprintf(stderr, "error: %s\n", interp.status().ToString().c_str());
      return 1;
    }
    auto result = edgepipe::lite::BenchmarkInvoke(**interp, {.runs = runs});
    if (!result.ok()) {
      std::fprintf(stderr, "error: %s: %s\n", file.c_str(), result.status().ToString().c_str());
      return 1;
    }
    std::printf("%s %.1f %s\n", file.c_str(), result->median_us,
                std::string(edgepipe::IsaName(edgepipe::SelectedIsa())).c_str());
  }
  return 0;
}
