#include "tests/support/postgres_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "src/core/files.h"

namespace edgepipe::testing {
namespace {

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs a shell command; output goes to `log` (appended). Returns exit code.
int Run(const std::string& command, const std::string& log) {
  int status = std::system((command + " >>" + Quote(log) + " 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

StatusOr<std::string> FindBinDir() {
  if (const char* env = std::getenv("EDGEPIPE_PG_BINDIR"); env && *env) {
    if (!PathExists(JoinPath(env, "initdb"))) {
      return Status::FailedPrecondition(std::string("EDGEPIPE_PG_BINDIR=") + env +
                                        " has no initdb");
    }
    return std::string(env);
  }
  std::string best;
  int best_version = -1;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    std::string bin = (entry.path() / "bin").string();
    int version = std::atoi(entry.path().filename().c_str());
    if (version > best_version && PathExists(JoinPath(bin, "initdb")) &&
        PathExists(JoinPath(bin, "pg_ctl"))) {
      best = bin;
      best_version = version;
    }
  }
  if (best.empty()) {
    return Status::FailedPrecondition(
        "PostgreSQL server binaries not found (no /usr/lib/postgresql/<version>/bin/initdb and "
        "no EDGEPIPE_PG_BINDIR): install the Debian package postgresql (scripts/install_deps.sh "
        "does)");
  }
  return best;
}

// A port of 127.0.0.1 nobody listens on right now.
StatusOr<int> FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return Status::IOError("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return Status::IOError("cannot bind a port on 127.0.0.1");
  }
  ::close(fd);
  return static_cast<int>(ntohs(addr.sin_port));
}

std::string ReadLogTail(const std::string& log) {
  auto text = ReadFile(log);
  if (!text.ok()) return "";
  const std::string& s = *text;
  return s.size() > 2000 ? s.substr(s.size() - 2000) : s;
}

}  // namespace

StatusOr<std::unique_ptr<PostgresTestServer>> PostgresTestServer::Start() {
  std::unique_ptr<PostgresTestServer> server(new PostgresTestServer());
  ASSIGN_OR_RETURN(server->bin_dir_, FindBinDir());
  char tmpl[] = "/tmp/edgepipe_pg_XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return Status::IOError("mkdtemp /tmp/edgepipe_pg_XXXXXX failed");
  server->dir_ = tmpl;
  if (::geteuid() == 0) {
    // initdb refuses root: the server runs as Debian's unprivileged postgres.
    const passwd* pw = ::getpwnam("postgres");
    if (pw == nullptr) {
      return Status::FailedPrecondition(
          "running as root and there is no 'postgres' user to run the test server as "
          "(Debian's postgresql package creates it)");
    }
    if (::chown(server->dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      return Status::IOError("cannot chown " + server->dir_ + " to postgres");
    }
    server->run_as_ = "runuser -u postgres -- ";
  }
  server->StartWatchdog();  // from here on, a dying process leaves nothing behind
  const std::string data = JoinPath(server->dir_, "data");
  const std::string log = JoinPath(server->dir_, "server.log");
  const std::string initdb = server->run_as_ + Quote(JoinPath(server->bin_dir_, "initdb")) +
                             " -D " + Quote(data) +
                             " -U postgres -A trust -E UTF8 --locale=C --no-sync";
  if (Run(initdb, log) != 0) {
    return Status::IOError("initdb failed (" + initdb + "):\n" + ReadLogTail(log));
  }
  for (int attempt = 0;; ++attempt) {
    ASSIGN_OR_RETURN(server->port_, FreePort());
    const std::string options = "-p " + std::to_string(server->port_) + " -k " + server->dir_ +
                                " -c listen_addresses=127.0.0.1 -c fsync=off"
                                " -c synchronous_commit=off -c full_page_writes=off";
    const std::string start = server->run_as_ + Quote(JoinPath(server->bin_dir_, "pg_ctl")) +
                              " -D " + Quote(data) + " -l " + Quote(log + ".server") +
                              " -w -t 60 -o " + Quote(options) + " start";
    if (Run(start, log) == 0) break;
    if (attempt >= 4) {
      return Status::IOError("pg_ctl start failed (" + start + "):\n" +
                             ReadLogTail(log + ".server"));
    }
  }
  server->running_ = true;
  return server;
}

// A process killed before its destructors run (a crash, a ctest timeout)
// would leave its server running under the postgres user. A forked watchdog
// blocks on a pipe whose write end only this process holds (close-on-exec):
// at EOF, i.e. when this process is gone, it stops the server and removes the
// folder; one byte written by Stop() tells it there is nothing to do.
void PostgresTestServer::StartWatchdog() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return;
  // Stop is retried for a few seconds: the process may have died while
  // pg_ctl start was still bringing the server up.
  const std::string stop = "for i in 1 2 3 4 5; do " + StopCommand() +
                           " >/dev/null 2>&1; sleep 1; done; rm -rf " + Quote(dir_);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[1]);
    char byte;
    ssize_t n;
    do {
      n = ::read(fds[0], &byte, 1);
    } while (n < 0 && errno == EINTR);
    if (n == 1) ::_exit(0);  // stopped normally
    int devnull = ::open("/dev/null", O_RDWR);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    ::execl("/bin/sh", "sh", "-c", stop.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[0]);
  if (pid < 0) {
    ::close(fds[1]);
    return;
  }
  watchdog_pid_ = pid;
  watchdog_fd_ = fds[1];
}

std::string PostgresTestServer::StopCommand() const {
  return run_as_ + Quote(JoinPath(bin_dir_, "pg_ctl")) + " -D " + Quote(JoinPath(dir_, "data")) +
         " -m fast -w stop";
}

StatusOr<PostgresTestServer*> PostgresTestServer::Shared() {
  static std::unique_ptr<PostgresTestServer> shared;
  static Status failure;
  if (shared) return shared.get();
  if (!failure.ok()) return failure;
  auto started = Start();
  if (!started.ok()) {
    failure = started.status();
    return failure;
  }
  shared = std::move(started).value();
  std::atexit([] { shared.reset(); });
  return shared.get();
}

PostgresTestServer::~PostgresTestServer() { Stop(); }

void PostgresTestServer::Stop() {
  if (running_) {
    Run(StopCommand(), "/dev/null");
    running_ = false;
  }
  if (!dir_.empty()) (void)RemoveAll(dir_);
  if (watchdog_fd_ >= 0) {
    (void)!::write(watchdog_fd_, "x", 1);
    ::close(watchdog_fd_);
    ::waitpid(watchdog_pid_, nullptr, 0);
    watchdog_fd_ = -1;
  }
}

std::string PostgresTestServer::Uri(const std::string& database) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

StatusOr<std::string> PostgresTestServer::CreateDatabase(const std::string& name) {
  for (char c : name) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '_')) {
      return Status::InvalidArgument("database name " + name + ": use [a-z0-9_] only");
    }
  }
  PGconn* conn = PQconnectdb(Uri("postgres").c_str());
  std::unique_ptr<PGconn, decltype(&PQfinish)> owned(conn, &PQfinish);
  if (PQstatus(conn) != CONNECTION_OK) {
    return Status::IOError("cannot connect to the test server: " +
                           std::string(PQerrorMessage(conn)));
  }
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  for (const std::string& sql :
       {"DROP DATABASE IF EXISTS " + name, "CREATE DATABASE " + name + " TEMPLATE template0"}) {
    std::unique_ptr<PGresult, decltype(&PQclear)> res(PQexec(conn, sql.c_str()), &PQclear);
    if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
      return Status::IOError(sql + ": " + PQresultErrorMessage(res.get()));
    }
  }
  return Uri(name);
}

}  // namespace edgepipe::testing
