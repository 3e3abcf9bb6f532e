// The one compute thread pool of edgepipe: a small persistent pool with a
// static ParallelFor and a dynamic ParallelForEachChunk.
//
// Why hand-written: the kernels need a fixed, deterministic split of work
// (per-thread partial sums reduced in a fixed order give bit-identical results
// run to run), FTZ/DAZ on every worker, and no second runtime competing for
// the two cores (oneDNN's OpenMP pool is kept at one thread inside our tasks).
//
// A pool of `num_threads` runs tasks on the calling thread plus
// `num_threads - 1` workers, so a pool sized to the core count keeps every
// core busy without oversubscription. Workers set flush-to-zero and
// denormals-are-zero once at start (src/core/cpu.h); the calling thread keeps
// its own mode (compute callers hold a ScopedFlushDenormals).
//
// Thread-safety: ParallelFor / ParallelForEachChunk may be called from any
// thread; calls from different threads are serialised; a nested call (from
// inside a task) runs its whole range inline on the calling worker. The pool must outlive every
// call; the destructor joins the workers.
//
// Starting threads can fail (std::thread throws std::system_error under
// `ulimit -u`, or when stacks no longer fit): Create() turns that into a
// Status and leaves nothing running; the constructor keeps the workers it
// could start.
#ifndef EDGEPIPE_CORE_PARALLEL_H_
#define EDGEPIPE_CORE_PARALLEL_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "src/core/status.h"

namespace edgepipe {

// The most threads one pool runs (and the CLI's --threads accepts): far above
// the cores of any machine edgepipe runs on, low enough that a typo cannot
// ask the OS for 100000 threads.
inline constexpr int kMaxThreads = 256;

class ThreadPool {
 public:
  // fn(begin, end, thread_index): one contiguous, non-empty range of [0, n).
  using RangeFn = std::function<void(int64_t begin, int64_t end, int thread_index)>;

  // num_threads < 1 is treated as 1 (no workers: everything runs inline),
  // above kMaxThreads as kMaxThreads. If the OS refuses to start a worker,
  // the pool runs with those it started (num_threads() says how many);
  // callers that need the count they asked for use Create().
  explicit ThreadPool(int num_threads);
  // A pool of exactly `num_threads` threads. InvalidArgument outside
  // [1, kMaxThreads]; ResourceExhausted "cannot start thread <k> of <n>: ..."
  // when the OS refuses one (the workers already started are joined).
  static StatusOr<std::unique_ptr<ThreadPool>> Create(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return num_threads_; }

  // Splits [0, n) into min(n, num_threads()) contiguous ranges of near-equal
  // size (the first n % T ranges get one more), runs range i as
  // fn(begin, end, i) — range 0 on the calling thread — and returns when all
  // have finished. The split depends only on n and num_threads(), so
  // per-thread partial results are reproducible. n <= 0 does nothing.
  // fn must not throw.
  void ParallelFor(int64_t n, const RangeFn& fn);

  // The range ParallelFor gives thread `index` of `threads` for n items.
  static void SplitRange(int64_t n, int threads, int index, int64_t* begin, int64_t* end);

  // fn(chunk, thread_index): chunk in [0, chunks), thread_index in
  // [0, num_threads()) names the thread (for per-thread scratch).
  using ChunkFn = std::function<void(int64_t chunk, int thread_index)>;

  // Runs fn once for every chunk in [0, chunks), handing the chunks out in
  // increasing order to whichever thread is free (the calling thread too), and
  // returns when all have finished. Unlike ParallelFor's static split, a
  // thread slowed down by another process on the machine takes fewer chunks
  // instead of holding everyone back, and the caller never waits for a worker
  // that has not started yet (it runs the remaining chunks itself). Which
  // thread runs which chunk is not fixed, so results that must be reproducible
  // are kept per chunk and combined in chunk order by the caller (and the
  // caller should flush denormals as the workers do). chunks <= 0 does
  // nothing; fn must not throw. Nested calls run inline, like ParallelFor.
  void ParallelForEachChunk(int64_t chunks, const ChunkFn& fn);

 private:
  void WorkerLoop(int index);

  int num_threads_;  // set once in the constructor
  std::vector<std::thread> workers_;
  std::string start_error_;  // why a worker could not start, if one could not
  std::mutex call_mu_;  // serialises callers

  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  uint64_t generation_ = 0;  // bumped per dispatched call
  bool stop_ = false;
  bool chunked_ = false;  // the current call is ParallelForEachChunk's

  // ParallelFor: every worker runs its own range and checks in.
  const RangeFn* fn_ = nullptr;
  int64_t n_ = 0;
  int active_ = 0;   // ranges in the current call
  int pending_ = 0;  // workers still running the current call

  // ParallelForEachChunk: workers that wake while the call is open join in
  // and claim chunks from next_chunk_; the caller closes the call once it
  // finds no chunk left, and waits only for the workers that joined.
  const ChunkFn* chunk_fn_ = nullptr;
  int64_t chunks_ = 0;
  std::atomic<int64_t> next_chunk_{0};
  bool open_ = false;
  int joined_ = 0;  // workers inside the current chunked call
};

// The process-wide compute pool, one thread per hardware thread
// (std::thread::hardware_concurrency(), at least 1), created on first use and
// never destroyed. Every kernel that parallelises uses this pool unless its
// caller passes another.
ThreadPool& DefaultThreadPool();

}  // namespace edgepipe

#endif  // EDGEPIPE_CORE_PARALLEL_H_
