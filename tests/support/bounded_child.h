// Test-only: runs code or a command in a child process and reports how much
// memory it took, so "fails within a few MB" is asserted on behaviour (peak
// resident memory), never on time. Not for library code.
//
// RunBoundedChild forks; the child caps its address space at its current size
// plus `headroom_bytes` (RLIMIT_AS: a reader that tries to allocate gigabytes
// fails there instead of taking the machine's memory), runs `fn`, and exits
// with fn's return value. The result carries the exit code (-1 if the child
// died of a signal, e.g. std::bad_alloc -> abort) and the growth of its peak
// RSS while fn ran. The child writes nothing the parent reads besides that, so
// fn should report through its return value (and stderr for diagnostics).
//
// RunCommandWithPeakRss runs `/bin/sh -c "exec <command>"` and reports the
// command's exit code and peak RSS (wait4's rusage).
//
// DenyNewThreads (for a forked child) makes every later thread creation fail
// with EAGAIN, as `ulimit -u` does for a normal user (root ignores that
// limit, and exhausting memory instead is not deterministic): a seccomp
// filter answers clone(CLONE_THREAD) with EAGAIN and clone3 with ENOSYS (so
// glibc falls back to clone). Returns false where it cannot (not x86-64, or
// seccomp unavailable); the caller then skips.
#ifndef EDGEPIPE_TESTS_SUPPORT_BOUNDED_CHILD_H_
#define EDGEPIPE_TESTS_SUPPORT_BOUNDED_CHILD_H_

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>

namespace edgepipe::testing {

struct ChildResult {
  int exit_code = -1;          // -1: killed by a signal
  int64_t rss_growth_kb = -1;  // peak RSS while fn ran, minus the RSS before it
  int64_t peak_rss_kb = -1;    // peak RSS of the whole child
};

// Current virtual size of this process in bytes (/proc/self/statm).
inline uint64_t VirtualBytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long long pages = 0;
  if (std::fscanf(f, "%llu", &pages) != 1) pages = 0;
  std::fclose(f);
  return pages * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

inline int64_t PeakRssKb() {
  struct rusage ru {};
  ::getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

inline ChildResult RunBoundedChild(const std::function<int()>& fn, uint64_t headroom_bytes) {
  ChildResult result;
  int fds[2];
  if (::pipe(fds) != 0) return result;
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return result;
  if (pid == 0) {
    ::close(fds[0]);
    struct rlimit limit {};
    limit.rlim_cur = limit.rlim_max = VirtualBytes() + headroom_bytes;
    ::setrlimit(RLIMIT_AS, &limit);
    const int64_t before = PeakRssKb();
    const int code = fn();
    const int64_t growth = PeakRssKb() - before;
    (void)!::write(fds[1], &growth, sizeof(growth));
    std::fflush(nullptr);
    ::_exit(code);
  }
  ::close(fds[1]);
  int64_t growth = -1;
  if (::read(fds[0], &growth, sizeof(growth)) == sizeof(growth)) result.rss_growth_kb = growth;
  ::close(fds[0]);
  int status = 0;
  struct rusage ru {};
  ::wait4(pid, &status, 0, &ru);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.peak_rss_kb = ru.ru_maxrss;
  return result;
}

inline bool DenyNewThreads() {
#if defined(__x86_64__)
  struct sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone3, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      // clone's flags are its first argument (low 32 bits).
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
      BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_THREAD, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EAGAIN),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {static_cast<unsigned short>(sizeof(filter) / sizeof(filter[0])),
                            filter};
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return false;
  return ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0;
#else
  return false;
#endif
}

inline ChildResult RunCommandWithPeakRss(const std::string& command) {
  ChildResult result;
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return result;
  if (pid == 0) {
    const std::string exec = "exec " + command;
    ::execl("/bin/sh", "sh", "-c", exec.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  struct rusage ru {};
  ::wait4(pid, &status, 0, &ru);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.peak_rss_kb = ru.ru_maxrss;
  return result;
}

}  // namespace edgepipe::testing

#endif  // EDGEPIPE_TESTS_SUPPORT_BOUNDED_CHILD_H_
