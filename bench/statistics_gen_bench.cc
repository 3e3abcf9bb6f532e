// statistics_gen_bench: StatisticsGen over all 70,000 Fashion-MNIST images
// (Debian dataset-fashion-mnist), the issue-9 figure.
//
//   statistics_gen_bench [--data DIR] [--runs N] [--jitter] [--per-pixel] [--keep]
//
// Turns the IDX files into a TFX Examples folder in a temp dir (tf.Example
// with `image_floats`, 784 floats = pixel / 255, and `image_class`, int64;
// Split-train = the 60,000 training images, Split-eval = the 10,000 test
// images, one gzip TFRecord file each), then runs StatisticsGen's work
// (components::GenerateStatistics: both splits, FeatureStats.pb written) in a
// fresh child process per run, so the child's peak RSS (getrusage ru_maxrss)
// is StatisticsGen's own and not the data preparation's. Prints wall seconds,
// CPU seconds and peak RSS per run, then the best and median run.
//
// --jitter adds a different tiny offset to every pixel value (i * 1e-9), so
// image_floats has millions of distinct values and its quantiles go through
// the KLL sketch instead of the exact table (pixels have 256 values).
// --per-pixel writes each pixel as a feature of its own (pixel_0 ..
// pixel_783, one float each: 784 features per example, as tabular data
// exported from a CSV would be) instead of one 784-float vector.
// --keep leaves the temp folder and prints it (to profile one pass alone).
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "src/components/statistics_gen.h"
#include "src/core/files.h"
#include "src/core/parallel.h"
#include "src/core/tensor.h"
#include "src/io/example.h"
#include "src/io/idx.h"
#include "src/io/tfrecord.h"

namespace {

using namespace edgepipe;  // NOLINT: a benchmark program

Status WriteSplit(const std::string& images_path, const std::string& labels_path,
                  const std::string& out_path, bool jitter, bool per_pixel) {
  ASSIGN_OR_RETURN(Tensor images, io::ReadIdx(images_path));
  ASSIGN_OR_RETURN(Tensor labels, io::ReadIdx(labels_path));
  const int64_t n = images.dim(0);
  const int64_t pixels = images.num_elements() / n;
  ASSIGN_OR_RETURN(auto writer, io::TFRecordWriter::Open(out_path, io::Compression::kGzip));
  std::vector<float> floats(static_cast<size_t>(pixels));
  tensorflow::Example example;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < pixels; ++j) {
      floats[j] = images.data<uint8_t>()[i * pixels + j] / 255.0f;
      if (jitter) floats[j] += static_cast<float>((i * pixels + j) % 1000003) * 1e-9f;
    }
    example.Clear();
    if (per_pixel) {
      for (int64_t j = 0; j < pixels; ++j) {
        io::SetFloatFeature("pixel_" + std::to_string(j), {floats[j]}, &example);
      }
    } else {
      io::SetFloatFeature("image_floats", floats, &example);
    }
    io::SetInt64Feature("image_class", {static_cast<int64_t>(labels.data<uint8_t>()[i])}, &example);
    RETURN_IF_ERROR(writer->Write(io::SerializeDeterministic(example)));
  }
  return writer->Close();
}

// The child: one timed run; prints "RUN wall_s=... cpu_s=... peak_rss_mb=...".
int RunOnce(const std::string& examples, const std::string& out) {
  ThreadPool& pool = DefaultThreadPool();  // started before the clock, as in a pipeline
  auto t0 = std::chrono::steady_clock::now();
  Status st = components::GenerateStatistics(examples, {"train", "eval"}, out, {}, &pool);
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!st.ok()) {
    std::fprintf(stderr, "error: %s\n", st.message().c_str());
    return 1;
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + ru.ru_stime.tv_sec +
               ru.ru_stime.tv_usec * 1e-6;
  std::printf("RUN wall_s=%.3f cpu_s=%.3f peak_rss_mb=%.1f threads=%d\n", wall, cpu,
              ru.ru_maxrss / 1024.0, pool.num_threads());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string data = "/usr/share/datasets/fashion-mnist";
  int runs = 3;
  bool jitter = false;
  bool keep = false;
  bool per_pixel = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--child" && i + 2 < argc) return RunOnce(argv[i + 1], argv[i + 2]);
    if (a == "--data" && i + 1 < argc) {
      data = argv[++i];
    } else if (a == "--runs" && i + 1 < argc) {
      runs = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--jitter") {
      jitter = true;
    } else if (a == "--per-pixel") {
      per_pixel = true;
    } else if (a == "--keep") {
      keep = true;
    } else {
      std::fprintf(stderr,
                   "usage: statistics_gen_bench [--data DIR] [--runs N] [--jitter] [--per-pixel] "
                   "[--keep]\n");
      return 2;
    }
  }
  char tmpl[] = "/tmp/statistics_gen_bench.XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return 1;
  const std::string root = tmpl;
  const std::string examples = JoinPath(root, "examples");
  Status st = CreateDirectories(JoinPath(examples, "Split-train"));
  if (st.ok()) st = CreateDirectories(JoinPath(examples, "Split-eval"));
  if (st.ok()) {
    st = WriteSplit(
        JoinPath(data, "train-images-idx3-ubyte.gz"), JoinPath(data, "train-labels-idx1-ubyte.gz"),
        JoinPath(examples, "Split-train/data_tfrecord-00000-of-00001.gz"), jitter, per_pixel);
  }
  if (st.ok()) {
    st = WriteSplit(
        JoinPath(data, "t10k-images-idx3-ubyte.gz"), JoinPath(data, "t10k-labels-idx1-ubyte.gz"),
        JoinPath(examples, "Split-eval/data_tfrecord-00000-of-00001.gz"), jitter, per_pixel);
  }
  if (!st.ok()) {
    std::fprintf(stderr, "error: %s\n(install Debian's dataset-fashion-mnist or pass --data)\n",
                 st.message().c_str());
    (void)RemoveAll(root);
    return 1;
  }
  std::printf(
      "examples: 70000 (train 60000 + eval 10000), %s%s\n",
      per_pixel ? "784 one-float features pixel_0..pixel_783 each" : "image_floats 784 floats each",
      jitter ? ", jittered (KLL path)" : "");
  // This program's own path (a popen shell's /proc/self/exe would be the shell).
  char self_buf[4096];
  ssize_t len = ::readlink("/proc/self/exe", self_buf, sizeof self_buf - 1);
  if (len <= 0) return 1;
  const std::string self(self_buf, static_cast<size_t>(len));
  std::vector<double> walls;
  int failed = 0;
  for (int r = 0; r < runs && failed == 0; ++r) {
    std::string out = JoinPath(root, "statistics" + std::to_string(r));
    std::string cmd = self + " --child '" + examples + "' '" + out + "'";
    FILE* pipe = ::popen(cmd.c_str(), "r");
    char line[512] = {0};
    std::string text;
    while (pipe != nullptr && std::fgets(line, sizeof line, pipe) != nullptr) text += line;
    int rc = pipe == nullptr ? -1 : ::pclose(pipe);
    if (rc != 0) {
      failed = 1;
      break;
    }
    std::printf("%s", text.c_str());
    double wall = 0;
    if (std::sscanf(text.c_str(), "RUN wall_s=%lf", &wall) == 1) walls.push_back(wall);
  }
  double load[1] = {0};
  if (getloadavg(load, 1) != 1) load[0] = -1;
  if (!walls.empty()) {
    std::sort(walls.begin(), walls.end());
    std::printf("RESULT best_wall_s=%.3f median_wall_s=%.3f runs=%zu load1=%.2f\n", walls.front(),
                walls[walls.size() / 2], walls.size(), load[0]);
  }
  if (keep) {
    std::printf("kept %s (rerun one pass: statistics_gen_bench --child %s OUT_DIR)\n", root.c_str(),
                examples.c_str());
  } else {
    (void)RemoveAll(root);
  }
  return failed;
}
