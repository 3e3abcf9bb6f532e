// SqlConnection on an SQLite file (sqlite3 C API).
#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <thread>
#include <utility>

#include "src/metadata/sql_connection.h"

namespace edgepipe::metadata {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

class SqliteStatement final : public SqlStatement {
 public:
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt, std::string sql)
      : db_(db), stmt_(stmt), sql_(std::move(sql)) {}
  ~SqliteStatement() override { sqlite3_finalize(stmt_); }
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  SqlStatement& Bind(int i, int64_t v) override {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  SqlStatement& Bind(int i, double v) override {
    sqlite3_bind_double(stmt_, i, v);
    return *this;
  }
  SqlStatement& Bind(int i, const std::string& v) override {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  SqlStatement& BindNull(int i) override {
    sqlite3_bind_null(stmt_, i);
    return *this;
  }
  StatusOr<bool> Step() override {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    std::string detail = std::string(sqlite3_errmsg(db_)) + " (in \"" + sql_ + "\")";
    if ((rc & 0xff) == SQLITE_CONSTRAINT || (rc & 0xff) == SQLITE_READONLY) {
      return Status::FailedPrecondition("sqlite: " + detail);
    }
    return Status::IOError("sqlite: " + detail);
  }
  bool IsNull(int c) const override { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }
  int64_t Int(int c) const override { return sqlite3_column_int64(stmt_, c); }
  double Double(int c) const override { return sqlite3_column_double(stmt_, c); }
  std::string Text(int c) const override {
    const unsigned char* p = sqlite3_column_text(stmt_, c);
    if (p == nullptr) return {};
    return std::string(reinterpret_cast<const char*>(p),
                       static_cast<size_t>(sqlite3_column_bytes(stmt_, c)));
  }

 private:
  sqlite3* db_;         // borrowed from the connection
  sqlite3_stmt* stmt_;  // owned
  std::string sql_;     // for messages
};

class SqliteConnection final : public SqlConnection {
 public:
  SqliteConnection(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}
  ~SqliteConnection() override { sqlite3_close(db_); }
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  const SqlDialect& dialect() const override { return SqliteDialect(); }
  const std::string& location() const override { return path_; }

  StatusOr<std::unique_ptr<SqlStatement>> Prepare(const std::string& sql) override {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      return Status::IOError(std::string("sqlite: cannot prepare \"") + sql +
                             "\": " + sqlite3_errmsg(db_));
    }
    return std::unique_ptr<SqlStatement>(new SqliteStatement(db_, stmt, sql));
  }

  Status Execute(const std::string& sql) override {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errmsg(db_);
      sqlite3_free(err);
      return Status::IOError("sqlite: " + msg + " (in \"" + sql + "\")");
    }
    return Status::OK();
  }

  // IMMEDIATE takes the write lock at once: a transaction that reads and then
  // writes never meets another writer in between.
  Status BeginWrite() override { return Execute("BEGIN IMMEDIATE"); }
  Status Commit() override { return Execute("COMMIT"); }
  void Rollback() override { sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr); }

  StatusOr<std::set<std::string>> ListTables() override {
    return ListSchema("table", /*not_sqlite_is_corruption=*/true);
  }
  StatusOr<std::set<std::string>> ListIndices() override {
    return ListSchema("index", /*not_sqlite_is_corruption=*/false);
  }

  // Changing the journal mode needs the file to itself for a moment, and
  // SQLite answers SQLITE_BUSY at once, without calling the busy handler,
  // while another connection reads it: processes opening one new store
  // together met exactly that. Retried for up to ~10 s, like the busy timeout
  // every other statement gets. NORMAL sync in WAL is durable at each
  // checkpoint and never corrupts (a crash can lose only the last commits).
  Status ConfigureForWriting() override {
    for (int attempt = 0;; ++attempt) {
      Status st = Execute("PRAGMA journal_mode=WAL");
      if (st.ok()) break;
      if (attempt >= 1000 || sqlite3_errcode(db_) != SQLITE_BUSY) return st;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return Execute("PRAGMA synchronous=NORMAL");
  }

 private:
  // The names of the tables or indices (SQLite's own left out); for tables,
  // Corruption when the file is not an SQLite database at all.
  StatusOr<std::set<std::string>> ListSchema(const char* type, bool not_sqlite_is_corruption) {
    auto fail = [&](const Status& st) {
      if (!not_sqlite_is_corruption) return st;
      return Status::Corruption(std::string("not an SQLite database (") + sqlite3_errmsg(db_) +
                                ")");
    };
    auto q = Prepare(std::string("SELECT name FROM sqlite_master WHERE type = '") + type +
                     "' AND name NOT LIKE 'sqlite_%' ORDER BY name");
    if (!q.ok()) return fail(q.status());
    std::set<std::string> names;
    while (true) {
      auto row = (*q)->Step();
      if (!row.ok()) return fail(row.status());
      if (!*row) break;
      names.insert(Lower((*q)->Text(0)));
    }
    return names;
  }

  std::string path_;
  sqlite3* db_;  // owned
};

}  // namespace

StatusOr<std::unique_ptr<SqlConnection>> OpenSqliteConnection(const std::string& path, bool create,
                                                              const SqlConnectionOptions& options) {
  int flags = options.read_only ? SQLITE_OPEN_READONLY
                                : (SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0));
  flags |= SQLITE_OPEN_NOMUTEX;  // the caller serializes all use of the connection
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return Status::IOError("cannot open SQLite database: " + msg);
  }
  sqlite3_busy_timeout(db, 10000);  // another process (the CLI) may hold a short lock
  return std::unique_ptr<SqlConnection>(new SqliteConnection(path, db));
}

}  // namespace edgepipe::metadata
