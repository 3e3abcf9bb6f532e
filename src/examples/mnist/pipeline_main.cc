// The MNIST pipeline as a plain C++ program (what a TFX user writes as
// mnist_pipeline_native_keras.py). `edgepipe run mnist` runs the same thing
// with flags; this program takes the defaults and an optional data folder.
#include <cstdio>

#include "src/examples/mnist/pipeline.h"

int main(int argc, char** argv) {
  edgepipe::examples::mnist::MnistPipelineOptions options;
  if (argc > 1) options.data_root = argv[1];
  auto summary = edgepipe::examples::mnist::RunMnistPipeline(options, stderr);
  if (!summary.ok()) {
    std::fprintf(stderr, "error: %s\n", summary.status().message().c_str());
    return 1;
  }
  std::printf("%s", edgepipe::examples::mnist::FormatMnistSummary(*summary).c_str());
  return 0;
}
