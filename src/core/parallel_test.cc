#include "src/core/parallel.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
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

TEST(ThreadPoolTest, UsesDistinctThreadsAndWorkersFlushDenormals) {
  ThreadPool pool(2);
  std::thread::id ids[2];
  bool ftz[2] = {false, false};
  pool.ParallelFor(2, [&](int64_t, int64_t, int t) {
    ids[t] = std::this_thread::get_id();
    ftz[t] = FlushDenormalsEnabled();
  });
  EXPECT_EQ(ids[0], std::this_thread::get_id());
  EXPECT_NE(ids[1], ids[0]);
  EXPECT_TRUE(ftz[1]);
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
        if (pool.status().message().find("thread pool: cannot start thread 2 of 4: ") != 0) return 4;
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
