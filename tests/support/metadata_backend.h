// Test-only: the metadata store's two back ends as a GoogleTest parameter.
// For each test, a fresh empty store location: an SQLite file in a fresh
// folder, or a fresh database on the process's own PostgreSQL server
// (postgres_server.h), and raw SQL run on it by the engine's own CLI (sqlite3
// or psql), an independent reader of what the store wrote.
#ifndef EDGEPIPE_TESTS_SUPPORT_METADATA_BACKEND_H_
#define EDGEPIPE_TESTS_SUPPORT_METADATA_BACKEND_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <string>

#include "src/core/files.h"
#include "src/core/status.h"
#include "tests/support/postgres_server.h"
#include "tests/support/subprocess.h"

namespace edgepipe::testing {

enum class MetadataBackend { kSqlite, kPostgres };

// For INSTANTIATE_TEST_SUITE_P's name generator: ".../SQLite", ".../PostgreSQL".
inline std::string MetadataBackendName(const ::testing::TestParamInfo<MetadataBackend>& info) {
  return info.param == MetadataBackend::kSqlite ? "SQLite" : "PostgreSQL";
}

// A new, empty store location for the running test. On PostgreSQL a server
// that cannot be started is a failure with its reason (never a skip: CI
// installs the server, scripts/install_deps.sh).
inline StatusOr<std::string> FreshStoreLocation(MetadataBackend backend, const std::string& dir) {
  if (backend == MetadataBackend::kSqlite) return JoinPath(dir, "metadata.sqlite");
  ASSIGN_OR_RETURN(PostgresTestServer * server, PostgresTestServer::Shared());
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = "t";
  for (char c : std::string(info->test_suite_name()) + "_" + info->name()) {
    name += std::isalnum(static_cast<unsigned char>(c))
                ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
                : '_';
  }
  name = name.substr(0, 50) + "_" + std::to_string(::getpid());
  return server->CreateDatabase(name);
}

// Runs one statement with the engine's CLI on `location`; returns its output
// (rows as "a|b" lines) trimmed of trailing newlines.
inline std::string RunSql(MetadataBackend backend, const std::string& location,
                          const std::string& sql) {
  std::string command;
  if (backend == MetadataBackend::kSqlite) {
    command = "sqlite3 '" + location + "' \"" + sql + "\"";
  } else {
    auto server = PostgresTestServer::Shared();
    EXPECT_TRUE(server.ok()) << server.status().ToString();
    if (!server.ok()) return "";
    command = "'" + JoinPath((*server)->bin_dir(), "psql") +
              "' -X -q -A -t -v ON_ERROR_STOP=1 -d '" + location + "' -c \"" + sql + "\"";
  }
  CommandResult r = RunCommand(command);
  EXPECT_EQ(r.exit_code, 0) << sql;
  while (!r.out.empty() && (r.out.back() == '\n' || r.out.back() == ' ')) r.out.pop_back();
  return r.out;
}

}  // namespace edgepipe::testing

#endif  // EDGEPIPE_TESTS_SUPPORT_METADATA_BACKEND_H_
