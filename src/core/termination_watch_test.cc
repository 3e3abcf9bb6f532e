#include "src/core/termination_watch.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace edgepipe {
namespace {

// Each case runs in a child process (a death test, re-executed so that it
// starts with one thread), which the signal ends.
class TerminationWatchDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

// Started, then signalled: on_signal runs on the watch's thread — here
// while a thread created after Start (like MPI's) is busy — and the process
// still ends by the signal.
void SignalWhileAnotherThreadRuns(int signal) {
  auto watch = TerminationWatch::Start([](int s) {
    std::fprintf(stderr, "on_signal ran: %s\n", TerminationWatch::SignalName(s));
    std::fflush(stderr);
  });
  if (!watch.ok()) std::exit(3);
  std::thread busy([] {
    for (;;) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  });
  ::kill(::getpid(), signal);  // process-directed, as mpirun's
  std::this_thread::sleep_for(std::chrono::seconds(30));
  std::exit(4);  // not reached
}

TEST_F(TerminationWatchDeathTest, SigtermRunsTheCallbackThenEndsTheProcessBySigterm) {
  EXPECT_EXIT(SignalWhileAnotherThreadRuns(SIGTERM), ::testing::KilledBySignal(SIGTERM),
              "on_signal ran: SIGTERM");
}

TEST_F(TerminationWatchDeathTest, SigintToo) {
  EXPECT_EXIT(SignalWhileAnotherThreadRuns(SIGINT), ::testing::KilledBySignal(SIGINT),
              "on_signal ran: SIGINT");
}

TEST_F(TerminationWatchDeathTest, AfterTheWatchEndsSignalsHaveTheirDefaultActionAgain) {
  EXPECT_EXIT(
      {
        {
          auto watch =
              TerminationWatch::Start([](int) { std::fprintf(stderr, "on_signal ran\n"); });
          if (!watch.ok()) std::exit(3);
        }
        ::kill(::getpid(), SIGTERM);
        std::this_thread::sleep_for(std::chrono::seconds(30));
        std::exit(4);
      },
      ::testing::KilledBySignal(SIGTERM), "^$");
}

TEST(TerminationWatchTest, OnlyOneAtATime) {
  auto first = TerminationWatch::Start([](int) {});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = TerminationWatch::Start([](int) {});
  EXPECT_EQ(second.status().code(), Status::Code::kFailedPrecondition);
  first->reset();
  auto third = TerminationWatch::Start([](int) {});
  EXPECT_TRUE(third.ok()) << third.status().ToString();
}

}  // namespace
}  // namespace edgepipe
