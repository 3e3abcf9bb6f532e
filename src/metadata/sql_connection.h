// The SQL connection the metadata store runs on: SQLite (a file, the embedded
// default) or PostgreSQL (a server, through libpq). The store's logic is
// written once against this interface; everything that differs between the
// two engines lives behind it:
//   - the MLMD DDL of each engine (table and secondary-index statements,
//     sql_dialect.cc), how tables and indices are listed, the order EventPath
//     rows were inserted in;
//   - placeholders: statements are written with `?`, which the PostgreSQL
//     connection rewrites to `$1, $2, ...`;
//   - write transactions: SQLite's BEGIN IMMEDIATE; on PostgreSQL BEGIN plus a
//     transaction-scoped advisory lock, so writers are serialized exactly as
//     on SQLite (a type or context looked up and then inserted cannot be
//     inserted twice by two processes).
// Statements the store writes use only SQL both engines accept: unquoted
// MLMD table names, `INSERT ... RETURNING id` for new ids, `INSERT ... ON
// CONFLICT DO NOTHING`, `TRUE`/`FALSE` for MLMD's boolean columns.
//
// Ownership and threading: a SqlConnection owns one native connection
// (sqlite3* or PGconn*); a SqlStatement borrows its connection, which must
// outlive it. Neither is thread-safe: the caller serializes all use (the
// store holds its mutex). At most one statement of a connection is stepped
// at a time on PostgreSQL (a statement reads its whole result at its first
// Step).
//
// Failure: every call returns Status; messages name the statement. The store
// adds the database (file or server) in front.
#ifndef EDGEPIPE_METADATA_SQL_CONNECTION_H_
#define EDGEPIPE_METADATA_SQL_CONNECTION_H_

#include <cstdint>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>

#include "src/core/status.h"

namespace edgepipe::metadata {

// What differs in SQL text between the engines; one instance per engine,
// defined together in sql_dialect.cc.
struct SqlDialect {
  const char* name;  // "SQLite", "PostgreSQL"
  // MLMD v10 CREATE TABLE statements (MLMDEnv's row is inserted separately).
  std::span<const char* const> create_tables;
  // MLMD's secondary indices: (index name, CREATE INDEX IF NOT EXISTS ...).
  struct Index {
    const char* name;
    const char* create;
  };
  std::span<const Index> secondary_indices;
  // An expression ordering EventPath rows of one event as inserted (the
  // table has no key of its own, as in MLMD).
  const char* event_path_insertion_order;
  // The lock one run holds on the whole store (see MetadataStore::HoldRunLock)
  // on a server: a session-level lock the server releases when the holder's
  // connection ends, however its process died. nullptr on SQLite, whose
  // store is locked with a file beside it.
  const char* try_run_lock;     // one row: true when taken
  const char* wait_run_lock;    // blocks until taken
  const char* run_lock_holder;  // one row naming the holder, if any
};
const SqlDialect& SqliteDialect();
const SqlDialect& PostgresDialect();

// One prepared statement. Bind indices start at 1; column indices at 0.
class SqlStatement {
 public:
  virtual ~SqlStatement() = default;
  virtual SqlStatement& Bind(int index, int64_t value) = 0;
  virtual SqlStatement& Bind(int index, double value) = 0;
  virtual SqlStatement& Bind(int index, const std::string& value) = 0;
  virtual SqlStatement& BindNull(int index) = 0;
  SqlStatement& BindOptionalText(int index, const std::string& value) {
    return value.empty() ? BindNull(index) : Bind(index, value);
  }
  // Runs the statement on the first call; true while there is a row.
  // Errors: FailedPrecondition for a violated constraint (unique key, read-
  // only connection), IOError otherwise; the message names the statement.
  virtual StatusOr<bool> Step() = 0;
  // Step() for a statement that returns no row.
  Status Run() { return Step().status(); }

  // The current row. Int reads MLMD's boolean columns as 0/1.
  virtual bool IsNull(int column) const = 0;
  virtual int64_t Int(int column) const = 0;
  virtual double Double(int column) const = 0;
  virtual std::string Text(int column) const = 0;
};

class SqlConnection {
 public:
  virtual ~SqlConnection() = default;
  virtual const SqlDialect& dialect() const = 0;
  // The file path or the server URI (without a password): messages start
  // with it.
  virtual const std::string& location() const = 0;

  // `sql` is one statement with `?` placeholders.
  virtual StatusOr<std::unique_ptr<SqlStatement>> Prepare(const std::string& sql) = 0;
  // Runs one statement without parameters or results (DDL, PRAGMA).
  virtual Status Execute(const std::string& sql) = 0;

  // One write transaction at a time across every connection to the database
  // (see the file comment); Commit/Rollback end it.
  virtual Status BeginWrite() = 0;
  virtual Status Commit() = 0;
  virtual void Rollback() = 0;

  // The tables and the indices in the store's schema, lower-cased (MLMD's
  // names fold to lower case on PostgreSQL). ListTables is Corruption when
  // the database is not of this engine at all (a non-SQLite file).
  virtual StatusOr<std::set<std::string>> ListTables() = 0;
  virtual StatusOr<std::set<std::string>> ListIndices() = 0;

  // Called once a writable store's schema is verified: SQLite switches the
  // file to WAL (readers in other processes never block a run); nothing to do
  // on PostgreSQL.
  virtual Status ConfigureForWriting() = 0;
};

// True for "postgresql://..." and "postgres://..." (libpq connection URIs).
bool IsPostgresUri(std::string_view location);

// `uri` with its password, if any, replaced by "***", for messages.
std::string RedactPostgresUri(const std::string& uri);

struct SqlConnectionOptions {
  bool read_only = false;
};

// Opens an SQLite file, which must exist unless `create` (WAL mode and the
// busy timeout are set by the store, not here). Errors: IOError.
StatusOr<std::unique_ptr<SqlConnection>> OpenSqliteConnection(const std::string& path, bool create,
                                                              const SqlConnectionOptions& options);

// Connects to the PostgreSQL database named by a libpq URI; a read-only
// connection runs every transaction READ ONLY. Errors: IOError naming the
// server (unreachable, authentication, no such database).
StatusOr<std::unique_ptr<SqlConnection>> OpenPostgresConnection(
    const std::string& uri, const SqlConnectionOptions& options);

}  // namespace edgepipe::metadata

#endif  // EDGEPIPE_METADATA_SQL_CONNECTION_H_
