#include "src/core/termination_watch.h"

#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <string>
#include <system_error>

namespace edgepipe {

namespace {

std::atomic<bool> g_running{false};

sigset_t WatchedSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

const char* TerminationWatch::SignalName(int signal) {
  switch (signal) {
    case SIGTERM:
      return "SIGTERM";
    case SIGINT:
      return "SIGINT";
    case SIGHUP:
      return "SIGHUP";
    default:
      return "signal";
  }
}

StatusOr<std::unique_ptr<TerminationWatch>> TerminationWatch::Start(
    std::function<void(int signal)> on_signal) {
  if (g_running.exchange(true)) {
    return Status::FailedPrecondition("termination watch: one is already running");
  }
  const sigset_t set = WatchedSignals();
  if (const int rc = pthread_sigmask(SIG_BLOCK, &set, nullptr); rc != 0) {
    g_running = false;
    return Status::Internal(std::string("termination watch: pthread_sigmask: ") +
                            std::strerror(rc));
  }
  std::unique_ptr<TerminationWatch> watch(new TerminationWatch());
  watch->on_signal_ = std::move(on_signal);
  try {
    watch->thread_ = std::thread([w = watch.get()] { w->Watch(); });
  } catch (const std::system_error& e) {
    pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
    g_running = false;
    return Status::Internal(std::string("termination watch: cannot start its thread: ") + e.what());
  }
  return watch;
}

void TerminationWatch::Watch() {
  const sigset_t set = WatchedSignals();
  // Polls its stop flag every 100 ms: the destructor needs no signal of its
  // own to wake it.
  const timespec tick{0, 100 * 1000 * 1000};
  while (!stop_.load()) {
    const int signal = sigtimedwait(&set, nullptr, &tick);
    if (signal < 0) continue;  // EAGAIN (the tick) or EINTR
    if (on_signal_) on_signal_(signal);
    // End the process the way the signal would have: default action,
    // delivered to this thread (the only one that may take it).
    std::signal(signal, SIG_DFL);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, signal);
    pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
    raise(signal);
    _exit(128 + signal);  // not reached: the default action of all three ends the process
  }
}

TerminationWatch::~TerminationWatch() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  const sigset_t set = WatchedSignals();
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  g_running = false;
}

}  // namespace edgepipe
