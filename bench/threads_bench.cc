// Issue 12, "threads that help and never hurt": 1 vs 2 compute threads on
// the lite interpreter (the bench models and the MediaPipe models, batch 1)
// and on the nn CNN training step (Fashion-MNIST CNN of nn_epoch_bench,
// batch 64, random data), first on an idle machine, then next to a competing
// busy process that this program starts itself (a fork spinning on one core,
// unpinned or, with --pinned, pinned to the last CPU) and kills afterwards.
//
//   build/bench/threads_bench [--models-dir DIR] [--mediapipe-dir DIR]
//                             [--runs N] [--rounds R] [--train-steps S]
//                             [--pinned] [--skip-lite] [--skip-train] [FILE.tflite ...]
//
// Defaults: --models-dir build/bench_models (bench/make_bench_models writes
// it), --mediapipe-dir $EDGEPIPE_MEDIAPIPE_DIR or /work/mediapipe_models,
// 30 runs per measurement, best median of 3 rounds (1 and 2 threads
// alternate), 60 training steps. A model the interpreter cannot load is
// listed as skipped with the reason. The figures: median latency (us) or
// ms/step per thread count, `speedup` = t1 / t2 (> 1: two threads faster);
// the goals are speedup >= 1.6 idle on the large models and >= 1.0 busy.
// The load average is printed before each block.
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "bench/fashion_cnn.h"
#include "bench/training_bench_common.h"
#include "src/core/cpu.h"
#include "src/core/parallel.h"
#include "src/core/tensor.h"
#include "src/lite/bench.h"
#include "src/lite/interpreter.h"
#include "src/nn/model.h"
#include "src/nn/optimizer.h"
#include "src/nn/random.h"

namespace {

using edgepipe::Shape;
using edgepipe::Status;
using edgepipe::StatusOr;
using edgepipe::Tensor;
namespace lite = edgepipe::lite;
namespace nn = edgepipe::nn;

struct Args {
  std::string models_dir = "build/bench_models";
  std::string mediapipe_dir;
  int runs = 30;
  int rounds = 3;
  int train_steps = 60;
  bool pinned = false;
  bool lite = true;
  bool train = true;
  std::vector<std::string> files;
};

std::string LoadAverage() {
  double l[3] = {0, 0, 0};
  if (getloadavg(l, 3) != 3) return "?";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f %.2f %.2f", l[0], l[1], l[2]);
  return buf;
}

// A child process spinning on one core until Stop(); pinned to the last
// CPU of our affinity mask when asked.
class BusyLoop {
 public:
  explicit BusyLoop(bool pinned) {
    pid_ = fork();
    if (pid_ == 0) {
      if (pinned) {
        cpu_set_t set;
        if (sched_getaffinity(0, sizeof set, &set) == 0) {
          int last = -1;
          for (int c = 0; c < CPU_SETSIZE; ++c)
            if (CPU_ISSET(c, &set)) last = c;
          cpu_set_t one;
          CPU_ZERO(&one);
          CPU_SET(last, &one);
          sched_setaffinity(0, sizeof one, &one);
        }
      }
      volatile uint64_t x = 0;
      for (;;) x = x + 1;
    }
    // Let it get going.
    usleep(200000);
  }
  ~BusyLoop() { Stop(); }
  void Stop() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  bool running() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

// What the 2-thread pool did during a model's timing (ThreadPool::stats):
// split calls per Invoke, the share of pieces a worker ran, the share of
// splits a back-off kept on the caller (whole calls, or ChunksFor's 1).
std::string PoolSummary(const edgepipe::ThreadPool::Stats& s, int64_t invokes) {
  char buf[160];
  std::snprintf(buf, sizeof buf,
                "pool: %.0f calls/invoke, %.0f%% pieces on the worker, %.0f%% "
                "calls backed off",
                static_cast<double>(s.calls) / static_cast<double>(std::max<int64_t>(invokes, 1)),
                100.0 * static_cast<double>(s.worker_pieces) /
                    static_cast<double>(std::max<int64_t>(s.pieces, 1)),
                100.0 * static_cast<double>(s.inline_calls + s.backed_off_splits) /
                    static_cast<double>(std::max<int64_t>(s.calls + s.backed_off_splits, 1)));
  return buf;
}

// Best median (us) over `rounds` of `runs` invocations of `path` at batch 1,
// for each thread count (alternating, so both see the same machine); the
// last thread count's pool summary in *pool.
StatusOr<std::vector<double>> TimeModel(const std::string& path, const std::vector<int>& threads,
                                        const Args& a, std::string* pool) {
  std::vector<std::unique_ptr<lite::Interpreter>> interps;
  for (int t : threads) {
    lite::InterpreterOptions o;
    o.num_threads = t;
    ASSIGN_OR_RETURN(auto interp, lite::Interpreter::FromFile(path, o));
    interps.push_back(std::move(interp));
  }
  std::vector<double> best(threads.size(), 1e300);
  for (int r = 0; r < a.rounds; ++r) {
    for (size_t i = 0; i < threads.size(); ++i) {
      ASSIGN_OR_RETURN(lite::BenchResult res,
                       lite::BenchmarkInvoke(*interps[i], {.runs = a.runs, .warmup_runs = 3}));
      best[i] = std::min(best[i], res.median_us);
    }
  }
  const edgepipe::ThreadPool* p = interps.back()->thread_pool();
  if (p != nullptr) {
    *pool = PoolSummary(p->stats(), static_cast<int64_t>(a.rounds) * (a.runs + 3));
  }
  return best;
}

Status BuildCnn(nn::Sequential* model) {
  RETURN_IF_ERROR(edgepipe::bench::BuildFashionCnn(model, 7));
  return model->Compile({.optimizer = nn::Adam({.learning_rate = 1e-3f})});
}

// ms per training step of the CNN at batch 64, best of `rounds`, per thread
// count (alternating).
StatusOr<std::vector<double>> TimeTraining(const std::vector<int>& threads, const Args& a) {
  constexpr int64_t kBatch = 64;
  const int64_t n = kBatch * a.train_steps;
  Tensor x(edgepipe::DType::kFloat32, Shape{n, 28, 28, 1}), y(edgepipe::DType::kInt32, Shape{n});
  nn::Rng rng(11);
  float* px = x.data<float>();
  for (int64_t i = 0; i < x.num_elements(); ++i) px[i] = rng.UniformFloat() * 2.0f - 1.0f;
  int32_t* py = y.data<int32_t>();
  for (int64_t i = 0; i < n; ++i) py[i] = static_cast<int32_t>(rng.UniformInt(10));
  std::vector<std::unique_ptr<nn::Sequential>> models;
  for (int t : threads) {
    auto m = std::make_unique<nn::Sequential>("cnn");
    m->set_num_threads(t);
    RETURN_IF_ERROR(BuildCnn(m.get()));
    // Warm up (buffers, oneDNN's JIT).
    RETURN_IF_ERROR(m->Fit(x, y, {.batch_size = kBatch, .steps = 5, .verbose = 0}).status());
    models.push_back(std::move(m));
  }
  std::vector<double> best(threads.size(), 1e300);
  for (int r = 0; r < a.rounds; ++r) {
    for (size_t i = 0; i < threads.size(); ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      RETURN_IF_ERROR(
          models[i]->Fit(x, y, {.batch_size = kBatch, .epochs = 1, .verbose = 0}).status());
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() /
          static_cast<double>(a.train_steps);
      best[i] = std::min(best[i], ms);
    }
  }
  return best;
}

void PrintRow(const std::string& name, const std::string& cond, const std::vector<double>& t,
              const char* unit, const std::string& pool = "") {
  std::printf("%-36s %-12s %12.1f %12.1f %8.2fx  (%s)%s%s\n", name.c_str(), cond.c_str(), t[0],
              t[1], t[0] / t[1], unit, pool.empty() ? "" : "  ", pool.c_str());
  std::fflush(stdout);
}

std::vector<std::string> ModelFiles(const Args& a) {
  if (!a.files.empty()) return a.files;
  std::vector<std::string> files;
  for (const std::string& dir : {a.models_dir, a.mediapipe_dir}) {
    std::error_code ec;
    std::vector<std::string> here;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
      if (e.path().extension() == ".tflite") here.push_back(e.path().string());
    }
    std::sort(here.begin(), here.end());
    files.insert(files.end(), here.begin(), here.end());
  }
  return files;
}

int Usage() {
  std::fprintf(stderr,
               "usage: threads_bench [--models-dir DIR] [--mediapipe-dir DIR] [--runs N] "
               "[--rounds R] [--train-steps S] [--pinned] [--skip-lite] [--skip-train] "
               "[FILE.tflite ...]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  const char* mp = std::getenv("EDGEPIPE_MEDIAPIPE_DIR");
  a.mediapipe_dir = mp != nullptr ? mp : "/work/mediapipe_models";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    if (arg == "--models-dir" || arg == "--mediapipe-dir" || arg == "--runs" || arg == "--rounds" ||
        arg == "--train-steps") {
      const char* v = value();
      if (v == nullptr) return Usage();
      if (arg == "--models-dir") a.models_dir = v;
      if (arg == "--mediapipe-dir") a.mediapipe_dir = v;
      if (arg == "--runs") a.runs = std::atoi(v);
      if (arg == "--rounds") a.rounds = std::atoi(v);
      if (arg == "--train-steps") a.train_steps = std::atoi(v);
    } else if (arg == "--pinned") {
      a.pinned = true;
    } else if (arg == "--skip-lite") {
      a.lite = false;
    } else if (arg == "--skip-train") {
      a.train = false;
    } else if (!arg.empty() && arg[0] != '-') {
      a.files.push_back(arg);
    } else {
      return Usage();
    }
  }
  if (a.runs < 1 || a.rounds < 1 || a.train_steps < 1) return Usage();
  edgepipe::ScopedFlushDenormals ftz;
  const std::vector<int> threads = {1, 2};
  std::vector<std::string> conditions = {"idle", "busy"};
  if (a.pinned) conditions.push_back("busy-pinned");
  std::printf("threads_bench: %ld online CPUs; columns: 1 thread, 2 threads, speedup = t1/t2\n",
              sysconf(_SC_NPROCESSORS_ONLN));
  std::printf("%-36s %-12s %12s %12s %9s\n", "workload", "condition", "t1", "t2", "speedup");
  const std::vector<std::string> files = a.lite ? ModelFiles(a) : std::vector<std::string>{};
  for (const std::string& cond : conditions) {
    std::unique_ptr<BusyLoop> busy;
    if (cond != "idle") busy = std::make_unique<BusyLoop>(cond == "busy-pinned");
    std::printf("# %s, load average %s\n", cond.c_str(), LoadAverage().c_str());
    for (const std::string& f : files) {
      std::string pool;
      auto t = TimeModel(f, threads, a, &pool);
      const std::string name = std::filesystem::path(f).filename().string();
      if (!t.ok()) {
        std::printf("%-36s %-12s skipped: %s\n", name.c_str(), cond.c_str(),
                    t.status().message().substr(0, 100).c_str());
        continue;
      }
      PrintRow(name, cond, *t, "us per invoke, batch 1", pool);
    }
    if (a.train) {
      auto t = TimeTraining(threads, a);
      if (!t.ok()) {
        std::printf("%-36s %-12s failed: %s\n", "nn CNN train step", cond.c_str(),
                    t.status().message().c_str());
      } else {
        PrintRow("nn CNN train step (batch 64)", cond, *t, "ms per step");
      }
    }
    if (busy) busy->Stop();
  }
  std::printf("# done, load average %s\n", LoadAverage().c_str());
  return 0;
}
