// TerminationWatch: a process being stopped from outside — SIGTERM (mpirun
// ending a job because a rank died, Slurm's scancel, Kubernetes deleting a
// pod), SIGINT (Ctrl-C), SIGHUP (the terminal went away) — gets to record why
// before it ends, from ordinary code on a thread of its own, never from an
// async signal handler (where taking a lock or writing a database is
// undefined behaviour).
//
// How: Start() blocks those signals in the calling thread, so every thread
// created afterwards inherits the mask (MPI's progress threads and the
// thread pools included) and the kernel can deliver them to no thread but
// the watch's, which waits for them with sigtimedwait. On a signal it calls
// on_signal(signal) and then ends the process BY that signal (default
// action), so the exit status still says what stopped it. The launcher's
// grace period bounds on_signal: Open MPI 4.1's mpirun sends SIGKILL 1 s
// after SIGTERM (odls_base_sigkill_timeout), Slurm after KillWait (30 s),
// Kubernetes after terminationGracePeriodSeconds (30 s).
//
// Start it before the process creates any other thread: a thread that
// already exists keeps the signals unblocked, and one delivered to it ends
// the process at once without on_signal. At most one watch per process.
//
// Ownership and threading: on_signal runs on the watch's thread,
// concurrently with the rest of the process; it must be thread-safe and
// must not wait for the thread that owns the watch. Destroying the watch
// (from the thread that started it) stops its thread and unblocks the
// signals in that thread again; a signal that arrives while it stops is
// delivered as usual (the default action ends the process).
#ifndef EDGEPIPE_CORE_TERMINATION_WATCH_H_
#define EDGEPIPE_CORE_TERMINATION_WATCH_H_

#include <atomic>
#include <functional>
#include <memory>
#include <thread>

#include "src/core/status.h"

namespace edgepipe {

class TerminationWatch {
 public:
  // FailedPrecondition if a watch is already running in this process;
  // Internal if the signals cannot be blocked or the thread cannot start.
  static StatusOr<std::unique_ptr<TerminationWatch>> Start(
      std::function<void(int signal)> on_signal);
  ~TerminationWatch();
  TerminationWatch(const TerminationWatch&) = delete;
  TerminationWatch& operator=(const TerminationWatch&) = delete;

  // "SIGTERM", "SIGINT", "SIGHUP" (or "signal N").
  static const char* SignalName(int signal);

 private:
  TerminationWatch() = default;
  void Watch();

  std::function<void(int)> on_signal_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace edgepipe

#endif  // EDGEPIPE_CORE_TERMINATION_WATCH_H_
