// Test- and benchmark-only: a PostgreSQL server of its own, in a temporary
// folder, listening on a free port of 127.0.0.1 (its unix socket in that
// folder too), so tests never touch a server the machine may already run.
//
// initdb refuses to run as root, and CI runs as root: when the process is
// root, the server's programs run as the unprivileged `postgres` user (the one
// Debian's postgresql package creates) through runuser, and the folder is
// owned by it. The server binaries are taken from $EDGEPIPE_PG_BINDIR or the
// newest /usr/lib/postgresql/<version>/bin (Debian's layout).
//
// If the process dies without running destructors, a watchdog process stops
// the server and removes the folder. The server trades durability for speed (fsync off): it holds
// test data only. Ownership: a PostgresTestServer owns its server process and folder; destroying it
// stops the server (pg_ctl stop -m fast) and removes the folder. Not thread-safe. Failure: Status;
// a missing server installation is FailedPrecondition naming the package and
// scripts/install_deps.sh.
#ifndef EDGEPIPE_TESTS_SUPPORT_POSTGRES_SERVER_H_
#define EDGEPIPE_TESTS_SUPPORT_POSTGRES_SERVER_H_

#include <memory>
#include <string>

#include "src/core/status.h"

namespace edgepipe::testing {

class PostgresTestServer {
 public:
  // initdb + pg_ctl start; retried on another port if the chosen one was
  // taken meanwhile.
  static StatusOr<std::unique_ptr<PostgresTestServer>> Start();

  // One server per process, started on first use and stopped when the
  // process exits normally. The pointer stays valid until then.
  static StatusOr<PostgresTestServer*> Shared();

  ~PostgresTestServer();
  PostgresTestServer(const PostgresTestServer&) = delete;
  PostgresTestServer& operator=(const PostgresTestServer&) = delete;

  // Creates database `name` (dropping one of that name first) and returns its
  // libpq URI.
  StatusOr<std::string> CreateDatabase(const std::string& name);
  // "postgresql://postgres@127.0.0.1:<port>/<database>".
  std::string Uri(const std::string& database) const;
  int port() const { return port_; }
  const std::string& bin_dir() const { return bin_dir_; }

 private:
  PostgresTestServer() = default;
  void Stop();
  void StartWatchdog();
  std::string StopCommand() const;

  std::string bin_dir_;  // initdb, pg_ctl
  std::string dir_;      // the temporary folder: data/, server.log, the socket
  std::string run_as_;   // "runuser -u postgres -- " when root, else empty
  int port_ = 0;
  bool running_ = false;
  int watchdog_pid_ = -1;  // stops the server if this process dies first
  int watchdog_fd_ = -1;   // the watchdog's pipe; closing it without a byte wakes it
};

}  // namespace edgepipe::testing

#endif  // EDGEPIPE_TESTS_SUPPORT_POSTGRES_SERVER_H_
