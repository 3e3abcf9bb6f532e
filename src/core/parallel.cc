#include "src/core/parallel.h"

#include <algorithm>
#include <atomic>
#include <system_error>

#include "src/core/cpu.h"

namespace edgepipe {
namespace {
// Set while a thread runs a task, so nested ParallelFor calls run inline
// instead of waiting on the workers they are occupying.
thread_local bool t_in_task = false;
}  // namespace

ThreadPool::ThreadPool(int num_threads) : num_threads_(std::clamp(num_threads, 1, kMaxThreads)) {
  workers_.reserve(static_cast<size_t>(num_threads_ - 1));
  for (int i = 1; i < num_threads_; ++i) {
    try {
      workers_.emplace_back([this, i] { WorkerLoop(i); });
    } catch (const std::system_error& e) {
      start_error_ = e.what();
      break;
    }
  }
  // Workers never read num_threads_; callers see the count that runs.
  num_threads_ = static_cast<int>(workers_.size()) + 1;
}

StatusOr<std::unique_ptr<ThreadPool>> ThreadPool::Create(int num_threads) {
  if (num_threads < 1 || num_threads > kMaxThreads) {
    return Status::InvalidArgument("thread pool of " + std::to_string(num_threads) +
                                   " threads: expected 1 to " + std::to_string(kMaxThreads));
  }
  auto pool = std::make_unique<ThreadPool>(num_threads);
  if (pool->num_threads() != num_threads) {
    return Status::ResourceExhausted("thread pool: cannot start thread " +
                                     std::to_string(pool->num_threads() + 1) + " of " +
                                     std::to_string(num_threads) + ": " + pool->start_error_);
  }
  return pool;
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::SplitRange(int64_t n, int threads, int index, int64_t* begin, int64_t* end) {
  const int64_t base = n / threads;
  const int64_t extra = n % threads;
  *begin = index * base + std::min<int64_t>(index, extra);
  *end = *begin + base + (index < extra ? 1 : 0);
}

void ThreadPool::WorkerLoop(int index) {
  SetFlushDenormals();
  t_in_task = true;  // everything a worker runs is a task
  uint64_t seen = 0;
  for (;;) {
    bool chunked;
    const RangeFn* fn = nullptr;
    const ChunkFn* chunk_fn = nullptr;
    int64_t n = 0;
    int active = 0;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      chunked = chunked_;
      if (chunked) {
        if (!open_) continue;  // woke too late: the caller ran every chunk
        ++joined_;
        chunk_fn = chunk_fn_;
        n = chunks_;
      } else {
        fn = fn_;
        n = n_;
        active = active_;
      }
    }
    if (chunked) {
      for (int64_t c = next_chunk_.fetch_add(1); c < n; c = next_chunk_.fetch_add(1)) {
        (*chunk_fn)(c, index);
      }
      std::lock_guard<std::mutex> lock(mu_);
      if (--joined_ == 0) done_cv_.notify_one();
      continue;
    }
    if (index < active) {
      int64_t begin, end;
      SplitRange(n, active, index, &begin, &end);
      (*fn)(begin, end, index);
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (--pending_ == 0) done_cv_.notify_one();
    }
  }
}

void ThreadPool::ParallelFor(int64_t n, const RangeFn& fn) {
  if (n <= 0) return;
  const int active = static_cast<int>(std::min<int64_t>(n, num_threads_));
  if (active == 1 || t_in_task) {
    fn(0, n, 0);
    return;
  }
  std::lock_guard<std::mutex> call_lock(call_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    chunked_ = false;
    fn_ = &fn;
    n_ = n;
    active_ = active;
    pending_ = num_threads_ - 1;
    ++generation_;
  }
  work_cv_.notify_all();
  int64_t begin, end;
  SplitRange(n, active, 0, &begin, &end);
  t_in_task = true;
  fn(begin, end, 0);
  t_in_task = false;
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [&] { return pending_ == 0; });
  fn_ = nullptr;
}

void ThreadPool::ParallelForEachChunk(int64_t chunks, const ChunkFn& fn) {
  if (chunks <= 0) return;
  if (num_threads_ == 1 || chunks == 1 || t_in_task) {
    for (int64_t c = 0; c < chunks; ++c) fn(c, 0);
    return;
  }
  std::lock_guard<std::mutex> call_lock(call_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    chunked_ = true;
    chunk_fn_ = &fn;
    chunks_ = chunks;
    next_chunk_.store(0);
    open_ = true;
    ++generation_;
  }
  work_cv_.notify_all();
  t_in_task = true;
  for (int64_t c = next_chunk_.fetch_add(1); c < chunks; c = next_chunk_.fetch_add(1)) fn(c, 0);
  t_in_task = false;
  // Every chunk is claimed. Close the call (a worker waking from now on
  // leaves it alone) and wait for the workers still running theirs.
  std::unique_lock<std::mutex> lock(mu_);
  open_ = false;
  done_cv_.wait(lock, [&] { return joined_ == 0; });
  chunk_fn_ = nullptr;
}

ThreadPool& DefaultThreadPool() {
  static ThreadPool* pool =
      new ThreadPool(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  return *pool;
}

}  // namespace edgepipe
