// The one compute thread pool of edgepipe: a small persistent pool with a
// static-split ParallelFor and a dynamic ParallelForEachChunk.
//
// Why hand-written: the kernels need a fixed, deterministic split of work
// (partial sums kept per range or per chunk and reduced in a fixed order give
// bit-identical results run to run), FTZ/DAZ on every worker, and no second
// runtime competing for the cores (oneDNN's OpenMP pool is kept at one thread
// inside our tasks: libgomp's barrier spins while its other thread waits for a
// core, which made two threads 20-80x slower than one next to a busy process).
//
// A pool of `num_threads` runs tasks on the calling thread plus
// `num_threads - 1` workers, so a pool sized to the core count keeps every
// core busy without oversubscription. Workers set flush-to-zero and
// denormals-are-zero once at start (src/core/cpu.h), and run GEMMs on one
// OpenMP thread (src/core/gemm.h); the calling thread keeps its own modes
// (compute callers hold a ScopedFlushDenormals, and a ScopedGemmThreads(1)
// where they call GEMMs inside tasks).
//
// Never hurting (issue 12):
// - Every call's pieces (ParallelFor's ranges, ParallelForEachChunk's chunks)
//   are claimed, and the calling thread claims too: a worker that has not
//   been scheduled yet (another process holds its core) simply finds nothing
//   left, and the call never waits for a thread that has not started a
//   piece. Boundaries never depend on who runs a piece.
// - Each thread claims its own block of a call's pieces first (thread t the
//   t-th of num_threads() near-equal runs, front to back), then the fronts of
//   the others'. Consecutive calls over the same memory (a convolution's
//   output rows, then the ADD or RELU that reads them) thus give each thread
//   mostly the part it wrote, still in its core's cache: with one shared
//   counter, which thread took which piece changed from call to call, and a
//   memory-bound operator after a split one gained nothing from a second
//   thread (face_detection_full_range's RELUs and ADDs, 0.77-0.98x).
// - Waiting is a bounded spin (kSpinMicros, so back-to-back calls such as the
//   interpreter's ops skip the futex round trip) and then a blocking condvar
//   wait; nobody spins longer than that against other processes, and nobody
//   spins at all when the process may use fewer CPUs than the pool has threads.
// - Between calls inside one burst of work (a WarmScope: the interpreter
//   opens one per Invoke) the workers keep spinning, yielding every few
//   microseconds, so a split operator that follows a few operators that do
//   not split finds them ready instead of behind a futex wake-up (~50 us
//   here, longer than many split operators take). They stop spinning when
//   the scope closes (never between Invokes), when the pool backs off, and
//   after kMaxWarmSpinMicros without a call.
// - ChunksFor() turns a cost estimate into a piece count: work below
//   kMinParallelWork runs inline on the caller (a hand-off costs more).
// - A worker can still be descheduled after it claimed a piece, and then the
//   caller waits for it. The pool watches for that: after each call it
//   compares the call's time with what all its pieces would have taken on
//   the caller alone (estimated from the caller's own pieces) and keeps the
//   difference in a balance capped at kMaxCreditNanos. When the balance goes
//   below zero (repeated small losses, or one long wait) the pool backs off
//   for a while (kMinBackoffNanos to kMaxBackoffNanos: eight times the loss,
//   or twice the previous back-off if that ended less than
//   kForgetBackoffFactor times its length ago, so a core that stays busy is
//   probed about once a second):
//   ChunksFor() answers 1, so kernels do not split, and every call runs on
//   the calling thread; then the pool probes the workers again, starting
//   from a balance of 0, so the first loss of a probe ends it (with half of
//   kMaxCreditNanos to lose first, each probe next to a busy loop cost about
//   as much as the back-off saved: 0.96-0.97x on pose_landmark_full and
//   hand_landmark_full in threads_bench, 0.99-1.01x without). So next to
//   busy processes the pool degrades to one thread instead of to a fraction
//   of one, while on an idle machine a noisy call (a worker woken late, an
//   uneven piece) does not switch the workers off. Which thread runs a
//   piece never changes what the piece computes.
//
// Determinism: ParallelFor's ranges depend only on (n, num_threads()) and
// range i is always passed thread_index i, whichever thread runs it;
// ParallelForEachChunk's chunk c is always the same work. Code that keeps
// partial results per range or per chunk and combines them in index order is
// bit-identical whatever the scheduling; with a fixed chunk count (not derived
// from num_threads()) it is also bit-identical across pool sizes.
//
// Thread-safety: ParallelFor / ParallelForEachChunk may be called from any
// thread; calls from different threads are serialised; a nested call (from
// inside a task) runs its whole range inline on the calling thread. The pool
// must outlive every call; the destructor joins the workers.
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
  // fn(begin, end, i) and returns when all have finished. The calling thread
  // runs range 0 and then any range no worker has claimed yet, so i is the
  // range's index (unique among running ranges: use it for per-range
  // scratch), not necessarily a distinct OS thread. The split depends only on
  // n and num_threads(), so per-range partial results are reproducible.
  // n <= 0 does nothing. fn must not throw.
  void ParallelFor(int64_t n, const RangeFn& fn);

  // The range ParallelFor gives thread `index` of `threads` for n items.
  static void SplitRange(int64_t n, int threads, int index, int64_t* begin, int64_t* end);

  // How many pieces to split `items` items of `cost_per_item` units of work
  // each into. A unit is one multiply-add of vectorised kernel work (one
  // core does ~30-60 per ns here; memory-bound kernels should count more per
  // element). 1 when the whole is below kMinParallelWork (about 40-60 us
  // of one core: a hand-off to a worker that is spinning between calls costs
  // ~1-2 us, a worker that sleeps costs the caller the futex wake, but each
  // split also shrinks the pieces the kernels run; on the MediaPipe models
  // 2^21 beat 2^19 and 2^22 in threads_bench, see bench/README) or the pool has one
  // thread, else up to kChunksPerThread per thread (small pieces let the
  // caller absorb the share of a worker that starts late or is
  // descheduled), each piece at least kMinParallelWork / 2, never more than
  // `items`; 1 also while the pool backs off (see the header comment).
  // Depends on num_threads(), so callers that promise results
  // independent of the pool size must not let their arithmetic depend on it
  // (split outputs, not reductions).
  int64_t ChunksFor(int64_t items, int64_t cost_per_item) const;
  static constexpr int64_t kMinParallelWork = int64_t{1} << 21;
  static constexpr int64_t kChunksPerThread = 4;

  // ChunksFor for work whose time on one core was measured: `nanos` for all
  // `items` (the interpreter times each operator that ran unsplit; see
  // lite/interpreter.h). The same rules with kMinParallelNanos in place of
  // kMinParallelWork: 1 below it, pieces of at least half of it. A measured
  // time covers what a cost estimate misses (memory-bound operators, narrow
  // GEMMs, a machine whose memory is slower than its FMAs). 15 us: on the
  // MediaPipe models (threads_bench, Zen 4, 2026-12-07) it split as well as
  // 8 us and better than 30 us (selfie_segmentation 1.38-1.42x vs 1.22-1.25x)
  // and 50 us; a hand-off to a worker spinning within the Invoke is ~1-2 us.
  int64_t ChunksForNanos(int64_t items, int64_t nanos) const;
  static constexpr int64_t kMinParallelNanos = 15'000;
  // The most a run of paying calls banks against later losses, and the
  // shortest and longest back-off (see the header comment).
  static constexpr int64_t kMaxCreditNanos = 1'000'000;
  static constexpr int64_t kMinBackoffNanos = 2'000'000;
  static constexpr int64_t kMaxBackoffNanos = 1'000'000'000;
  // A loss doubles the last back-off if it ended less than this many times
  // its length ago, else starts again from the loss alone.
  static constexpr int64_t kForgetBackoffFactor = 2;

  // True while the pool backs off (see the header comment).
  bool backing_off() const;

  // While a WarmScope is alive the workers spin between calls (see the header
  // comment) instead of blocking after a short spin; opening one also wakes
  // sleeping workers, so they are spinning by the first call. Nothing is
  // spun when the pool cannot spin (fewer usable CPUs than threads) or backs
  // off. Scopes may nest and may be opened from any thread; the pool must
  // outlive them. The longest a worker spins without a call inside a scope:
  static constexpr int64_t kMaxWarmSpinMicros = 2000;
  class WarmScope {
   public:
    explicit WarmScope(ThreadPool* pool);  // nullptr: does nothing
    ~WarmScope();
    WarmScope(const WarmScope&) = delete;
    WarmScope& operator=(const WarmScope&) = delete;

   private:
    ThreadPool* pool_;
    int64_t offered0_ = 0, worker0_ = 0;  // the pool's counters at opening
  };
  // When the outermost WarmScope closes after its calls offered at least
  // kMinPiecesToJudge pieces to the workers and the workers ran less than
  // 1 / kIdleWorkerShare of them, their cores are taken by other processes
  // (idle, a worker here runs 40-50% of the pieces): the pool backs off for
  // kIdleWorkerBackoffNanos (doubling while it repeats, up to 50x), so kernels
  // stop splitting and workers stop spinning where they gain nothing.
  static constexpr int64_t kMinPiecesToJudge = 16;
  static constexpr int64_t kIdleWorkerShare = 8;
  static constexpr int64_t kIdleWorkerBackoffNanos = 20'000'000;

  // Counters since construction, for benchmarks and tests: calls that reached
  // the pieces machinery (ParallelFor with more than one range,
  // ParallelForEachChunk with more than one chunk, outside a task), those of
  // them run on the caller alone because of a back-off, their pieces, the
  // pieces a worker ran, how many back-offs started, and the ChunksFor()
  // answers of 1 given only because of a back-off. Read racily (each counter
  // is exact, the set is not a snapshot while a call runs).
  struct Stats {
    int64_t calls = 0;
    int64_t inline_calls = 0;
    int64_t pieces = 0;
    int64_t worker_pieces = 0;
    int64_t backoffs = 0;
    int64_t backed_off_splits = 0;
  };
  Stats stats() const;

  // fn(chunk, thread_index): chunk in [0, chunks), thread_index in
  // [0, num_threads()) names the thread (for per-thread scratch).
  using ChunkFn = std::function<void(int64_t chunk, int thread_index)>;

  // Runs fn once for every chunk in [0, chunks), handing the chunks out in
  // increasing order to whichever thread is free (the calling thread too), and
  // returns when all have finished. Unlike ParallelFor's static split, a
  // thread slowed down by another process on the machine takes fewer chunks
  // instead of holding everyone back, and the caller never waits for a worker
  // that has not started a chunk (it runs the remaining chunks itself). Which
  // thread runs which chunk is not fixed, so results that must be reproducible
  // are kept per chunk and combined in chunk order by the caller (and the
  // caller should flush denormals as the workers do). chunks <= 0 does
  // nothing; fn must not throw. Nested calls run inline, like ParallelFor.
  void ParallelForEachChunk(int64_t chunks, const ChunkFn& fn);

 private:
  // ChunksFor and ChunksForNanos: `work` for all `items`, split from
  // `min_work` on (see ChunksFor).
  int64_t Pieces(int64_t items, int64_t work, int64_t min_work) const;
  void WorkerLoop(int index);
  // Runs `pieces` pieces: fn_(piece, thread) with the piece claimed by
  // ClaimPiece, on the caller and on the workers that join in time.
  void Run(int64_t pieces, const std::function<void(int64_t piece, int thread)>& fn);
  // Claims and runs pieces of the current call until none is left.
  void RunPieces(int thread);
  // The next piece of the current call for `thread` (its own block first,
  // then the others' in turn), or -1 when every piece is claimed.
  int64_t ClaimPiece(int thread);
  // Starts a back-off at `now` of at least `at_least_ns` (see the header
  // comment). Caller holds call_mu_.
  void BackOff(int64_t now, int64_t at_least_ns);

  int num_threads_;   // set once in the constructor
  bool spin_ = true;  // false when the process may use fewer CPUs than threads
  std::vector<std::thread> workers_;
  std::string start_error_;  // why a worker could not start, if one could not
  std::mutex call_mu_;       // serialises callers

  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  // Bumped (under mu_) per dispatched call; read without the lock while
  // spinning.
  std::atomic<uint64_t> generation_{0};
  bool stop_ = false;
  std::atomic<bool> stop_flag_{false};  // stop_, for spinning workers
  // Open WarmScopes; warm_epoch_ is bumped (under mu_) when one opens, so a
  // sleeping worker wakes once to spin.
  std::atomic<int> warm_{0};
  uint64_t warm_epoch_ = 0;

  // The current call. Workers that see a new generation join under mu_ while
  // open_ (incrementing joined_) and claim pieces from blocks_; the
  // caller closes the call once every piece is claimed and waits only for the
  // workers that joined.
  const std::function<void(int64_t, int)>* fn_ = nullptr;
  // Per thread index, its block of the current call's pieces: the next
  // unclaimed one and the end (set under mu_ before the call opens). One
  // cache line each, so claims in different blocks do not contend.
  struct alignas(64) PieceBlock {
    std::atomic<int64_t> next{0};
    int64_t end = 0;
  };
  std::unique_ptr<PieceBlock[]> blocks_;
  bool open_ = false;
  std::atomic<int> joined_{0};  // workers inside the current call (written under mu_)

  // Back-off (see the header comment); touched only by callers, under call_mu_.
  static int64_t NowNanos();                  // steady clock
  int64_t backoff_ns_ = 0;                    // length of the last back-off
  int64_t balance_ns_ = kMaxCreditNanos / 2;  // time the workers saved, net, capped
  std::atomic<int64_t> backoff_until_ns_{0};  // NowNanos() the back-off ends at

  std::atomic<int64_t> calls_{0}, inline_calls_{0}, pieces_run_{0}, worker_pieces_{0}, backoffs_{0};
  std::atomic<int64_t> offered_pieces_{0};  // pieces of calls not run inline
  mutable std::atomic<int64_t> backed_off_splits_{0};
};

// The process-wide compute pool, one thread per hardware thread
// (std::thread::hardware_concurrency(), at least 1), created on first use and
// never destroyed. Every kernel that parallelises uses this pool unless its
// caller passes another.
ThreadPool& DefaultThreadPool();

}  // namespace edgepipe

#endif  // EDGEPIPE_CORE_PARALLEL_H_
