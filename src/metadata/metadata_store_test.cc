#include "src/metadata/metadata_store.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <sstream>
#include <thread>

#include "src/core/files.h"
#include "tests/support/metadata_backend.h"
#include "tests/support/subprocess.h"

namespace edgepipe::metadata {
namespace {

using ::edgepipe::testing::MetadataBackend;
using ::edgepipe::testing::RunCommand;

// MLMD's 24 secondary indices (upstream's SQLite and PostgreSQL configs).
const std::set<std::string> kSecondaryIndices = {
    "idx_artifact_uri",
    "idx_artifact_create_time_since_epoch",
    "idx_artifact_last_update_time_since_epoch",
    "idx_event_execution_id",
    "idx_parentcontext_parent_context_id",
    "idx_type_name",
    "idx_execution_create_time_since_epoch",
    "idx_execution_last_update_time_since_epoch",
    "idx_context_create_time_since_epoch",
    "idx_context_last_update_time_since_epoch",
    "idx_eventpath_event_id",
    "idx_artifact_property_int",
    "idx_artifact_property_double",
    "idx_artifact_property_string",
    "idx_execution_property_int",
    "idx_execution_property_double",
    "idx_execution_property_string",
    "idx_context_property_int",
    "idx_context_property_double",
    "idx_context_property_string",
    "idx_type_external_id",
    "idx_artifact_external_id",
    "idx_execution_external_id",
    "idx_context_external_id",
};
// The five an edgepipe store made before all of them were created.
const std::set<std::string> kIndicesOfOldStores = {
    "idx_artifact_uri", "idx_event_execution_id", "idx_eventpath_event_id",
    "idx_parentcontext_parent_context_id", "idx_type_name"};

// A fresh store location per test on the back end backend() names.
class StoreTestBase : public ::testing::Test {
 protected:
  virtual MetadataBackend backend() const = 0;
  bool postgres() const { return backend() == MetadataBackend::kPostgres; }

  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::replace(name.begin(), name.end(), '/', '_');  // "Test/SQLite"
    dir_ = JoinPath(::testing::TempDir(), "mlmd_" + name + "_" + std::to_string(::getpid()));
    ASSERT_TRUE(RemoveAll(dir_).ok());
    ASSERT_TRUE(CreateDirectories(dir_).ok());
    auto location = ::edgepipe::testing::FreshStoreLocation(backend(), dir_);
    ASSERT_TRUE(location.ok()) << location.status().ToString();
    location_ = *location;
  }
  void TearDown() override { (void)RemoveAll(dir_); }

  std::unique_ptr<MetadataStore> OpenOrDie() {
    auto s = MetadataStore::Open(location_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }
  // Runs one SQL statement with the engine's CLI and returns its trimmed output.
  std::string Sql(const std::string& sql) {
    return ::edgepipe::testing::RunSql(backend(), location_, sql);
  }
  std::set<std::string> Lines(const std::string& text) {
    std::set<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.insert(line);
    return out;
  }
  // The names of the store's tables and of its idx_ indices.
  std::set<std::string> Tables() {
    std::set<std::string> out;
    for (std::string t :
         Lines(postgres() ? Sql("SELECT table_name FROM information_schema.tables WHERE "
                                "table_schema = 'public'")
                          : Sql("SELECT name FROM sqlite_master WHERE type = 'table' AND name "
                                "<> 'sqlite_sequence'"))) {
      std::transform(t.begin(), t.end(), t.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      out.insert(t);
    }
    return out;
  }
  std::set<std::string> Indices() {
    return Lines(postgres() ? Sql("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'idx_%'")
                            : Sql("SELECT name FROM sqlite_master WHERE type = 'index' AND name "
                                  "LIKE 'idx_%'"));
  }

  std::string dir_, location_;
};

// The tests every back end passes.
class MetadataStoreTest : public StoreTestBase,
                          public ::testing::WithParamInterface<MetadataBackend> {
 protected:
  MetadataBackend backend() const override { return GetParam(); }
};
INSTANTIATE_TEST_SUITE_P(Backends, MetadataStoreTest,
                         ::testing::Values(MetadataBackend::kSqlite, MetadataBackend::kPostgres),
                         ::edgepipe::testing::MetadataBackendName);

// What only one engine has: a file, WAL, query plans; a server URI.
class SqliteMetadataStoreTest : public StoreTestBase {
 protected:
  MetadataBackend backend() const override { return MetadataBackend::kSqlite; }
};
class PostgresMetadataStoreTest : public StoreTestBase {
 protected:
  MetadataBackend backend() const override { return MetadataBackend::kPostgres; }
};

TEST_P(MetadataStoreTest, NewStoreHasTheV10TablesAndMlmdsSecondaryIndices) {
  { auto store = OpenOrDie(); }
  EXPECT_EQ(Tables(),
            (std::set<std::string>{"type", "typeproperty", "parenttype", "artifact",
                                   "artifactproperty", "execution", "executionproperty", "context",
                                   "contextproperty", "parentcontext", "event", "eventpath",
                                   "association", "attribution", "mlmdenv"}));
  EXPECT_EQ(Sql("SELECT schema_version FROM MLMDEnv"), "10");
  EXPECT_EQ(Indices(), kSecondaryIndices);
  // MLMD's column names, checked on two tables.
  auto columns = [&](const std::string& table) {
    return postgres()
               ? Sql("SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM "
                     "information_schema.columns WHERE table_name = '" +
                     table + "'")
               : Sql("SELECT group_concat(name, ',') FROM pragma_table_info('" + table + "')");
  };
  EXPECT_EQ(columns(postgres() ? "execution" : "Execution"),
            "id,type_id,last_known_state,name,external_id,create_time_since_epoch,"
            "last_update_time_since_epoch");
  EXPECT_EQ(columns(postgres() ? "artifactproperty" : "ArtifactProperty"),
            "artifact_id,name,is_custom_property,int_value,double_value,string_value,"
            "byte_value,proto_value,bool_value");
}

TEST_F(SqliteMetadataStoreTest, NewStoreIsInWalMode) {
  { auto store = OpenOrDie(); }
  EXPECT_EQ(Sql("PRAGMA journal_mode"), "wal");
}

// A store made by edgepipe before it created all of MLMD's indices (it made
// five) gains the others when opened for writing, and keeps its rows; a
// read-only open changes nothing.
TEST_P(MetadataStoreTest, StoreWithoutTheNewIndicesGainsThemOnOpen) {
  int64_t artifact_id;
  {
    auto store = OpenOrDie();
    auto type = store->PutArtifactType({0, "Model", {}});
    ASSERT_TRUE(type.ok());
    auto id = store->PutArtifact({.type_id = *type, .uri = "/m"});
    ASSERT_TRUE(id.ok());
    artifact_id = *id;
  }
  for (const std::string& index : kSecondaryIndices) {
    if (!kIndicesOfOldStores.count(index)) Sql("DROP INDEX " + index);
  }
  ASSERT_EQ(Indices(), kIndicesOfOldStores);
  {
    auto reader = MetadataStore::Open(location_, {.create_if_missing = false, .read_only = true});
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  }
  EXPECT_EQ(Indices(), kIndicesOfOldStores);
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Indices(), kSecondaryIndices);
  auto got = store->GetArtifactsByURI("/m");
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ(got->front().id, artifact_id);
}

// The filtered queries MLMD's indices exist for use them (SQLite's planner
// tells; the property index is partial and still serves an equality).
TEST_F(SqliteMetadataStoreTest, SecondaryIndicesServeFilteredQueries) {
  { auto store = OpenOrDie(); }
  auto plan = [&](const std::string& sql) { return Sql("EXPLAIN QUERY PLAN " + sql); };
  EXPECT_NE(plan("SELECT id FROM Artifact WHERE create_time_since_epoch > 5")
                .find("idx_artifact_create_time_since_epoch"),
            std::string::npos);
  EXPECT_NE(plan("SELECT id FROM Execution WHERE last_update_time_since_epoch BETWEEN 1 AND 9")
                .find("idx_execution_last_update_time_since_epoch"),
            std::string::npos);
  EXPECT_NE(plan("SELECT artifact_id FROM ArtifactProperty WHERE name = 'span' AND "
                 "is_custom_property = 0 AND int_value = 3")
                .find("idx_artifact_property_int"),
            std::string::npos);
  EXPECT_NE(plan("SELECT execution_id FROM ExecutionProperty WHERE name = 'k' AND "
                 "is_custom_property = 1 AND string_value = 'v'")
                .find("idx_execution_property_string"),
            std::string::npos);
}

TEST_P(MetadataStoreTest, ProcessesCreatingOneNewStoreAtOnceAllSucceed) {
  // Each child blocks on the pipe until the parent closes it, so all of them
  // open the missing store at the same moment; each exits 0 if Open worked.
  constexpr int kProcesses = 6;
  int gate[2];
  ASSERT_EQ(::pipe(gate), 0);
  std::vector<pid_t> children;
  for (int i = 0; i < kProcesses; ++i) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(gate[1]);
      char c;
      (void)!::read(gate[0], &c, 1);
      auto store = MetadataStore::Open(location_);
      if (!store.ok()) std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
      ::_exit(store.ok() && (*store)->PutArtifactType({0, "Model", {}}).ok() ? 0 : 1);
    }
    children.push_back(pid);
  }
  ::close(gate[0]);
  ::close(gate[1]);
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  EXPECT_EQ(Sql("SELECT count(*) FROM MLMDEnv"), "1");
  EXPECT_EQ(Sql("SELECT count(*) FROM Type WHERE name = 'Model'"), "1");
  if (!postgres()) {
    EXPECT_EQ(Sql("PRAGMA integrity_check"), "ok");
  }
}

TEST_P(MetadataStoreTest, ReopenKeepsData) {
  int64_t type_id;
  {
    auto store = OpenOrDie();
    auto t = store->PutArtifactType({0, "Model", {}});
    ASSERT_TRUE(t.ok());
    type_id = *t;
  }
  auto store = OpenOrDie();
  auto t = store->GetArtifactType("Model");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->id, type_id);
}

TEST_P(MetadataStoreTest, WrongSchemaVersionIsFailedPrecondition) {
  { auto store = OpenOrDie(); }
  Sql("UPDATE MLMDEnv SET schema_version = 7");
  auto s = MetadataStore::Open(location_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(s.status().message().find(location_), std::string::npos) << s.status().message();
  EXPECT_NE(s.status().message().find("version 7, expected 10"), std::string::npos)
      << s.status().message();
}

TEST_P(MetadataStoreTest, DatabaseThatIsNotMlmdIsFailedPrecondition) {
  Sql("CREATE TABLE users(id INTEGER)");
  auto s = MetadataStore::Open(location_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(s.status().message().find("not an ML Metadata database"), std::string::npos)
      << s.status().message();
  EXPECT_NE(s.status().message().find("users"), std::string::npos);
}

TEST_F(SqliteMetadataStoreTest, NonSqliteFileIsCorruption) {
  ASSERT_TRUE(WriteFileAtomic(location_, std::string(4096, 'x')).ok());
  auto s = MetadataStore::Open(location_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Status::Code::kCorruption);
  EXPECT_EQ(s.status().message().rfind(location_ + ": not an SQLite database", 0), 0u)
      << s.status().message();
}

TEST_P(MetadataStoreTest, MissingTableIsCorruption) {
  { auto store = OpenOrDie(); }
  Sql("DROP TABLE EventPath");
  auto s = MetadataStore::Open(location_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Status::Code::kCorruption);
  EXPECT_NE(s.status().message().find("EventPath"), std::string::npos);
}

// A missing file; on a server, a database without a store.
TEST_P(MetadataStoreTest, MissingStoreWithoutCreateIsNotFound) {
  auto s = MetadataStore::Open(location_, {.create_if_missing = false});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Status::Code::kNotFound) << s.status().ToString();
  if (postgres()) {
    EXPECT_TRUE(Tables().empty());
  } else {
    EXPECT_FALSE(PathExists(location_));
  }
}

TEST_P(MetadataStoreTest, ReadOnlyStoreRefusesWrites) {
  { auto store = OpenOrDie(); }
  auto s = MetadataStore::Open(location_, {.create_if_missing = false, .read_only = true});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_FALSE((*s)->PutArtifactType({0, "Model", {}}).ok());
}

TEST_P(MetadataStoreTest, TypesAreIdempotentAndCanGainProperties) {
  auto store = OpenOrDie();
  auto a = store->PutArtifactType({0, "Examples", {{"span", PropertyType::kInt}}});
  auto b = store->PutArtifactType({0, "Examples", {{"split_names", PropertyType::kString}}});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  auto t = store->GetArtifactType("Examples");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->properties,
            (std::map<std::string, PropertyType>{{"span", PropertyType::kInt},
                                                 {"split_names", PropertyType::kString}}));
  // The same name as an execution type is a different type (type_kind).
  auto e = store->PutExecutionType({0, "Examples", {}});
  ASSERT_TRUE(e.ok());
  EXPECT_NE(*e, *a);
  EXPECT_EQ(Sql("SELECT type_kind FROM Type WHERE id = " + std::to_string(*a)), "1");
  EXPECT_EQ(Sql("SELECT type_kind FROM Type WHERE id = " + std::to_string(*e)), "0");
  auto c = store->PutContextType({0, "pipeline", {}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(Sql("SELECT type_kind FROM Type WHERE id = " + std::to_string(*c)), "2");
}

TEST_P(MetadataStoreTest, ChangingAPropertyTypeIsFailedPrecondition) {
  auto store = OpenOrDie();
  ASSERT_TRUE(store->PutArtifactType({0, "Examples", {{"span", PropertyType::kInt}}}).ok());
  auto r = store->PutArtifactType({0, "Examples", {{"span", PropertyType::kString}}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("span is stored as INT, not STRING"), std::string::npos)
      << r.status().message();
}

TEST_P(MetadataStoreTest, UnknownTypeIsNotFound) {
  auto store = OpenOrDie();
  auto r = store->GetExecutionType("Trainer");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound);
}

TEST_P(MetadataStoreTest, ArtifactRoundTripAndStoredColumns) {
  auto store = OpenOrDie();
  auto type = store->PutArtifactType(
      {0, "Examples", {{"split_names", PropertyType::kString}, {"span", PropertyType::kInt}}});
  ASSERT_TRUE(type.ok());
  Artifact a;
  a.type_id = *type;
  a.uri = "/root/ExampleGen/examples/1";
  a.state = Artifact::State::kLive;
  a.properties = {{"split_names", std::string("[\"train\",\"eval\"]")}, {"span", int64_t{0}}};
  a.custom_properties = {{"blessed", int64_t{1}}, {"accuracy", 0.975}};
  auto id = store->PutArtifact(a);
  ASSERT_TRUE(id.ok()) << id.status().ToString();

  auto got = store->GetArtifactsByID({*id});
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  const Artifact& g = got->front();
  EXPECT_EQ(g.type, "Examples");
  EXPECT_EQ(g.uri, a.uri);
  EXPECT_EQ(g.state, Artifact::State::kLive);
  EXPECT_EQ(g.properties, a.properties);
  EXPECT_EQ(g.custom_properties, a.custom_properties);
  EXPECT_GT(g.create_time_since_epoch, 0);

  // Raw rows hold MLMD's encodings: LIVE = 2, custom flag, typed value columns.
  const std::string sid = std::to_string(*id);
  EXPECT_EQ(Sql("SELECT state FROM Artifact WHERE id = " + sid), "2");
  EXPECT_EQ(Sql("SELECT CASE WHEN is_custom_property THEN 'custom' ELSE 'declared' END || '|' || "
                "int_value FROM ArtifactProperty WHERE artifact_id = " +
                sid + " AND name = 'blessed'"),
            "custom|1");
  EXPECT_EQ(Sql("SELECT double_value FROM ArtifactProperty WHERE name = 'accuracy'"), "0.975");
  EXPECT_EQ(Sql("SELECT CASE WHEN is_custom_property THEN 'custom' ELSE 'declared' END || '|' || "
                "string_value FROM ArtifactProperty WHERE name = 'split_names'"),
            "declared|[\"train\",\"eval\"]");

  // Update: state and properties are replaced.
  Artifact u = g;
  u.state = Artifact::State::kDeleted;
  u.custom_properties = {{"blessed", int64_t{0}}};
  ASSERT_TRUE(store->PutArtifact(u).ok());
  got = store->GetArtifactsByID({*id});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->front().state, Artifact::State::kDeleted);
  EXPECT_EQ(got->front().custom_properties, (PropertyMap{{"blessed", int64_t{0}}}));
}

TEST_P(MetadataStoreTest, UndeclaredPropertyIsInvalidArgument) {
  auto store = OpenOrDie();
  auto type = store->PutArtifactType({0, "Model", {}});
  ASSERT_TRUE(type.ok());
  Artifact a;
  a.type_id = *type;
  a.properties = {{"version", int64_t{3}}};
  auto r = store->PutArtifact(a);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("property version is not declared"), std::string::npos);
}

TEST_P(MetadataStoreTest, PropertyOfWrongTypeIsInvalidArgument) {
  auto store = OpenOrDie();
  auto type = store->PutArtifactType({0, "Model", {{"version", PropertyType::kInt}}});
  ASSERT_TRUE(type.ok());
  Artifact a;
  a.type_id = *type;
  a.properties = {{"version", std::string("3")}};
  auto r = store->PutArtifact(a);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("declared INT but the value is STRING"), std::string::npos);
}

TEST_P(MetadataStoreTest, ArtifactOfUnknownTypeIsNotFound) {
  auto store = OpenOrDie();
  Artifact a;
  a.type_id = 99;
  auto r = store->PutArtifact(a);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound);
}

TEST_P(MetadataStoreTest, PutExecutionWritesEverythingInOneGo) {
  auto store = OpenOrDie();
  auto model_type = store->PutArtifactType({0, "Model", {}});
  auto exec_type = store->PutExecutionType({0, "edgepipe.components.Trainer", {}});
  auto ctx_type = store->PutContextType({0, "pipeline", {}});
  ASSERT_TRUE(model_type.ok() && exec_type.ok() && ctx_type.ok());
  Execution e;
  e.type_id = *exec_type;
  e.last_known_state = Execution::State::kComplete;
  e.custom_properties = {{"component_id", std::string("Trainer")}};
  ArtifactAndEvent out;
  out.artifact.type_id = *model_type;
  out.artifact.uri = "/root/Trainer/model/1";
  out.artifact.state = Artifact::State::kLive;
  out.event = Event{.type = Event::Type::kOutput, .path = {{std::string("model")}, {int64_t{0}}}};
  Context c;
  c.type_id = *ctx_type;
  c.name = "mnist";
  auto r = store->PutExecution(e, {out}, {c});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->artifact_ids.size(), 1u);
  ASSERT_EQ(r->context_ids.size(), 1u);

  auto events = store->GetEventsByExecutionIDs({r->execution_id});
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ(events->front().artifact_id, r->artifact_ids[0]);
  EXPECT_EQ(events->front().type, Event::Type::kOutput);
  ASSERT_EQ(events->front().path.size(), 2u);
  EXPECT_EQ(std::get<std::string>(events->front().path[0].value), "model");
  EXPECT_EQ(std::get<int64_t>(events->front().path[1].value), 0);
  EXPECT_EQ(Sql("SELECT type FROM Event"), "4");                  // OUTPUT
  EXPECT_EQ(Sql("SELECT last_known_state FROM Execution"), "3");  // COMPLETE

  auto arts = store->GetArtifactsByContext(r->context_ids[0]);
  ASSERT_TRUE(arts.ok());
  ASSERT_EQ(arts->size(), 1u);
  EXPECT_EQ(arts->front().uri, "/root/Trainer/model/1");
  auto execs = store->GetExecutionsByContext(r->context_ids[0]);
  ASSERT_TRUE(execs.ok());
  ASSERT_EQ(execs->size(), 1u);
  EXPECT_EQ(execs->front().custom_properties, e.custom_properties);

  // A second execution with the same context name reuses the context.
  e.last_known_state = Execution::State::kCached;
  auto r2 = store->PutExecution(e, {}, {c});
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->context_ids, r->context_ids);
  EXPECT_EQ(Sql("SELECT count(*) FROM Context"), "1");
  EXPECT_EQ(Sql("SELECT count(*) FROM Association"), "2");
}

// The runner's cache lookup: executions of a context by state and a custom
// string property, each with all its properties; and a listing of more
// nodes than one property query reads (batches of 500) keeps every
// node's own properties.
TEST_P(MetadataStoreTest, ExecutionsByContextStateAndCustomProperty) {
  auto store = OpenOrDie();
  auto exec_type = store->PutExecutionType({0, "edgepipe.components.Trainer", {}});
  auto ctx_type = store->PutContextType({0, "node", {}});
  ASSERT_TRUE(exec_type.ok() && ctx_type.ok());
  Context node{.type_id = *ctx_type, .name = "p.Trainer"};
  Context other{.type_id = *ctx_type, .name = "p.Evaluator"};
  std::vector<int64_t> ids;
  for (int i = 0; i < 1203; ++i) {
    Execution e;
    e.type_id = *exec_type;
    e.last_known_state = i % 3 == 0 ? Execution::State::kComplete : Execution::State::kCached;
    e.custom_properties = {{"cache_key", std::string(i % 2 == 0 ? "k1" : "k2")}, {"n", int64_t{i}}};
    auto r = store->PutExecution(e, {}, {i == 1200 ? other : node});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ids.push_back(r->execution_id);
  }
  auto node_ctx = store->GetContextByTypeAndName("node", "p.Trainer");
  ASSERT_TRUE(node_ctx.ok() && node_ctx->has_value());
  auto hits = store->GetExecutionsByContextStateAndCustomProperty(
      (*node_ctx)->id, Execution::State::kComplete, "cache_key", "k1");
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  // i % 6 == 0, except 1200 (another context): 0, 6, ..., 1194.
  ASSERT_EQ(hits->size(), 200u);
  for (size_t k = 0; k < hits->size(); ++k) {
    EXPECT_EQ((*hits)[k].id, ids[6 * k]);
    EXPECT_EQ(std::get<int64_t>((*hits)[k].custom_properties.at("n")), static_cast<int64_t>(6 * k));
  }
  auto none = store->GetExecutionsByContextStateAndCustomProperty(
      (*node_ctx)->id, Execution::State::kComplete, "cache_key", "k3");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  auto all = store->GetExecutions();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1203u);
  for (size_t i = 0; i < all->size(); ++i) {
    EXPECT_EQ(std::get<int64_t>((*all)[i].custom_properties.at("n")), static_cast<int64_t>(i));
  }
}

TEST_P(MetadataStoreTest, FailedPutExecutionLeavesNothingBehind) {
  auto store = OpenOrDie();
  auto model_type = store->PutArtifactType({0, "Model", {}});
  auto exec_type = store->PutExecutionType({0, "Trainer", {}});
  ASSERT_TRUE(model_type.ok() && exec_type.ok());
  Execution e;
  e.type_id = *exec_type;
  ArtifactAndEvent good, bad;
  good.artifact.type_id = *model_type;
  good.event = Event{.type = Event::Type::kOutput};
  bad.artifact.type_id = *model_type;
  bad.artifact.properties = {{"undeclared", int64_t{1}}};
  auto r = store->PutExecution(e, {good, bad}, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(Sql("SELECT count(*) FROM Execution"), "0");
  EXPECT_EQ(Sql("SELECT count(*) FROM Artifact"), "0");
  EXPECT_EQ(Sql("SELECT count(*) FROM Event"), "0");
}

TEST_P(MetadataStoreTest, EventForMissingArtifactIsNotFound) {
  auto store = OpenOrDie();
  auto exec_type = store->PutExecutionType({0, "Trainer", {}});
  ASSERT_TRUE(exec_type.ok());
  auto eid = store->PutExecution(Execution{.type_id = *exec_type});
  ASSERT_TRUE(eid.ok());
  Status st = store->PutEvents(
      {Event{.artifact_id = 42, .execution_id = *eid, .type = Event::Type::kInput}});
  EXPECT_EQ(st.code(), Status::Code::kNotFound);
  EXPECT_NE(st.message().find("artifact 42 does not exist"), std::string::npos);
}

TEST_P(MetadataStoreTest, QueriesByTypeUriContextAndParents) {
  auto store = OpenOrDie();
  auto ex = store->PutArtifactType({0, "Examples", {}});
  auto model = store->PutArtifactType({0, "Model", {}});
  auto run_type = store->PutContextType({0, "pipeline_run", {}});
  auto pipe_type = store->PutContextType({0, "pipeline", {}});
  ASSERT_TRUE(ex.ok() && model.ok() && run_type.ok() && pipe_type.ok());
  auto ids = store->PutArtifacts({Artifact{.type_id = *ex, .uri = "/a"},
                                  Artifact{.type_id = *model, .uri = "/b"},
                                  Artifact{.type_id = *model, .uri = "/c"}});
  ASSERT_TRUE(ids.ok());
  auto models = store->GetArtifactsByType("Model");
  ASSERT_TRUE(models.ok());
  ASSERT_EQ(models->size(), 2u);
  EXPECT_EQ((*models)[0].uri, "/b");
  EXPECT_EQ((*models)[1].uri, "/c");
  auto by_uri = store->GetArtifactsByURI("/c");
  ASSERT_TRUE(by_uri.ok());
  ASSERT_EQ(by_uri->size(), 1u);
  EXPECT_EQ(by_uri->front().id, (*ids)[2]);

  auto pipe = store->PutContext(Context{.type_id = *pipe_type, .name = "mnist"});
  auto run = store->PutContext(Context{.type_id = *run_type, .name = "2024-01-01T00:00:00"});
  ASSERT_TRUE(pipe.ok() && run.ok());
  ASSERT_TRUE(store->PutParentContexts({{*run, *pipe}}).ok());
  ASSERT_TRUE(store->PutAttributionsAndAssociations({{(*ids)[1], *run}}, {}).ok());
  auto found = store->GetContextByTypeAndName("pipeline_run", "2024-01-01T00:00:00");
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->id, *run);
  auto none = store->GetContextByTypeAndName("pipeline", "2024-01-01T00:00:00");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto parents = store->GetParentContextsByContext(*run);
  ASSERT_TRUE(parents.ok());
  ASSERT_EQ(parents->size(), 1u);
  EXPECT_EQ(parents->front().name, "mnist");
  auto children = store->GetChildrenContextsByContext(*pipe);
  ASSERT_TRUE(children.ok());
  ASSERT_EQ(children->size(), 1u);
  EXPECT_EQ(children->front().id, *run);
  auto in_run = store->GetArtifactsByContext(*run);
  ASSERT_TRUE(in_run.ok());
  ASSERT_EQ(in_run->size(), 1u);
  EXPECT_EQ(in_run->front().uri, "/b");
  auto ctx_of = store->GetContextsByArtifact((*ids)[1]);
  ASSERT_TRUE(ctx_of.ok());
  ASSERT_EQ(ctx_of->size(), 1u);
  // A duplicate context name within a type is refused.
  auto dup = store->PutContext(Context{.type_id = *pipe_type, .name = "mnist"});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().code(), Status::Code::kFailedPrecondition);
}

TEST_P(MetadataStoreTest, ThreadsShareOneStore) {
  auto store = OpenOrDie();
  auto type = store->PutArtifactType({0, "Examples", {}});
  ASSERT_TRUE(type.ok());
  constexpr int kThreads = 4, kPerThread = 25;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        Artifact a{.type_id = *type, .uri = "/t" + std::to_string(t) + "/" + std::to_string(i)};
        if (!store->PutArtifact(a).ok()) ++failures;
        if (!store->GetArtifactsByType("Examples").ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Sql("SELECT count(*) FROM Artifact"), std::to_string(kThreads * kPerThread));
}

TEST_F(PostgresMetadataStoreTest, UnreachableServerIsIOErrorNamingItWithoutThePassword) {
  // Port 1 of 127.0.0.1: nothing listens there.
  auto s = MetadataStore::Open("postgresql://edgepipe:secret@127.0.0.1:1/mlmd");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Status::Code::kIOError);
  EXPECT_EQ(s.status().message().rfind("postgresql://edgepipe:***@127.0.0.1:1/mlmd: cannot "
                                       "connect to PostgreSQL server",
                                       0),
            0u)
      << s.status().message();
  EXPECT_EQ(s.status().message().find("secret"), std::string::npos);
}

TEST_F(PostgresMetadataStoreTest, MissingDatabaseIsIOErrorNamingIt) {
  std::string uri = location_.substr(0, location_.rfind('/')) + "/no_such_database";
  auto s = MetadataStore::Open(uri);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Status::Code::kIOError);
  EXPECT_NE(s.status().message().find("no_such_database"), std::string::npos)
      << s.status().message();
}

// An SQL error names the store and the statement, and rolls the whole write
// back: the execution is not recorded COMPLETE without its event.
TEST_P(MetadataStoreTest, SqlErrorNamesTheStoreAndTheStatementAndRollsBack) {
  auto store = OpenOrDie();
  auto model_type = store->PutArtifactType({0, "Model", {}});
  auto exec_type = store->PutExecutionType({0, "Trainer", {}});
  ASSERT_TRUE(model_type.ok() && exec_type.ok());
  Sql("DROP TABLE EventPath");
  ArtifactAndEvent out{
      .artifact = {.type_id = *model_type, .uri = "/m"},
      .event = Event{.type = Event::Type::kOutput, .path = {{std::string("model")}}}};
  auto r = store->PutExecution(
      {.type_id = *exec_type, .last_known_state = Execution::State::kComplete}, {out}, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kIOError);
  EXPECT_EQ(r.status().message().rfind(location_ + ": ", 0), 0u) << r.status().message();
  EXPECT_NE(r.status().message().find("INSERT INTO EventPath"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(Sql("SELECT count(*) FROM Execution"), "0");
  EXPECT_EQ(Sql("SELECT count(*) FROM Artifact"), "0");
  EXPECT_EQ(Sql("SELECT count(*) FROM Event"), "0");
}

// The child half of ProcessKilledInsidePutExecutionLeavesNoExecution: run in
// a process of its own (re-executed by the parent) so that EDGEPIPE_CRASH_AT
// is read fresh. Disabled: it only runs when asked for.
TEST(MetadataStoreKilledChild, DISABLED_PutExecution) {
  const char* location = std::getenv("EDGEPIPE_TEST_STORE");
  ASSERT_NE(location, nullptr);
  auto store = MetadataStore::Open(location);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto model_type = (*store)->PutArtifactType({0, "Model", {}});
  auto exec_type = (*store)->PutExecutionType({0, "Trainer", {}});
  ASSERT_TRUE(model_type.ok() && exec_type.ok());
  ArtifactAndEvent out{.artifact = {.type_id = *model_type, .uri = "/m"},
                       .event = Event{.type = Event::Type::kOutput}};
  // The third write transaction is killed just before its COMMIT.
  (void)(*store)->PutExecution(
      {.type_id = *exec_type, .last_known_state = Execution::State::kComplete}, {out}, {});
  ADD_FAILURE() << "not killed at metadata.before_commit";
}

// kill -9 in the middle of recording a COMPLETE execution: the store (file or
// server) holds none of it afterwards, and opens and takes writes again.
TEST_P(MetadataStoreTest, ProcessKilledInsidePutExecutionLeavesNoExecution) {
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::setenv("EDGEPIPE_TEST_STORE", location_.c_str(), 1);
    ::setenv("EDGEPIPE_CRASH_AT", "metadata.before_commit:3", 1);
    ::execl("/proc/self/exe", "metadata_test",
            "--gtest_filter=MetadataStoreKilledChild.DISABLED_PutExecution",
            "--gtest_also_run_disabled_tests", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  auto executions = store->GetExecutions();
  ASSERT_TRUE(executions.ok());
  EXPECT_TRUE(executions->empty());
  EXPECT_EQ(Sql("SELECT count(*) FROM Artifact"), "0");
  EXPECT_EQ(Sql("SELECT count(*) FROM Event"), "0");
  auto types = store->GetExecutionType("Trainer");  // the committed writes stay
  ASSERT_TRUE(types.ok());
  EXPECT_TRUE(store->PutExecution(Execution{.type_id = types->id}).ok());
}

}  // namespace
}  // namespace edgepipe::metadata
