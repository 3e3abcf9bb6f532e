#include "src/core/parallel.h"

#include <gtest/gtest.h>
#include <omp.h>
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "src/core/cpu.h"
#include "tests/support/bounded_child.h"

namespace edgepipe {
namespace {

TEST(ThreadPoolTest, CoversRangeExactlyOnceWithStaticSplit) {
  ThreadPool pool(3);
  for (int64_t n : {1, 2, 3, 7, 100}) {
    std::vector<std::atomic<int>> hits(n);
    std::mutex mu;
    std::vector<std::tuple<int64_t, int64_t, int>> ranges;
    pool.ParallelFor(n, [&](int64_t b, int64_t e, int t) {
      for (int64_t i = b; i < e; ++i) hits[i]++;
      std::lock_guard<std::mutex> lock(mu);
      ranges.emplace_back(b, e, t);
    });
    for (int64_t i = 0; i < n; ++i) EXPECT_EQ(hits[i].load(), 1) << "n=" << n << " i=" << i;
    EXPECT_EQ(ranges.size(), static_cast<size_t>(std::min<int64_t>(n, 3)));
    for (auto [b, e, t] : ranges) {
      int64_t eb, ee;
      ThreadPool::SplitRange(n, static_cast<int>(std::min<int64_t>(n, 3)), t, &eb, &ee);
      EXPECT_EQ(b, eb);
      EXPECT_EQ(e, ee);
    }
  }
}

TEST(ThreadPoolTest, SplitIsNearEqualAndOrdered) {
  int64_t b, e;
  ThreadPool::SplitRange(10, 3, 0, &b, &e);
  EXPECT_EQ(b, 0);
  EXPECT_EQ(e, 4);
  ThreadPool::SplitRange(10, 3, 1, &b, &e);
  EXPECT_EQ(b, 4);
  EXPECT_EQ(e, 7);
  ThreadPool::SplitRange(10, 3, 2, &b, &e);
  EXPECT_EQ(b, 7);
  EXPECT_EQ(e, 10);
}

// Waits until pred() or `seconds` pass; false on timeout (so a broken pool
// fails the test instead of hanging it).
template <typename Pred>
bool WaitFor(const Pred& pred, double seconds = 20) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

TEST(ThreadPoolTest, UsesDistinctThreadsAndWorkersFlushDenormals) {
  ThreadPool pool(2);
  std::thread::id ids[2];
  bool ftz[2] = {false, false};
  std::atomic<bool> range1_ran{false};
  bool waited = true;
  pool.ParallelFor(2, [&](int64_t, int64_t, int t) {
    ids[t] = std::this_thread::get_id();
    ftz[t] = FlushDenormalsEnabled();
    // Range 0 (the caller's) waits for range 1, so a worker must run it.
    if (t == 0) {
      waited = WaitFor([&] { return range1_ran.load(); });
    } else {
      range1_ran = true;
    }
  });
  EXPECT_TRUE(waited);
  EXPECT_EQ(ids[0], std::this_thread::get_id());
  EXPECT_NE(ids[1], ids[0]);
  EXPECT_TRUE(ftz[1]);
}

// A worker stuck in one chunk for a long time (as when another process holds
// its core) does not hold the call back: the caller takes every other chunk,
// and the call ends as soon as the stuck chunk does. With a static split the
// worker's share would wait for it and the caller's wait below would time out.
TEST(ThreadPoolTest, StuckWorkerDoesNotBlockTheOtherChunks) {
  ThreadPool pool(2);
  constexpr int64_t kChunks = 64;
  std::vector<std::atomic<int>> hits(kChunks);
  std::atomic<int64_t> done{0};
  std::atomic<bool> worker_claimed{false};
  std::atomic<int64_t> worker_chunks{0};
  bool caller_waited = true, worker_waited = true;
  bool caller_first = true;
  pool.ParallelForEachChunk(kChunks, [&](int64_t c, int thread) {
    if (thread == 0 && caller_first) {
      caller_first = false;
      // Let the worker claim a chunk first (it then stalls in it).
      caller_waited = WaitFor([&] { return worker_claimed.load(); });
    } else if (thread != 0 && !worker_claimed.exchange(true)) {
      // The worker's first chunk lasts until every other chunk is done.
      worker_waited = WaitFor([&] { return done.load() == kChunks - 1; });
    }
    if (thread != 0) ++worker_chunks;
    hits[c]++;
    ++done;
  });
  EXPECT_TRUE(caller_waited);
  EXPECT_TRUE(worker_waited);
  EXPECT_EQ(worker_chunks.load(), 1);  // the caller ran the other 63
  for (int64_t c = 0; c < kChunks; ++c) EXPECT_EQ(hits[c].load(), 1) << c;
}

// One call of 2 chunks in which the worker holds its chunk 30 ms while the
// caller, done in microseconds, waits for it (as when another process holds
// the worker's core). Returns whether the worker claimed its chunk in time.
bool CallWhereTheWorkerStalls30Ms(ThreadPool& pool) {
  std::atomic<bool> worker_claimed{false};
  bool caller_waited = true;
  pool.ParallelForEachChunk(2, [&](int64_t, int thread) {
    if (thread == 0) {
      caller_waited = WaitFor([&] { return worker_claimed.load(); });
    } else {
      worker_claimed = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
    }
  });
  return caller_waited;
}

// When a call loses time waiting for a worker (here: the worker sleeps 30 ms
// in its chunk while the caller's took microseconds, as when another process
// holds the worker's core), the pool backs off: ChunksFor() answers 1 and
// calls run on the calling thread alone; once the back-off has passed the
// workers are used again.
TEST(ThreadPoolTest, BacksOffToTheCallerAfterWaitingForAWorker) {
  ThreadPool pool(2);
  EXPECT_FALSE(pool.backing_off());
  EXPECT_EQ(pool.ChunksFor(1000, 1000000), 2 * ThreadPool::kChunksPerThread);
  ASSERT_TRUE(CallWhereTheWorkerStalls30Ms(pool));
  EXPECT_EQ(pool.stats().backoffs, 1);
  // Backing off (for 8x the 30 ms lost): kernels are told not to split, and
  // a call runs every chunk on the calling thread, as thread 0.
  EXPECT_TRUE(pool.backing_off());
  EXPECT_EQ(pool.ChunksFor(1000, 1000000), 1);
  const std::thread::id caller = std::this_thread::get_id();
  std::atomic<int> elsewhere{0};
  pool.ParallelForEachChunk(16, [&](int64_t, int thread) {
    if (thread != 0 || std::this_thread::get_id() != caller) ++elsewhere;
  });
  EXPECT_EQ(elsewhere.load(), 0);
  EXPECT_EQ(pool.stats().inline_calls, 1);
  EXPECT_EQ(pool.stats().backed_off_splits, 1);
  // The back-off ends: the next call can use the worker again. Each range
  // waits for the other to start, so both finish in time only if they run
  // at once, on two threads (whichever range the caller claims, it is
  // inside it when the worker claims the other).
  ASSERT_TRUE(WaitFor([&] { return !pool.backing_off(); }));
  EXPECT_EQ(pool.ChunksFor(1000, 1000000), 2 * ThreadPool::kChunksPerThread);
  std::atomic<int> started{0};
  std::thread::id range_thread[2];
  bool both_ran_at_once[2] = {false, false};
  pool.ParallelFor(2, [&](int64_t begin, int64_t, int) {
    range_thread[begin] = std::this_thread::get_id();
    ++started;
    both_ran_at_once[begin] = WaitFor([&] { return started.load() == 2; });
  });
  EXPECT_TRUE(both_ran_at_once[0]);
  EXPECT_TRUE(both_ran_at_once[1]);
  EXPECT_NE(range_thread[0], range_thread[1]);
}

// CPU time this process has used, in microseconds (the test's own thread
// sleeps meanwhile, so what grows is the workers' spinning).
double ProcessCpuMicros() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

// A WarmScope keeps the worker spinning between calls (it is woken when the
// scope opens), but for at most kMaxWarmSpinMicros without a call, never
// once the scope is closed, and never while the pool backs off.
TEST(ThreadPoolTest, WarmScopeSpinsOnlyInsideTheScopeAndNotWhileBackingOff) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) != 0 || CPU_COUNT(&set) < 2) {
    GTEST_SKIP() << "a pool spins only with a CPU per thread";
  }
  ThreadPool pool(2);
  std::atomic<int64_t> sum{0};
  const auto call = [&] { pool.ParallelForEachChunk(8, [&](int64_t c, int) { sum += c; }); };
  call();
  // Idle, outside a scope: the worker sleeps after its short spin.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  double t0 = ProcessCpuMicros();
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  const double idle_us = ProcessCpuMicros() - t0;
  EXPECT_LT(idle_us, 1000) << "the worker spun outside a scope";
  // Opening the scope wakes the worker, which spins (wall-clock bounded by
  // kMaxWarmSpinMicros) though no call comes. Its spin is bounded in wall
  // time, so when another process holds the other CPU (ctest -j2) it may get
  // no CPU in those 2 ms: a few tries, each after any back-off the first call
  // started (a scope opened during one rightly spins nothing).
  double warm_us = 0;
  for (int attempt = 0; attempt < 10 && !(warm_us > 100); ++attempt) {
    while (pool.backing_off()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    t0 = ProcessCpuMicros();
    ThreadPool::WarmScope warm(&pool);
    ThreadPool::WarmScope nested(&pool);
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
    warm_us = ProcessCpuMicros() - t0;
    EXPECT_LT(warm_us, 20000) << "the worker spun past kMaxWarmSpinMicros";
  }
  EXPECT_GT(warm_us, 100) << "the worker did not spin in the scope";
  {
    ThreadPool::WarmScope warm(&pool);
    call();  // calls inside a scope work
  }
  EXPECT_EQ(sum.load(), 2 * 28);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  t0 = ProcessCpuMicros();
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_LT(ProcessCpuMicros() - t0, 1000) << "the worker spun after the scope closed";
  // Back off (the worker holds a piece 30 ms while the caller waits), then a
  // scope opened during the back-off spins nothing.
  ASSERT_TRUE(CallWhereTheWorkerStalls30Ms(pool));
  ASSERT_TRUE(pool.backing_off());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  {
    ThreadPool::WarmScope warm(&pool);
    t0 = ProcessCpuMicros();
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    EXPECT_LT(ProcessCpuMicros() - t0, 1000) << "the worker spun while the pool backs off";
  }
  // A scope on no pool, or on a pool without workers, does nothing.
  ThreadPool::WarmScope none(nullptr);
  ThreadPool one(1);
  ThreadPool::WarmScope alone(&one);
  int64_t ran = 0;
  one.ParallelForEachChunk(3, [&](int64_t, int) { ++ran; });
  EXPECT_EQ(ran, 3);
}

// When the outermost WarmScope closes and the workers ran under 1/8 of the
// pieces its calls offered (as when other processes hold their cores), the
// pool backs off; when they ran their share, it does not.
TEST(ThreadPoolTest, WarmScopeBacksOffWhenTheWorkersRanAlmostNothing) {
  ThreadPool pool(2);
  {
    // The caller's first chunk waits until the worker has run all the others.
    ThreadPool::WarmScope warm(&pool);
    std::atomic<int> by_worker{0};
    bool waited = true, first = true;
    pool.ParallelForEachChunk(ThreadPool::kMinPiecesToJudge, [&](int64_t, int thread) {
      if (thread != 0) {
        ++by_worker;
      } else if (first) {
        first = false;
        waited = WaitFor([&] { return by_worker.load() == ThreadPool::kMinPiecesToJudge - 1; });
      }
    });
    ASSERT_TRUE(waited);
  }
  EXPECT_FALSE(pool.backing_off());
  EXPECT_EQ(pool.stats().backoffs, 0);
  {
    // The worker's first chunk waits until the caller has run all the others:
    // the worker ran 1 of 64.
    ThreadPool::WarmScope warm(&pool);
    constexpr int64_t kChunks = 64;
    std::atomic<int64_t> done{0};
    std::atomic<bool> worker_claimed{false};
    bool caller_waited = true, worker_waited = true, caller_first = true;
    pool.ParallelForEachChunk(kChunks, [&](int64_t, int thread) {
      if (thread == 0 && caller_first) {
        caller_first = false;
        caller_waited = WaitFor([&] { return worker_claimed.load(); });
      } else if (thread != 0 && !worker_claimed.exchange(true)) {
        worker_waited = WaitFor([&] { return done.load() == kChunks - 1; });
      }
      ++done;
    });
    ASSERT_TRUE(caller_waited);
    ASSERT_TRUE(worker_waited);
    ASSERT_LE(pool.stats().worker_pieces - (ThreadPool::kMinPiecesToJudge - 1), 1);
  }
  // At least kIdleWorkerBackoffNanos (20 ms). The call may also have lost
  // time waiting for the worker's chunk (a back-off of its own, 2 ms for a
  // short wait), so the count may be 2; the length tells the judgement's.
  EXPECT_GE(pool.stats().backoffs, 1);
  std::this_thread::sleep_for(std::chrono::nanoseconds(ThreadPool::kIdleWorkerBackoffNanos / 2));
  EXPECT_TRUE(pool.backing_off());
  EXPECT_EQ(pool.ChunksFor(1000, 1000000), 1);
}

// The counters add up: every piece is run once, by the caller or a worker;
// inline and nested calls do not reach the pieces machinery.
TEST(ThreadPoolTest, StatsCountCallsAndPieces) {
  ThreadPool pool(2);
  std::atomic<int64_t> ran{0}, on_worker{0};
  const std::thread::id caller = std::this_thread::get_id();
  for (int rep = 0; rep < 100; ++rep) {
    pool.ParallelForEachChunk(7, [&](int64_t, int) {
      ++ran;
      if (std::this_thread::get_id() != caller) ++on_worker;
    });
  }
  pool.ParallelForEachChunk(1, [&](int64_t, int) { ++ran; });  // one chunk: inline
  const ThreadPool::Stats s = pool.stats();
  EXPECT_EQ(ran.load(), 701);
  EXPECT_EQ(s.calls, 100);
  EXPECT_EQ(s.pieces, 700);
  // Calls during a back-off run every piece on the caller and count none.
  EXPECT_EQ(s.worker_pieces, on_worker.load());
  EXPECT_LE(s.inline_calls, s.calls);
}

// A worker runs a task's GEMMs on one OpenMP thread (a second team beside
// the pool's threads fights them for the cores), whatever the process
// default is.
TEST(ThreadPoolTest, WorkersRunGemmsOnOneThread) {
  ThreadPool pool(2);
  const std::thread::id caller = std::this_thread::get_id();
  std::atomic<bool> worker_ran{false};
  int worker_gemm_threads = 0;
  bool waited = true;
  // The caller's range waits until the other range ran on the worker.
  pool.ParallelFor(2, [&](int64_t, int64_t, int) {
    if (std::this_thread::get_id() == caller) {
      waited = WaitFor([&] { return worker_ran.load(); });
    } else {
      worker_gemm_threads = omp_get_max_threads();
      worker_ran = true;
    }
  });
  ASSERT_TRUE(waited);
  EXPECT_EQ(worker_gemm_threads, 1);
}

// Per-chunk partial sums reduced in chunk order: bit-identical whatever the
// pool size and whichever thread ran which chunk (the guarantee kernels
// build on, documented in parallel.h).
TEST(ThreadPoolTest, ChunkOrderedReductionIsBitIdenticalAcrossThreadCounts) {
  constexpr int64_t kN = 100003, kChunks = 37;
  std::vector<float> x(kN);
  for (int64_t i = 0; i < kN; ++i) x[i] = 1.0f / static_cast<float>(i + 1) * ((i % 3) - 1.0f);
  auto sum = [&](ThreadPool& pool) {
    std::vector<float> partial(kChunks, 0.0f);
    pool.ParallelForEachChunk(kChunks, [&](int64_t c, int) {
      int64_t b, e;
      ThreadPool::SplitRange(kN, kChunks, static_cast<int>(c), &b, &e);
      float s = 0.0f;
      for (int64_t i = b; i < e; ++i) s += x[i];
      partial[c] = s;
    });
    float total = 0.0f;
    for (float p : partial) total += p;
    return total;
  };
  ThreadPool one(1), two(2), three(3);
  const float expected = sum(one);
  for (int rep = 0; rep < 50; ++rep) {
    const float a = sum(two), b = sum(three);
    EXPECT_EQ(std::memcmp(&a, &expected, sizeof a), 0);
    EXPECT_EQ(std::memcmp(&b, &expected, sizeof b), 0);
  }
}

TEST(ThreadPoolTest, ChunksForSplitsOnlyWhereItPays) {
  ThreadPool one(1), two(2);
  EXPECT_EQ(two.ChunksFor(0, 1000), 0);
  EXPECT_EQ(two.ChunksFor(1, int64_t{1} << 40), 1);
  EXPECT_EQ(one.ChunksFor(1000, 1000000), 1);  // nobody to share with
  // Below the minimum: inline.
  EXPECT_EQ(two.ChunksFor(128, ThreadPool::kMinParallelWork / 128 - 1), 1);
  // Large: a few chunks per thread, each at least half the minimum.
  EXPECT_EQ(two.ChunksFor(1000, 1000000), 2 * ThreadPool::kChunksPerThread);
  EXPECT_EQ(two.ChunksFor(3, int64_t{1} << 30), 3);  // never more than the items
  EXPECT_EQ(two.ChunksFor(128, ThreadPool::kMinParallelWork / 128), 2);
  // No overflow for huge costs.
  EXPECT_EQ(two.ChunksFor(int64_t{1} << 40, int64_t{1} << 40), 2 * ThreadPool::kChunksPerThread);
}

// Each thread claims its own block of a call's pieces first, front to back
// (the caller chunks [0, 4) of 8, the worker [4, 8)), and only then the
// others': whoever is late, the caller's sequence starts 0, 1, 2, 3 and a
// worker's starts at the first piece of its block not yet taken, ascending.
TEST(ThreadPoolTest, EachThreadClaimsItsOwnBlockFirst) {
  ThreadPool pool(2);
  for (int rep = 0; rep < 20; ++rep) {
    std::mutex mu;
    std::vector<int64_t> by_thread[2];
    pool.ParallelForEachChunk(8, [&](int64_t chunk, int thread) {
      {
        std::lock_guard<std::mutex> lock(mu);
        by_thread[thread].push_back(chunk);
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    });
    const std::vector<int64_t>& caller = by_thread[0];
    const std::vector<int64_t>& worker = by_thread[1];
    ASSERT_EQ(caller.size() + worker.size(), 8u);
    ASSERT_GE(caller.size(), 1u);
    EXPECT_EQ(caller[0], 0);
    // The caller's own block, in order, before anything of the worker's.
    const size_t own = std::min<size_t>(caller.size(), 4);
    for (size_t i = 0; i < own; ++i) EXPECT_EQ(caller[i], static_cast<int64_t>(i)) << "rep " << rep;
    // The worker starts in its own block and climbs it.
    for (size_t i = 1; i < worker.size(); ++i) {
      if (worker[i] >= 4) {
        EXPECT_GT(worker[i], worker[i - 1]) << "rep " << rep;
      }
    }
    if (!worker.empty()) {
      EXPECT_GE(worker[0], 4) << "rep " << rep;
    }
  }
}

// The same rules for a measured time, with kMinParallelNanos as the minimum.
TEST(ThreadPoolTest, ChunksForNanosSplitsOnlyMeasuredWorkThatPays) {
  ThreadPool one(1), two(2);
  const int64_t min = ThreadPool::kMinParallelNanos;
  EXPECT_EQ(two.ChunksForNanos(0, 10 * min), 0);
  EXPECT_EQ(two.ChunksForNanos(1, 10 * min), 1);
  EXPECT_EQ(one.ChunksForNanos(1000, 10 * min), 1);
  EXPECT_EQ(two.ChunksForNanos(1000, min - 1), 1);
  EXPECT_EQ(two.ChunksForNanos(1000, min), 2);
  EXPECT_EQ(two.ChunksForNanos(1000, 3 * min / 2), 3);
  EXPECT_EQ(two.ChunksForNanos(1000, 100 * min), 2 * ThreadPool::kChunksPerThread);
  EXPECT_EQ(two.ChunksForNanos(3, 100 * min), 3);
}

// More threads than CPUs (no spinning then) and back-to-back calls of both
// kinds: every piece runs once, no call is lost.
TEST(ThreadPoolTest, OversubscribedPoolRunsManyMixedCalls) {
  ThreadPool pool(9);
  int64_t ranges = 0, chunks = 0;
  std::mutex mu;
  for (int rep = 0; rep < 500; ++rep) {
    pool.ParallelFor(20, [&](int64_t b, int64_t e, int) {
      std::lock_guard<std::mutex> lock(mu);
      ranges += e - b;
    });
    pool.ParallelForEachChunk(13, [&](int64_t, int) {
      std::lock_guard<std::mutex> lock(mu);
      ++chunks;
    });
  }
  EXPECT_EQ(ranges, 500 * 20);
  EXPECT_EQ(chunks, 500 * 13);
}

TEST(ThreadPoolTest, NestedCallRunsInline) {
  ThreadPool pool(2);
  std::atomic<int> total{0};
  pool.ParallelFor(2, [&](int64_t, int64_t, int) {
    pool.ParallelFor(5, [&](int64_t b, int64_t e, int t) {
      EXPECT_EQ(t, 0);
      total += static_cast<int>(e - b);
    });
  });
  EXPECT_EQ(total.load(), 10);
}

TEST(ThreadPoolTest, ManyCallsAndSingleThreadPool) {
  ThreadPool pool(2);
  int64_t sum = 0;
  std::mutex mu;
  for (int rep = 0; rep < 2000; ++rep) {
    pool.ParallelFor(4, [&](int64_t b, int64_t e, int) {
      std::lock_guard<std::mutex> lock(mu);
      sum += e - b;
    });
  }
  EXPECT_EQ(sum, 8000);
  ThreadPool one(0);
  EXPECT_EQ(one.num_threads(), 1);
  int calls = 0;
  one.ParallelFor(3, [&](int64_t b, int64_t e, int t) {
    ++calls;
    EXPECT_EQ(b, 0);
    EXPECT_EQ(e, 3);
    EXPECT_EQ(t, 0);
  });
  EXPECT_EQ(calls, 1);
  EXPECT_GE(DefaultThreadPool().num_threads(), 1);
}

TEST(ThreadPoolTest, CreateRefusesCountsOutsideTheRange) {
  for (int n : {0, -3, kMaxThreads + 1, 100000}) {
    auto pool = ThreadPool::Create(n);
    ASSERT_FALSE(pool.ok()) << n;
    EXPECT_EQ(pool.status().code(), Status::Code::kInvalidArgument);
    EXPECT_EQ(pool.status().message(), "thread pool of " + std::to_string(n) +
                                           " threads: expected 1 to " +
                                           std::to_string(kMaxThreads));
  }
  auto two = ThreadPool::Create(2);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ((*two)->num_threads(), 2);
}

// When the OS refuses threads (as under `ulimit -u`; here a seccomp filter in
// a child), std::thread throws std::system_error: Create reports it as a
// Status, the constructor runs with the workers it could start; neither
// aborts.
TEST(ThreadPoolTest, ThreadsTheOsRefusesAreAStatusNotAnAbort) {
  testing::ChildResult r = testing::RunBoundedChild(
      [] {
        if (!testing::DenyNewThreads()) return 77;
        auto pool = ThreadPool::Create(4);
        if (pool.ok()) return 2;
        std::fprintf(stderr, "%s\n", pool.status().message().c_str());
        if (pool.status().code() != Status::Code::kResourceExhausted) return 3;
        if (pool.status().message().find("thread pool: cannot start thread 2 of 4: ") != 0)
          return 4;
        ThreadPool partial(4);
        if (partial.num_threads() != 1) return 5;
        std::atomic<int64_t> sum{0};
        partial.ParallelFor(1000, [&](int64_t b, int64_t e, int) { sum += e - b; });
        return sum == 1000 ? 0 : 6;
      },
      /*headroom_bytes=*/uint64_t{1} << 30);
  if (r.exit_code == 77) GTEST_SKIP() << "seccomp unavailable";
  EXPECT_EQ(r.exit_code, 0);
}

}  // namespace
}  // namespace edgepipe
