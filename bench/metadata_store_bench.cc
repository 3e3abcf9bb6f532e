// Metadata store on ~1 million rows, on SQLite and on PostgreSQL: lineage and
// filtered queries (by type, external id, property, time range, the runner's
// cache lookup) with MLMD's 24 secondary indices, with only the 5 edgepipe
// stores had before them, and with none; plus the time the migration takes
// to add the missing indices to a store that size.
//
//   metadata_store_bench [--executions N] [--backend sqlite|postgresql|both]
//                        [--dir DIR] [--postgres URI] [--repeat R]
//
// N executions (default 100,000) make about 11 N rows: per execution one
// artifact, an OUTPUT event (with one path step) and an INPUT event from the
// previous node of its run, two properties on each of the execution and the
// artifact, an association and an attribution; one pipeline_run context per
// 10 executions (a run is a chain of 10 nodes, so a lineage query walks 10
// hops), and one node context associated with the N / 10 executions of node
// 0, searched by cache_key as the runner's cache lookup does. Rows are
// bulk-inserted with SQL, not through the store's API, so the load takes
// seconds; the queries go through the store where it has the call and
// through the same connection type otherwise.
//
// Without --postgres the PostgreSQL figures come from a server of the
// benchmark's own (tests/support/postgres_server.h: fsync off, a temporary
// folder, a free port of 127.0.0.1); the queries read, so durability settings
// do not enter them. Each figure is the median of R runs (default 15).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "src/core/files.h"
#include "src/metadata/lineage.h"
#include "src/metadata/metadata_store.h"
#include "src/metadata/sql_connection.h"
#include "tests/support/postgres_server.h"

namespace edgepipe::metadata {
namespace {

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

[[noreturn]] void Die(const std::string& what, const Status& st) {
  std::fprintf(stderr, "metadata_store_bench: %s: %s\n", what.c_str(), st.ToString().c_str());
  std::exit(1);
}

template <typename T>
T OrDie(StatusOr<T> r, const std::string& what) {
  if (!r.ok()) Die(what, r.status());
  return std::move(r).value();
}

void OkOrDie(const Status& st, const std::string& what) {
  if (!st.ok()) Die(what, st);
}

// The five indices every edgepipe store had before MLMD's full set.
const std::set<std::string> kOldIndices = {"idx_artifact_uri", "idx_event_execution_id",
                                           "idx_eventpath_event_id",
                                           "idx_parentcontext_parent_context_id", "idx_type_name"};

std::unique_ptr<SqlConnection> Connect(const std::string& location) {
  return IsPostgresUri(location)
             ? OrDie(OpenPostgresConnection(location, {}), "connect " + location)
             : OrDie(OpenSqliteConnection(location, /*create=*/false, {}), "open " + location);
}

int64_t CountRows(SqlConnection& conn, const std::string& sql) {
  auto q = OrDie(conn.Prepare(sql), sql);
  int64_t n = 0;
  while (OrDie(q->Step(), sql)) ++n;
  return n;
}

int64_t Scalar(SqlConnection& conn, const std::string& sql) {
  auto q = OrDie(conn.Prepare(sql), sql);
  if (!OrDie(q->Step(), sql)) return 0;
  return q->Int(0);
}

// Bulk load in one transaction with recursive CTEs (SQL both engines run).
void Load(SqlConnection& conn, int64_t n, int64_t examples_type, int64_t model_type,
          int64_t blessing_type, int64_t trainer_type, int64_t run_type, int64_t node_type) {
  const std::string N = std::to_string(n);
  const std::string seq =
      "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ";
  const std::string t0 = "1700000000000";  // ms; execution i is created at t0 + 1000 i
  std::vector<std::string> statements = {
      seq + N +
          ") INSERT INTO Execution(id, type_id, last_known_state, external_id, "
          "create_time_since_epoch, last_update_time_since_epoch) SELECT i, " +
          std::to_string(trainer_type) + ", 3, 'exec-' || i, " + t0 + " + 1000 * i, " + t0 +
          " + 1000 * i + 500 FROM s",
      seq + N +
          ") INSERT INTO Artifact(id, type_id, uri, state, external_id, "
          "create_time_since_epoch, last_update_time_since_epoch) SELECT i, CASE WHEN i % "
          "100 = 0 THEN " +
          std::to_string(blessing_type) + " WHEN i % 10 = 0 THEN " + std::to_string(model_type) +
          " ELSE " + std::to_string(examples_type) +
          " END, '/root/node' || (i % 10) || '/out/' || i, 2, 'art-' || i, " + t0 +
          " + 1000 * i + 400, " + t0 + " + 1000 * i + 400 FROM s",
      // OUTPUT events get odd ids, INPUT events (from the previous node of the
      // run, none for a run's first node) even ones.
      seq + N +
          ") INSERT INTO Event(id, artifact_id, execution_id, type, "
          "milliseconds_since_epoch) SELECT 2 * i - 1, i, i, 4, " +
          t0 + " + 1000 * i + 400 FROM s",
      seq + N +
          ") INSERT INTO Event(id, artifact_id, execution_id, type, "
          "milliseconds_since_epoch) SELECT 2 * i, i - 1, i, 3, " +
          t0 + " + 1000 * i FROM s WHERE i % 10 <> 1",
      seq + N +
          ") INSERT INTO EventPath(event_id, is_index_step, step_key) SELECT 2 * i - 1, "
          "FALSE, 'out' FROM s",
      seq + N +
          ") INSERT INTO ExecutionProperty(execution_id, name, is_custom_property, "
          "string_value) SELECT i, 'cache_key', TRUE, 'key-' || (i % (" +
          N + " / 2)) FROM s",
      seq + N +
          ") INSERT INTO ExecutionProperty(execution_id, name, is_custom_property, "
          "string_value) SELECT i, 'run_id', TRUE, 'run-' || ((i - 1) / 10) FROM s",
      seq + N +
          ") INSERT INTO ArtifactProperty(artifact_id, name, is_custom_property, "
          "int_value) SELECT i, 'span', FALSE, i % 1000 FROM s",
      seq + N +
          ") INSERT INTO ArtifactProperty(artifact_id, name, is_custom_property, "
          "double_value) SELECT i, 'accuracy', TRUE, (i % 997) / 997.0 FROM s",
      seq + std::to_string(n / 10) +
          ") INSERT INTO Context(id, type_id, name, create_time_since_epoch, "
          "last_update_time_since_epoch) SELECT i, " +
          std::to_string(run_type) + ", 'run-' || (i - 1), " + t0 + " + 10000 * i, " + t0 +
          " + 10000 * i FROM s",
      seq + N +
          ") INSERT INTO Association(id, context_id, execution_id) SELECT i, (i - 1) / 10 "
          "+ 1, i FROM s",
      seq + N +
          ") INSERT INTO Attribution(id, context_id, artifact_id) SELECT i, (i - 1) / 10 + "
          "1, i FROM s",
      // One node context holding every execution of node 0 across the runs,
      // as the runner's node contexts do.
      "INSERT INTO Context(id, type_id, name, create_time_since_epoch, "
      "last_update_time_since_epoch) VALUES(" +
          std::to_string(n / 10 + 1) + ", " + std::to_string(node_type) + ", 'bench.node0', " + t0 +
          ", " + t0 + ")",
      seq + N + ") INSERT INTO Association(id, context_id, execution_id) SELECT " + N +
          " + i / 10, " + std::to_string(n / 10 + 1) + ", i FROM s WHERE i % 10 = 0",
  };
  if (IsPostgresUri(conn.location())) {
    // Explicit ids leave SERIAL sequences behind; later API inserts need them
    // past the loaded rows.
    for (const char* table :
         {"artifact", "execution", "event", "context", "association", "attribution"}) {
      statements.push_back(std::string("SELECT setval(pg_get_serial_sequence('") + table +
                           "', 'id'), (SELECT max(id) FROM " + table + "))");
    }
  }
  OkOrDie(conn.BeginWrite(), "begin");
  for (const std::string& sql : statements) OkOrDie(conn.Execute(sql), "load");
  OkOrDie(conn.Commit(), "commit");
  OkOrDie(conn.Execute("ANALYZE"), "ANALYZE");
}

struct Query {
  std::string name;
  std::function<int64_t()> run;  // returns the number of rows it found
};

struct Figures {
  std::vector<std::string> names;
  std::vector<int64_t> rows;
  std::vector<double> ms;
};

Figures Measure(const std::vector<Query>& queries, int repeat) {
  Figures f;
  for (const Query& q : queries) {
    int64_t rows = q.run();  // warm the caches once
    std::vector<double> times;
    for (int r = 0; r < repeat; ++r) {
      Clock::time_point t0 = Clock::now();
      q.run();
      times.push_back(MsSince(t0));
    }
    std::sort(times.begin(), times.end());
    f.names.push_back(q.name);
    f.rows.push_back(rows);
    f.ms.push_back(times[times.size() / 2]);
  }
  return f;
}

void RunBackend(const std::string& engine, const std::string& location, int64_t n, int repeat) {
  std::printf("\n== %s: %s\n", engine.c_str(), location.c_str());
  int64_t examples_type, model_type, blessing_type, trainer_type, run_type, node_type;
  {
    auto store = OrDie(MetadataStore::Open(location), "open");
    examples_type =
        OrDie(store->PutArtifactType({0, "Examples", {{"span", PropertyType::kInt}}}), "type");
    model_type = OrDie(store->PutArtifactType({0, "Model", {}}), "type");
    blessing_type = OrDie(store->PutArtifactType({0, "ModelBlessing", {}}), "type");
    trainer_type = OrDie(store->PutExecutionType({0, "edgepipe.components.Trainer", {}}), "type");
    run_type = OrDie(store->PutContextType({0, kPipelineRunContextType, {}}), "type");
    node_type = OrDie(store->PutContextType({0, kNodeContextType, {}}), "type");
  }
  auto conn = Connect(location);
  const SqlDialect& dialect = conn->dialect();
  auto drop_indices = [&](const std::function<bool(const std::string&)>& which) {
    for (const SqlDialect::Index& index : dialect.secondary_indices) {
      if (which(index.name))
        OkOrDie(conn->Execute(std::string("DROP INDEX ") + index.name), "drop");
    }
  };
  drop_indices([](const std::string&) { return true; });  // load into bare tables: faster
  Clock::time_point t0 = Clock::now();
  Load(*conn, n, examples_type, model_type, blessing_type, trainer_type, run_type, node_type);
  std::printf("bulk load: %.1f s\n", MsSince(t0) / 1000);

  int64_t total = 0;
  std::printf("rows:");
  for (const char* table : {"Execution", "Artifact", "Event", "EventPath", "ExecutionProperty",
                            "ArtifactProperty", "Context", "Association", "Attribution"}) {
    int64_t rows = Scalar(*conn, std::string("SELECT count(*) FROM ") + table);
    total += rows;
    std::printf(" %s %lld,", table, static_cast<long long>(rows));
  }
  std::printf(" total %lld\n", static_cast<long long>(total));

  // The queries, on a read-only store that never adds indices itself.
  auto reader =
      OrDie(MetadataStore::Open(location, {.create_if_missing = false, .read_only = true}),
            "open read-only");
  const int64_t mid_run = n / 20;  // a run in the middle; its last node's model
  const int64_t model_id = mid_run * 10 + 10;
  const int64_t run_context = mid_run + 1;
  // The runner's cache lookup searches a node's context (all executions of
  // that node over all runs: N / 10) for a custom property cache_key that two
  // executions share (a run and a rerun).
  const int64_t node_context = n / 10 + 1;
  auto sql_rows = [&](const std::string& sql) {
    return [&conn, sql] { return CountRows(*conn, sql); };
  };
  std::vector<Query> queries = {
      {"lineage: upstream of a model (10 hops)",
       [&] {
         auto g = OrDie(GetLineage(*reader, model_id), "lineage");
         return static_cast<int64_t>(g.artifacts.size() + g.executions.size());
       }},
      {"by type: GetArtifactsByType(ModelBlessing)",
       [&] {
         return static_cast<int64_t>(
             OrDie(reader->GetArtifactsByType("ModelBlessing"), "q").size());
       }},
      {"by context: GetExecutionsByContext(run)",
       [&] {
         return static_cast<int64_t>(
             OrDie(reader->GetExecutionsByContext(run_context), "q").size());
       }},
      {"cache lookup: node context+state+cache_key",
       [&] {
         return static_cast<int64_t>(
             OrDie(reader->GetExecutionsByContextStateAndCustomProperty(
                       node_context, Execution::State::kComplete, "cache_key",
                       "key-" + std::to_string(model_id % (n / 2))),
                   "q")
                 .size());
       }},
      {"by external id: Artifact",
       sql_rows("SELECT id FROM Artifact WHERE external_id = 'art-" + std::to_string(n / 3) + "'")},
      {"by uri: GetArtifactsByURI",
       [&] {
         return static_cast<int64_t>(
             OrDie(reader->GetArtifactsByURI("/root/node7/out/" + std::to_string(n / 2 + 7)), "q")
                 .size());
       }},
      {"by property: ArtifactProperty span = 123 (int)",
       sql_rows("SELECT artifact_id FROM ArtifactProperty WHERE name = 'span' AND "
                "is_custom_property = FALSE AND int_value = 123")},
      {"by property: ExecutionProperty run_id (string)",
       sql_rows("SELECT execution_id FROM ExecutionProperty WHERE name = 'run_id' AND "
                "is_custom_property = TRUE AND string_value = 'run-" +
                std::to_string(mid_run) + "'")},
      {"by time: Execution created in a 100 s window",
       sql_rows("SELECT id FROM Execution WHERE create_time_since_epoch BETWEEN " +
                std::to_string(1700000000000 + 1000 * (n / 4)) + " AND " +
                std::to_string(1700000000000 + 1000 * (n / 4 + 99)))},
      {"by time: Artifact updated in a 100 s window",
       sql_rows("SELECT id FROM Artifact WHERE last_update_time_since_epoch BETWEEN " +
                std::to_string(1700000000000 + 1000 * (n / 5)) + " AND " +
                std::to_string(1700000000000 + 1000 * (n / 5 + 99)))},
  };

  Figures none = Measure(queries, repeat);
  for (const SqlDialect::Index& index : dialect.secondary_indices) {
    if (kOldIndices.count(index.name)) OkOrDie(conn->Execute(index.create), "create");
  }
  Figures old = Measure(queries, repeat);
  // The migration: a writable open adds the 19 missing indices.
  t0 = Clock::now();
  { auto store = OrDie(MetadataStore::Open(location), "migrating open"); }
  const double migration_s = MsSince(t0) / 1000;
  if (IsPostgresUri(location)) OkOrDie(conn->Execute("ANALYZE"), "ANALYZE");
  Figures all = Measure(queries, repeat);

  std::printf("migration (open adds the 19 missing indices): %.2f s\n", migration_s);
  if (std::getenv("EDGEPIPE_BENCH_KEEP")) return;  // keep the SQLite file to inspect
  std::printf("%-48s %7s %12s %12s %12s %9s\n", "query (median ms)", "rows", "no indices", "old 5",
              "all 24", "24 vs 5");
  for (size_t i = 0; i < all.names.size(); ++i) {
    std::printf("%-48s %7lld %12.3f %12.3f %12.3f %8.1fx\n", all.names[i].c_str(),
                static_cast<long long>(all.rows[i]), none.ms[i], old.ms[i], all.ms[i],
                old.ms[i] / std::max(all.ms[i], 1e-6));
  }
}

}  // namespace
}  // namespace edgepipe::metadata

int main(int argc, char** argv) {
  using namespace edgepipe;
  int64_t executions = 100000;
  std::string backend = "both", dir = "/tmp", postgres;
  int repeat = 15;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--executions") {
      executions = std::atoll(next().c_str());
    } else if (a == "--backend") {
      backend = next();
    } else if (a == "--dir") {
      dir = next();
    } else if (a == "--postgres") {
      postgres = next();
    } else if (a == "--repeat") {
      repeat = std::atoi(next().c_str());
    } else {
      std::fprintf(stderr,
                   "usage: metadata_store_bench [--executions N] [--backend "
                   "sqlite|postgresql|both] [--dir DIR] [--postgres URI] [--repeat R]\n");
      return 2;
    }
  }
  if (executions < 100 || repeat < 1 ||
      (backend != "sqlite" && backend != "postgresql" && backend != "both")) {
    std::fprintf(stderr,
                 "bad arguments (executions >= 100, repeat >= 1, backend "
                 "sqlite|postgresql|both)\n");
    return 2;
  }
  executions -= executions % 10;
  std::ifstream loadavg("/proc/loadavg");
  std::string load;
  std::getline(loadavg, load);
  std::printf("metadata_store_bench: %lld executions, median of %d runs; %u cores, loadavg %s\n",
              static_cast<long long>(executions), repeat, std::thread::hardware_concurrency(),
              load.c_str());
  if (backend != "postgresql") {
    std::string path = JoinPath(dir, "metadata_store_bench.sqlite");
    for (const char* suffix : {"", "-wal", "-shm"}) (void)RemoveAll(path + suffix);
    metadata::RunBackend("SQLite", path, executions, repeat);
    if (!std::getenv("EDGEPIPE_BENCH_KEEP")) {
      for (const char* suffix : {"", "-wal", "-shm"}) (void)RemoveAll(path + suffix);
    }
  }
  if (backend != "sqlite") {
    std::unique_ptr<testing::PostgresTestServer> server;
    if (postgres.empty()) {
      server = metadata::OrDie(testing::PostgresTestServer::Start(), "start PostgreSQL");
      postgres = metadata::OrDie(server->CreateDatabase("mlmd_bench"), "create database");
    }
    metadata::RunBackend("PostgreSQL", postgres, executions, repeat);
  }
  return 0;
}
