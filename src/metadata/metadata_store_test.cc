#include "src/metadata/metadata_store.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

#include "src/core/files.h"
#include "tests/support/subprocess.h"

namespace edgepipe::metadata {
namespace {

using ::edgepipe::testing::RunCommand;

class MetadataStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = JoinPath(::testing::TempDir(),
                    std::string("mlmd_") +
                        ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
                        std::to_string(::getpid()));
    ASSERT_TRUE(RemoveAll(dir_).ok());
    ASSERT_TRUE(CreateDirectories(dir_).ok());
    db_ = JoinPath(dir_, "metadata.sqlite");
  }
  void TearDown() override { (void)RemoveAll(dir_); }

  std::unique_ptr<MetadataStore> OpenOrDie() {
    auto s = MetadataStore::Open(db_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }
  // Runs one SQL statement with the sqlite3 CLI and returns its trimmed output.
  std::string Sql(const std::string& sql) {
    auto r = RunCommand("sqlite3 '" + db_ + "' \"" + sql + "\"");
    EXPECT_EQ(r.exit_code, 0) << sql;
    while (!r.out.empty() && (r.out.back() == '\n' || r.out.back() == ' ')) r.out.pop_back();
    return r.out;
  }

  std::string dir_, db_;
};

TEST_F(MetadataStoreTest, NewStoreHasTheV10TablesSeenBySqliteCli) {
  { auto store = OpenOrDie(); }
  auto r = RunCommand("sqlite3 '" + db_ + "' .tables");
  ASSERT_EQ(r.exit_code, 0);
  for (const char* t :
       {"Type", "TypeProperty", "ParentType", "Artifact", "ArtifactProperty", "Execution",
        "ExecutionProperty", "Context", "ContextProperty", "ParentContext", "Event", "EventPath",
        "Association", "Attribution", "MLMDEnv"}) {
    EXPECT_NE(r.out.find(t), std::string::npos) << "missing table " << t << " in:\n" << r.out;
  }
  EXPECT_EQ(Sql("SELECT schema_version FROM MLMDEnv"), "10");
  EXPECT_EQ(Sql("PRAGMA journal_mode"), "wal");
  // MLMD's column names, checked on two tables.
  EXPECT_EQ(Sql("SELECT group_concat(name, ',') FROM pragma_table_info('Execution')"),
            "id,type_id,last_known_state,name,external_id,create_time_since_epoch,"
            "last_update_time_since_epoch");
  EXPECT_EQ(Sql("SELECT group_concat(name, ',') FROM pragma_table_info('ArtifactProperty')"),
            "artifact_id,name,is_custom_property,int_value,double_value,string_value,"
            "byte_value,proto_value,bool_value");
}

TEST_F(MetadataStoreTest, ProcessesCreatingOneNewStoreAtOnceAllSucceed) {
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
      auto store = MetadataStore::Open(db_);
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
  EXPECT_EQ(Sql("PRAGMA integrity_check"), "ok");
}

TEST_F(MetadataStoreTest, ReopenKeepsData) {
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

TEST_F(MetadataStoreTest, WrongSchemaVersionIsFailedPrecondition) {
  { auto store = OpenOrDie(); }
  Sql("UPDATE MLMDEnv SET schema_version = 7");
  auto s = MetadataStore::Open(db_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(s.status().message().find(db_), std::string::npos) << s.status().message();
  EXPECT_NE(s.status().message().find("version 7, expected 10"), std::string::npos)
      << s.status().message();
}

TEST_F(MetadataStoreTest, SqliteDatabaseThatIsNotMlmdIsFailedPrecondition) {
  Sql("CREATE TABLE users(id INTEGER)");
  auto s = MetadataStore::Open(db_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(s.status().message().find("not an ML Metadata database"), std::string::npos)
      << s.status().message();
  EXPECT_NE(s.status().message().find("users"), std::string::npos);
}

TEST_F(MetadataStoreTest, NonSqliteFileIsCorruption) {
  ASSERT_TRUE(WriteFileAtomic(db_, std::string(4096, 'x')).ok());
  auto s = MetadataStore::Open(db_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Status::Code::kCorruption);
  EXPECT_EQ(s.status().message().rfind(db_ + ": not an SQLite database", 0), 0u)
      << s.status().message();
}

TEST_F(MetadataStoreTest, MissingTableIsCorruption) {
  { auto store = OpenOrDie(); }
  Sql("DROP TABLE EventPath");
  auto s = MetadataStore::Open(db_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Status::Code::kCorruption);
  EXPECT_NE(s.status().message().find("EventPath"), std::string::npos);
}

TEST_F(MetadataStoreTest, MissingFileWithoutCreateIsNotFound) {
  auto s = MetadataStore::Open(db_, {.create_if_missing = false});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Status::Code::kNotFound);
  EXPECT_FALSE(PathExists(db_));
}

TEST_F(MetadataStoreTest, ReadOnlyStoreRefusesWrites) {
  { auto store = OpenOrDie(); }
  auto s = MetadataStore::Open(db_, {.create_if_missing = false, .read_only = true});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_FALSE((*s)->PutArtifactType({0, "Model", {}}).ok());
}

TEST_F(MetadataStoreTest, TypesAreIdempotentAndCanGainProperties) {
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

TEST_F(MetadataStoreTest, ChangingAPropertyTypeIsFailedPrecondition) {
  auto store = OpenOrDie();
  ASSERT_TRUE(store->PutArtifactType({0, "Examples", {{"span", PropertyType::kInt}}}).ok());
  auto r = store->PutArtifactType({0, "Examples", {{"span", PropertyType::kString}}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("span is stored as INT, not STRING"), std::string::npos)
      << r.status().message();
}

TEST_F(MetadataStoreTest, UnknownTypeIsNotFound) {
  auto store = OpenOrDie();
  auto r = store->GetExecutionType("Trainer");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound);
}

TEST_F(MetadataStoreTest, ArtifactRoundTripAndStoredColumns) {
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
  EXPECT_EQ(Sql("SELECT is_custom_property || '|' || int_value FROM ArtifactProperty WHERE "
                "artifact_id = " +
                sid + " AND name = 'blessed'"),
            "1|1");
  EXPECT_EQ(Sql("SELECT double_value FROM ArtifactProperty WHERE name = 'accuracy'"), "0.975");
  EXPECT_EQ(Sql("SELECT is_custom_property || '|' || string_value FROM ArtifactProperty WHERE "
                "name = 'split_names'"),
            "0|[\"train\",\"eval\"]");

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

TEST_F(MetadataStoreTest, UndeclaredPropertyIsInvalidArgument) {
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

TEST_F(MetadataStoreTest, PropertyOfWrongTypeIsInvalidArgument) {
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

TEST_F(MetadataStoreTest, ArtifactOfUnknownTypeIsNotFound) {
  auto store = OpenOrDie();
  Artifact a;
  a.type_id = 99;
  auto r = store->PutArtifact(a);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound);
}

TEST_F(MetadataStoreTest, PutExecutionWritesEverythingInOneGo) {
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
TEST_F(MetadataStoreTest, ExecutionsByContextStateAndCustomProperty) {
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

TEST_F(MetadataStoreTest, FailedPutExecutionLeavesNothingBehind) {
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

TEST_F(MetadataStoreTest, EventForMissingArtifactIsNotFound) {
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

TEST_F(MetadataStoreTest, QueriesByTypeUriContextAndParents) {
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

TEST_F(MetadataStoreTest, ThreadsShareOneStore) {
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

}  // namespace
}  // namespace edgepipe::metadata
