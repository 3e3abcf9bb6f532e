// SqlConnection on a PostgreSQL server (libpq).
#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "src/metadata/sql_connection.h"

namespace edgepipe::metadata {
namespace {

// pg_type.h's OID of boolean (a fixed catalog value).
constexpr Oid kBoolOid = 16;
// The advisory-lock key every write transaction takes ("mlmd" in ASCII).
// Advisory locks are per database, so stores in different databases of one
// server do not contend.
constexpr const char* kWriteLockSql = "SELECT pg_advisory_xact_lock(1835822436)";
// Statements with parameters are the store's fixed texts: each is prepared
// once per connection and kept (up to this many). Statements without any are
// mostly one-off texts with inline id lists: they are sent unnamed.
constexpr size_t kMaxPreparedStatements = 256;

// libpq's message on one line (it writes hints on "\n\t"-indented lines).
std::string TrimmedError(const char* message) {
  std::string s;
  for (const char* p = message ? message : ""; *p; ++p) {
    if (*p == '\n' || *p == '\t') {
      if (!s.empty() && s.back() != ' ') s += ' ';
    } else {
      s += *p;
    }
  }
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

// "? ? ?" -> "$1 $2 $3", leaving '...' literals and "..." identifiers alone.
std::string NumberPlaceholders(const std::string& sql) {
  std::string out;
  out.reserve(sql.size() + 8);
  int n = 0;
  char quote = 0;
  for (char c : sql) {
    if (quote) {
      if (c == quote) quote = 0;
      out += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      out += c;
    } else if (c == '?') {
      out += "$" + std::to_string(++n);
    } else {
      out += c;
    }
  }
  return out;
}

// Error status for a failed result: constraint violations and writes on a
// read-only connection are FailedPrecondition (as on SQLite), the rest IOError.
Status ResultError(PGconn* conn, const PGresult* res, const std::string& sql) {
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string message = TrimmedError(res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
  if (message.empty()) message = TrimmedError(PQerrorMessage(conn));
  if (PQstatus(conn) == CONNECTION_BAD) message = "connection to the server lost: " + message;
  std::string detail = "postgresql: " + message + " (in \"" + sql + "\")";
  std::string sqlstate = state ? state : "";
  if (sqlstate.rfind("23", 0) == 0 || sqlstate == "25006") {
    return Status::FailedPrecondition(detail);
  }
  return Status::IOError(detail);
}

using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

class PostgresConnection;

class PostgresStatement final : public SqlStatement {
 public:
  PostgresStatement(PGconn* conn, std::string sql, std::string prepared_name)
      : conn_(conn), sql_(std::move(sql)), prepared_name_(std::move(prepared_name)) {}

  SqlStatement& Bind(int i, int64_t v) override { return Set(i, std::to_string(v)); }
  SqlStatement& Bind(int i, double v) override {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof(buf), v);  // shortest text that reads back exactly
    return Set(i, std::string(buf, r.ptr));
  }
  SqlStatement& Bind(int i, const std::string& v) override { return Set(i, v); }
  SqlStatement& BindNull(int i) override {
    Grow(i);
    params_[static_cast<size_t>(i - 1)].reset();
    return *this;
  }

  StatusOr<bool> Step() override {
    if (!result_) {
      std::vector<const char*> values;
      for (const auto& p : params_) values.push_back(p ? p->c_str() : nullptr);
      const int n = static_cast<int>(values.size());
      PGresult* res = prepared_name_.empty() ? PQexecParams(conn_, sql_.c_str(), n, nullptr,
                                                            values.data(), nullptr, nullptr, 0)
                                             : PQexecPrepared(conn_, prepared_name_.c_str(), n,
                                                              values.data(), nullptr, nullptr, 0);
      ResultPtr owned(res, &PQclear);
      ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
      if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        return ResultError(conn_, res, sql_);
      }
      result_ = std::move(owned);
      rows_ = PQntuples(res);
      row_ = -1;
    }
    ++row_;
    return row_ < rows_;
  }

  bool IsNull(int c) const override { return PQgetisnull(result_.get(), row_, c) != 0; }
  int64_t Int(int c) const override {
    const char* v = PQgetvalue(result_.get(), row_, c);
    if (PQftype(result_.get(), c) == kBoolOid) return v[0] == 't' ? 1 : 0;
    return std::strtoll(v, nullptr, 10);
  }
  double Double(int c) const override {
    return std::strtod(PQgetvalue(result_.get(), row_, c), nullptr);
  }
  std::string Text(int c) const override {
    return std::string(PQgetvalue(result_.get(), row_, c),
                       static_cast<size_t>(PQgetlength(result_.get(), row_, c)));
  }

 private:
  void Grow(int i) {
    if (params_.size() < static_cast<size_t>(i)) params_.resize(static_cast<size_t>(i));
  }
  SqlStatement& Set(int i, std::string v) {
    Grow(i);
    params_[static_cast<size_t>(i - 1)] = std::move(v);
    return *this;
  }

  PGconn* conn_;                                    // borrowed from the connection
  std::string sql_;                                 // with $n placeholders
  std::string prepared_name_;                       // empty: sent unnamed with its parameters
  std::vector<std::optional<std::string>> params_;  // text format; nullopt is NULL
  ResultPtr result_{nullptr, &PQclear};
  int rows_ = 0;
  int row_ = -1;
};

class PostgresConnection final : public SqlConnection {
 public:
  PostgresConnection(std::string location, PGconn* conn)
      : location_(std::move(location)), conn_(conn) {}
  ~PostgresConnection() override { PQfinish(conn_); }
  PostgresConnection(const PostgresConnection&) = delete;
  PostgresConnection& operator=(const PostgresConnection&) = delete;

  const SqlDialect& dialect() const override { return PostgresDialect(); }
  const std::string& location() const override { return location_; }

  StatusOr<std::unique_ptr<SqlStatement>> Prepare(const std::string& sql) override {
    std::string numbered = NumberPlaceholders(sql);
    std::string name;
    auto it = prepared_.find(numbered);
    if (it != prepared_.end()) {
      name = it->second;
    } else if (numbered.find('$') != std::string::npos &&
               prepared_.size() < kMaxPreparedStatements) {
      name = "ep" + std::to_string(prepared_.size());
      ResultPtr res(PQprepare(conn_, name.c_str(), numbered.c_str(), 0, nullptr), &PQclear);
      if (!res || PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
        return ResultError(conn_, res.get(), numbered);
      }
      prepared_.emplace(numbered, name);
    }
    return std::unique_ptr<SqlStatement>(
        new PostgresStatement(conn_, std::move(numbered), std::move(name)));
  }

  Status Execute(const std::string& sql) override {
    ResultPtr res(PQexec(conn_, sql.c_str()), &PQclear);
    ExecStatusType st = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return ResultError(conn_, res.get(), sql);
    return Status::OK();
  }

  // The advisory lock makes write transactions take turns, like SQLite's
  // BEGIN IMMEDIATE: the store's read-then-insert steps (types, contexts)
  // stay correct under READ COMMITTED; it is released at COMMIT or ROLLBACK.
  Status BeginWrite() override {
    RETURN_IF_ERROR(Execute("BEGIN"));
    Status st = Execute(kWriteLockSql);
    if (!st.ok()) Rollback();
    return st;
  }
  Status Commit() override { return Execute("COMMIT"); }
  void Rollback() override { PQclear(PQexec(conn_, "ROLLBACK")); }

  StatusOr<std::set<std::string>> ListTables() override {
    return Names(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = "
        "current_schema() AND table_type = 'BASE TABLE'");
  }
  StatusOr<std::set<std::string>> ListIndices() override {
    return Names("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()");
  }
  Status ConfigureForWriting() override { return Status::OK(); }

 private:
  StatusOr<std::set<std::string>> Names(const std::string& sql) {
    ASSIGN_OR_RETURN(std::unique_ptr<SqlStatement> q, Prepare(sql));
    std::set<std::string> names;
    while (true) {
      ASSIGN_OR_RETURN(bool row, q->Step());
      if (!row) break;
      std::string name = q->Text(0);
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      names.insert(std::move(name));
    }
    return names;
  }

  std::string location_;
  PGconn* conn_;                                 // owned
  std::map<std::string, std::string> prepared_;  // SQL text -> server-side statement name
};

}  // namespace

bool IsPostgresUri(std::string_view location) {
  return location.rfind("postgresql://", 0) == 0 || location.rfind("postgres://", 0) == 0;
}

std::string RedactPostgresUri(const std::string& uri) {
  // scheme://user:password@host... -> scheme://user:***@host...
  size_t scheme = uri.find("://");
  if (scheme == std::string::npos) return uri;
  size_t start = scheme + 3;
  size_t at = uri.find('@', start);
  size_t slash = uri.find('/', start);
  if (at == std::string::npos || (slash != std::string::npos && slash < at)) return uri;
  size_t colon = uri.find(':', start);
  if (colon == std::string::npos || colon > at) return uri;
  return uri.substr(0, colon + 1) + "***" + uri.substr(at);
}

StatusOr<std::unique_ptr<SqlConnection>> OpenPostgresConnection(
    const std::string& uri, const SqlConnectionOptions& options) {
  PGconn* conn = PQconnectdb(uri.c_str());
  if (conn == nullptr) return Status::IOError("cannot connect to PostgreSQL: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = TrimmedError(PQerrorMessage(conn));
    PQfinish(conn);
    return Status::IOError("cannot connect to PostgreSQL server: " + message);
  }
  // libpq prints server notices ("relation already exists, skipping") to
  // stderr by default; a library does not print.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  auto connection = std::make_unique<PostgresConnection>(RedactPostgresUri(uri), conn);
  if (options.read_only) {
    RETURN_IF_ERROR(connection->Execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"));
  }
  return std::unique_ptr<SqlConnection>(std::move(connection));
}

}  // namespace edgepipe::metadata
