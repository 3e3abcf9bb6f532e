#include "src/core/parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>
#include <system_error>

#if defined(__linux__)
#include <sched.h>
#endif

#include "src/core/cpu.h"
#include "src/core/gemm.h"

namespace edgepipe {
namespace {
// Set while a thread runs a task, so nested ParallelFor calls run inline
// instead of waiting on the workers they are occupying.
thread_local bool t_in_task = false;

// How long a waiting thread spins before it blocks: back-to-back calls (one
// per interpreter operator) then skip the futex round trip (~50 us here).
// The yield below keeps the spin from taking a CPU another thread is waiting
// for. (A worker spinning 300 us between calls instead was no faster here.)
constexpr int64_t kSpinMicros = 50;

// Spins until done() or spin_micros have passed; true if done() held. Every
// few microseconds the spinner yields its CPU: on an idle core that returns
// at once, but when another thread waits for this core (the pool's caller,
// or a worker holding a piece, next to a busy process) it runs instead of
// watching this thread spin.
template <typename Done>
bool SpinBriefly(const Done& done, int64_t spin_micros = kSpinMicros) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(spin_micros);
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (done()) return true;
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
    if (std::chrono::steady_clock::now() >= deadline) return done();
    std::this_thread::yield();
  }
}

// The longest back-off a WarmScope's idle-worker judgement starts, in
// ThreadPool::kIdleWorkerBackoffNanos.
constexpr int64_t kMaxIdleWorkerBackoffFactor = 50;

// CPUs this process may run on (its affinity mask), at least 1.
int UsableCpus() {
#if defined(__linux__)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(CPU_COUNT(&set), 1);
#endif
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace

ThreadPool::ThreadPool(int num_threads) : num_threads_(std::clamp(num_threads, 1, kMaxThreads)) {
  // Spinning only pays when every thread can have a CPU of its own; with
  // fewer, a spinning thread takes the CPU the thread it waits for needs.
  spin_ = num_threads_ <= UsableCpus();
  // Sized for the threads asked for; the workers that start use the first.
  blocks_ = std::make_unique<PieceBlock[]>(static_cast<size_t>(num_threads_));
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
    stop_flag_.store(true);
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

int64_t ThreadPool::ChunksFor(int64_t items, int64_t cost_per_item) const {
  if (items <= 0) return 0;
  const int64_t cost = std::max<int64_t>(cost_per_item, 1);
  // Saturate: items * cost may not fit.
  const int64_t total = items > std::numeric_limits<int64_t>::max() / cost
                            ? std::numeric_limits<int64_t>::max()
                            : items * cost;
  return Pieces(items, total, kMinParallelWork);
}

int64_t ThreadPool::ChunksForNanos(int64_t items, int64_t nanos) const {
  return Pieces(items, nanos, kMinParallelNanos);
}

int64_t ThreadPool::Pieces(int64_t items, int64_t work, int64_t min_work) const {
  if (items <= 0) return 0;
  if (items == 1 || num_threads_ == 1 || work < min_work) return 1;
  if (backing_off()) {
    backed_off_splits_.fetch_add(1, std::memory_order_relaxed);
    return 1;
  }
  const int64_t by_size = std::max<int64_t>(work / (min_work / 2), 1);
  return std::min({items, by_size, int64_t{num_threads_} * kChunksPerThread});
}

int64_t ThreadPool::ClaimPiece(int thread) {
  for (int i = 0; i < num_threads_; ++i) {
    PieceBlock& block = blocks_[static_cast<size_t>((thread + i) % num_threads_)];
    if (block.next.load(std::memory_order_relaxed) >= block.end) continue;
    const int64_t p = block.next.fetch_add(1);
    if (p < block.end) return p;
  }
  return -1;
}

void ThreadPool::RunPieces(int thread) {
  const auto& fn = *fn_;
  for (int64_t p = ClaimPiece(thread); p >= 0; p = ClaimPiece(thread)) fn(p, thread);
}

void ThreadPool::WorkerLoop(int index) {
  SetFlushDenormals();
  // A GEMM inside a task runs on this thread alone: OpenMP's default for a
  // thread it did not start is one thread per CPU, and a second team next
  // to this pool's threads fights them for the cores (the 20-80x of issue
  // 12; two threads gained nothing on the MediaPipe models while every
  // worker-side sgemm started its own team).
  ScopedGemmThreads one_gemm_thread(1);
  t_in_task = true;  // everything a worker runs is a task
  uint64_t seen = 0;
  uint64_t seen_warm = 0;
  for (;;) {
    const auto has_work = [&] {
      return generation_.load(std::memory_order_acquire) != seen ||
             stop_flag_.load(std::memory_order_relaxed);
    };
    // A short spin first: the next call usually follows within microseconds
    // (one per interpreter op), and a futex wake-up costs tens of them here.
    // Inside a WarmScope the spin goes on (up to kMaxWarmSpinMicros without a
    // call) while the pool does not back off.
    bool woke = spin_ && SpinBriefly(has_work);
    if (!woke && spin_) {
      const int64_t until = NowNanos() + kMaxWarmSpinMicros * 1000;
      while (!woke && warm_.load(std::memory_order_relaxed) > 0 && !backing_off() &&
             NowNanos() < until) {
        woke = SpinBriefly(has_work);
      }
    }
    if (!woke) {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(
          lock, [&] { return stop_ || generation_.load() != seen || warm_epoch_ != seen_warm; });
      seen_warm = warm_epoch_;
      // Woken by a WarmScope opening: spin for its first call.
      if (!stop_ && generation_.load() == seen) continue;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
      seen = generation_.load();
      // Woke too late: the caller (and the other workers) claimed every piece.
      if (!open_) continue;
      joined_.fetch_add(1);
    }
    RunPieces(index);
    std::lock_guard<std::mutex> lock(mu_);
    if (joined_.fetch_sub(1) == 1) done_cv_.notify_one();
  }
}

ThreadPool::WarmScope::WarmScope(ThreadPool* pool) : pool_(pool) {
  if (pool_ == nullptr) return;
  if (pool_->workers_.empty() || !pool_->spin_) {
    pool_ = nullptr;
    return;
  }
  offered0_ = pool_->offered_pieces_.load(std::memory_order_relaxed);
  worker0_ = pool_->worker_pieces_.load(std::memory_order_relaxed);
  if (pool_->warm_.fetch_add(1) > 0) return;
  if (pool_->backing_off()) {
    // The workers are not woken: when the back-off ends within this scope
    // they join its calls late, which says nothing about their cores
    // (judging them would back off again and again). offered0_ < 0: not
    // judged.
    offered0_ = -1;
    return;
  }
  {
    std::lock_guard<std::mutex> lock(pool_->mu_);
    ++pool_->warm_epoch_;
  }
  pool_->work_cv_.notify_all();
}

ThreadPool::WarmScope::~WarmScope() {
  if (pool_ == nullptr || pool_->warm_.fetch_sub(1) != 1 || offered0_ < 0) return;
  // The outermost scope judges whether the workers helped.
  const int64_t offered = pool_->offered_pieces_.load(std::memory_order_relaxed) - offered0_;
  const int64_t by_workers = pool_->worker_pieces_.load(std::memory_order_relaxed) - worker0_;
  if (offered < kMinPiecesToJudge || by_workers * kIdleWorkerShare >= offered) return;
  std::lock_guard<std::mutex> call_lock(pool_->call_mu_);
  const int64_t now = NowNanos();
  pool_->BackOff(now, kIdleWorkerBackoffNanos);
  // Capped at 1 s, as a loss's back-off: next to a process that keeps a core
  // busy, a 160 ms cap (session 9) probed the worker about 6 times a second
  // and each probe cost more than the Invokes between gained: 2 threads were
  // 0.92-0.93x one thread on pose_landmark_full (threads_bench, busy), and
  // 1.02-1.03x with this cap. A single miss still backs off for 20 ms only
  // (the doubling needs misses in a row), so a machine that is busy now and
  // then loses at most the second thread's gain, never more.
  if (pool_->backoff_ns_ > kMaxIdleWorkerBackoffFactor * kIdleWorkerBackoffNanos) {
    pool_->backoff_ns_ = kMaxIdleWorkerBackoffFactor * kIdleWorkerBackoffNanos;
    pool_->backoff_until_ns_.store(now + pool_->backoff_ns_, std::memory_order_relaxed);
  }
}

int64_t ThreadPool::NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool ThreadPool::backing_off() const {
  return backoff_until_ns_.load(std::memory_order_relaxed) > NowNanos();
}

void ThreadPool::Run(int64_t pieces, const std::function<void(int64_t, int)>& fn) {
  std::lock_guard<std::mutex> call_lock(call_mu_);
  calls_.fetch_add(1, std::memory_order_relaxed);
  pieces_run_.fetch_add(pieces, std::memory_order_relaxed);
  const int64_t start = NowNanos();
  if (start < backoff_until_ns_.load(std::memory_order_relaxed)) {
    // Backing off: recent calls lost more time waiting for descheduled
    // workers than the workers saved.
    inline_calls_.fetch_add(1, std::memory_order_relaxed);
    t_in_task = true;
    for (int64_t p = 0; p < pieces; ++p) fn(p, 0);
    t_in_task = false;
    return;
  }
  offered_pieces_.fetch_add(pieces, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(mu_);
    fn_ = &fn;
    for (int t = 0; t < num_threads_; ++t) {
      int64_t begin, end;
      SplitRange(pieces, num_threads_, t, &begin, &end);
      blocks_[static_cast<size_t>(t)].next.store(begin);
      blocks_[static_cast<size_t>(t)].end = end;
    }
    open_ = true;
    generation_.fetch_add(1);
  }
  work_cv_.notify_all();
  const int64_t own_start = NowNanos();
  t_in_task = true;
  int64_t own = 0;
  for (int64_t p = ClaimPiece(0); p >= 0; p = ClaimPiece(0), ++own) fn(p, 0);
  t_in_task = false;
  const int64_t own_done = NowNanos();
  // Every piece is claimed. Close the call (a worker waking from now on
  // leaves it alone) and wait for the workers still running theirs.
  {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = false;
  }
  if (!spin_ || !SpinBriefly([&] { return joined_.load(std::memory_order_acquire) == 0; })) {
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait(lock, [&] { return joined_.load() == 0; });
  }
  // The lock orders the workers' writes before the caller's reads (the spin's
  // acquire load does too).
  {
    std::lock_guard<std::mutex> lock(mu_);
    fn_ = nullptr;
  }
  worker_pieces_.fetch_add(pieces - own, std::memory_order_relaxed);
  // Did the workers pay? What the call would have taken on the caller alone
  // is estimated from the caller's own pieces (a worker's clock would include
  // any time it was descheduled); the gain or loss against the call's time
  // (the wake-up included) goes into a balance capped at kMaxCreditNanos, so
  // one noisy call changes nothing but repeated losses, or one long wait for
  // a descheduled worker, do. A call the workers took entirely (the caller
  // was descheduled itself) says nothing either way.
  if (own == 0) return;
  const int64_t end = NowNanos();
  const int64_t alone = (own_done - own_start) / own * pieces;
  const int64_t gain = alone - (end - start);
  balance_ns_ = std::min(balance_ns_ + gain, kMaxCreditNanos);
  if (balance_ns_ >= 0) return;
  // Lost: run on the caller alone for a while (ChunksFor() says 1 meanwhile,
  // so kernels do not even split), longer after each loss and after a
  // longer wait, then probe the workers again.
  // The last back-off counts (doubled) only if the workers have not paid for
  // long since it ended: next to a busy process they pay for a while
  // between preemptions, and forgetting the back-off whenever the balance
  // was full made every loss a short back-off and another costly probe.
  BackOff(end, 8 * -gain);
}

void ThreadPool::BackOff(int64_t now, int64_t at_least_ns) {
  const int64_t paid_for = now - backoff_until_ns_.load(std::memory_order_relaxed);
  const int64_t last = paid_for > kForgetBackoffFactor * backoff_ns_ ? 0 : backoff_ns_;
  backoff_ns_ = std::clamp(std::max(2 * last, at_least_ns), kMinBackoffNanos, kMaxBackoffNanos);
  backoff_until_ns_.store(now + backoff_ns_, std::memory_order_relaxed);
  balance_ns_ = 0;  // a probe starts without credit (see the header comment)
  backoffs_.fetch_add(1, std::memory_order_relaxed);
}

ThreadPool::Stats ThreadPool::stats() const {
  Stats s;
  s.calls = calls_.load(std::memory_order_relaxed);
  s.inline_calls = inline_calls_.load(std::memory_order_relaxed);
  s.pieces = pieces_run_.load(std::memory_order_relaxed);
  s.worker_pieces = worker_pieces_.load(std::memory_order_relaxed);
  s.backoffs = backoffs_.load(std::memory_order_relaxed);
  s.backed_off_splits = backed_off_splits_.load(std::memory_order_relaxed);
  return s;
}

void ThreadPool::ParallelFor(int64_t n, const RangeFn& fn) {
  if (n <= 0) return;
  const int active = static_cast<int>(std::min<int64_t>(n, num_threads_));
  if (active == 1 || t_in_task) {
    fn(0, n, 0);
    return;
  }
  // Range r keeps thread_index r whoever runs it (per-range scratch and
  // partial sums stay where the caller expects them).
  Run(active, [n, active, &fn](int64_t range, int) {
    int64_t begin, end;
    SplitRange(n, active, static_cast<int>(range), &begin, &end);
    fn(begin, end, static_cast<int>(range));
  });
}

void ThreadPool::ParallelForEachChunk(int64_t chunks, const ChunkFn& fn) {
  if (chunks <= 0) return;
  if (num_threads_ == 1 || chunks == 1 || t_in_task) {
    for (int64_t c = 0; c < chunks; ++c) fn(c, 0);
    return;
  }
  Run(chunks, fn);
}

ThreadPool& DefaultThreadPool() {
  static ThreadPool* pool =
      new ThreadPool(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  return *pool;
}

}  // namespace edgepipe
