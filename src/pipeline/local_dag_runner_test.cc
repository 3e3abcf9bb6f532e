// Runner and cache tests: a pipeline goes in, the expected executions,
// artifacts, files and events come out.
#include "src/pipeline/local_dag_runner.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <tuple>

#include "src/core/file_lock.h"
#include "src/core/files.h"
#include "src/metadata/lineage.h"
#include "src/metadata/metadata_store.h"
#include "src/pipeline/resolver.h"
#include "tests/support/bounded_child.h"
#include "tests/support/postgres_server.h"

namespace edgepipe::pipeline {
namespace {

namespace md = ::edgepipe::metadata;
using Outcome = NodeResult::Outcome;

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = JoinPath(::testing::TempDir(),
                    "runner_" + std::to_string(::getpid()) + "_" +
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_TRUE(RemoveAll(dir_).ok());
    root_ = JoinPath(dir_, "root");
    log_enabled_ = std::getenv("EDGEPIPE_TEST_LOG") != nullptr;  // human log lines on stderr
  }
  void TearDown() override { (void)RemoveAll(dir_); }

  // A fake executor: writes data.txt into every output, naming the node and
  // the URIs it read, and sets a property or two like the real components.
  Executor Fake() {
    return [this](ExecutionContext& ctx) -> Status {
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++calls_[ctx.node_id];
      }
      std::string text = ctx.node_id + "\n";
      for (const auto& [key, arts] : *ctx.inputs) {
        for (const Artifact& a : arts) text += key + "=" + a.uri + "\n";
      }
      for (auto& [key, arts] : *ctx.outputs) {
        for (Artifact& a : arts) {
          if (!IsDirectory(a.uri)) return Status::Internal("staging folder missing: " + a.uri);
          RETURN_IF_ERROR(WriteFileAtomic(JoinPath(a.uri, "data.txt"), text));
          if (a.type_name == "Examples") a.properties["split_names"] = "[\"train\", \"eval\"]";
          if (a.type_name == "ModelBlessing") a.custom_properties["blessed"] = int64_t{1};
        }
      }
      if (!IsDirectory(ctx.tmp_dir)) return Status::Internal("tmp_dir missing");
      return Status::OK();
    };
  }

  Component Node(std::string id, std::string type, std::map<std::string, Channel> inputs,
                 std::map<std::string, std::string> outputs,
                 nlohmann::json props = nlohmann::json::object()) {
    Component c;
    c.id = std::move(id);
    c.type = std::move(type);
    c.inputs = std::move(inputs);
    c.outputs = std::move(outputs);
    c.exec_properties = std::move(props);
    c.code_fingerprint = "module-v1";
    c.executor = Fake();
    return c;
  }

  // ImportExampleGen -> {StatisticsGen, Trainer.mnist} -> Evaluator.mnist
  Pipeline Diamond() {
    Pipeline p;
    p.name = "diamond";
    p.pipeline_root = root_;
    p.metadata_path = JoinPath(dir_, "metadata.sqlite");
    Component gen = Node("ImportExampleGen", "ImportExampleGen", {}, {{"examples", "Examples"}},
                         {{"input_base", "/data/mnist"}});
    Component stats = Node("StatisticsGen", "StatisticsGen", {{"examples", gen.output("examples")}},
                           {{"statistics", "ExampleStatistics"}});
    Component trainer = Node("Trainer.mnist", "Trainer", {{"examples", gen.output("examples")}},
                             {{"model", "Model"}}, {{"train_steps", 100}, {"lr", 0.01}});
    Component eval =
        Node("Evaluator.mnist", "Evaluator",
             {{"statistics", stats.output("statistics")}, {"model", trainer.output("model")}},
             {{"evaluation", "ModelEvaluation"}, {"blessing", "ModelBlessing"}});
    p.components = {gen, stats, trainer, eval};
    return p;
  }

  RunResult RunOk(const Pipeline& p, RunOptions options = {}) {
    options.log = log_enabled_ ? stderr : nullptr;
    auto r = LocalDagRunner::Run(p, options);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : RunResult{};
  }

  static std::vector<std::pair<std::string, std::string>> Outcomes(const RunResult& r) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const NodeResult& n : r.nodes) out.push_back({n.node_id, OutcomeName(n.outcome)});
    return out;
  }

  std::unique_ptr<md::MetadataStore> Store(const Pipeline& p) {
    auto s = md::MetadataStore::Open(p.metadata_path);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }

  int Calls(const std::string& node) {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_[node];
  }

  std::string dir_, root_;
  bool log_enabled_ = false;
  std::mutex mu_;
  std::map<std::string, int> calls_;
};

using Rows = std::vector<std::pair<std::string, std::string>>;

TEST_F(RunnerTest, DiamondRunRecordsExecutionsArtifactsAndEvents) {
  Pipeline p = Diamond();
  RunResult r = RunOk(p);
  EXPECT_EQ(Outcomes(r), (Rows{{"ImportExampleGen", "executed"},
                               {"StatisticsGen", "executed"},
                               {"Trainer.mnist", "executed"},
                               {"Evaluator.mnist", "executed"}}));
  EXPECT_TRUE(r.status().ok());

  auto store = Store(p);
  ASSERT_TRUE(store);
  // Executions: one COMPLETE per node, typed by component, in run r.
  auto execs = md::ListExecutions(*store, r.run_id);
  ASSERT_TRUE(execs.ok());
  std::vector<std::tuple<std::string, std::string, std::string>> exec_rows;
  for (const auto& e : *execs) {
    exec_rows.push_back({e.node_id, md::ExecutionStateName(e.state), e.type});
    EXPECT_EQ(e.pipeline_name, "diamond");
    EXPECT_EQ(e.custom_properties.count("cache_key"), 1u);
  }
  std::sort(exec_rows.begin(), exec_rows.end());
  EXPECT_EQ(exec_rows, (std::vector<std::tuple<std::string, std::string, std::string>>{
                           {"Evaluator.mnist", "COMPLETE", "edgepipe.components.Evaluator"},
                           {"ImportExampleGen", "COMPLETE", "edgepipe.components.ImportExampleGen"},
                           {"StatisticsGen", "COMPLETE", "edgepipe.components.StatisticsGen"},
                           {"Trainer.mnist", "COMPLETE", "edgepipe.components.Trainer"}}));

  // Artifacts: LIVE, at <root>/<node>/<key>/<execution id>, with the files.
  auto arts = md::ListArtifacts(*store);
  ASSERT_TRUE(arts.ok());
  std::vector<std::tuple<std::string, std::string, std::string>> art_rows;
  for (const auto& a : *arts) {
    art_rows.push_back({a.producer_node, a.output_key, a.type});
    EXPECT_EQ(a.state, md::Artifact::State::kLive);
    EXPECT_EQ(a.uri, JoinPath(JoinPath(JoinPath(root_, a.producer_node), a.output_key),
                              std::to_string(a.producer_execution_id)));
    auto text = ReadFile(JoinPath(a.uri, "data.txt"));
    ASSERT_TRUE(text.ok()) << a.uri;
    EXPECT_EQ(text->substr(0, a.producer_node.size() + 1), a.producer_node + "\n");
  }
  std::sort(art_rows.begin(), art_rows.end());
  EXPECT_EQ(art_rows, (std::vector<std::tuple<std::string, std::string, std::string>>{
                          {"Evaluator.mnist", "blessing", "ModelBlessing"},
                          {"Evaluator.mnist", "evaluation", "ModelEvaluation"},
                          {"ImportExampleGen", "examples", "Examples"},
                          {"StatisticsGen", "statistics", "ExampleStatistics"},
                          {"Trainer.mnist", "model", "Model"}}));

  // The run result carries the same published artifacts, with properties.
  const NodeResult* gen = r.node("ImportExampleGen");
  ASSERT_TRUE(gen);
  const Artifact& examples = gen->outputs.at("examples").at(0);
  EXPECT_GT(examples.id, 0);
  EXPECT_EQ(std::get<std::string>(examples.properties.at("split_names")), "[\"train\", \"eval\"]");
  const Artifact& blessing = r.node("Evaluator.mnist")->outputs.at("blessing").at(0);
  EXPECT_EQ(std::get<int64_t>(blessing.custom_properties.at("blessed")), 1);
  auto stored_examples = store->GetArtifactsByID({examples.id});
  ASSERT_TRUE(stored_examples.ok() && stored_examples->size() == 1);
  EXPECT_EQ(stored_examples->front().properties, examples.properties);

  // Events: the Evaluator read exactly the statistics and the model.
  const NodeResult* eval = r.node("Evaluator.mnist");
  auto events = store->GetEventsByExecutionIDs({eval->execution_id});
  ASSERT_TRUE(events.ok());
  std::vector<std::tuple<std::string, std::string, int64_t>> event_rows;
  for (const auto& e : *events) {
    event_rows.push_back(
        {md::EventTypeName(e.type), std::get<std::string>(e.path.at(0).value), e.artifact_id});
  }
  std::sort(event_rows.begin(), event_rows.end());
  EXPECT_EQ(event_rows,
            (std::vector<std::tuple<std::string, std::string, int64_t>>{
                {"INPUT", "model", r.node("Trainer.mnist")->outputs.at("model")[0].id},
                {"INPUT", "statistics", r.node("StatisticsGen")->outputs.at("statistics")[0].id},
                {"OUTPUT", "blessing", eval->outputs.at("blessing")[0].id},
                {"OUTPUT", "evaluation", eval->outputs.at("evaluation")[0].id}}));

  // Contexts as TFX: pipeline, run and node contexts, run and node under the pipeline.
  auto node_ctx = store->GetContextByTypeAndName("node", "diamond.Trainer.mnist");
  ASSERT_TRUE(node_ctx.ok() && node_ctx->has_value());
  auto parents = store->GetParentContextsByContext((*node_ctx)->id);
  ASSERT_TRUE(parents.ok() && parents->size() == 1);
  EXPECT_EQ(parents->front().type, "pipeline");
  EXPECT_EQ(parents->front().name, "diamond");
  auto runs = md::ListRuns(*store);
  ASSERT_TRUE(runs.ok() && runs->size() == 1);
  EXPECT_EQ(runs->front().run_id, r.run_id);
  EXPECT_EQ(runs->front().executions_by_state, (std::map<std::string, int>{{"COMPLETE", 4}}));

  // No staging left anywhere.
  for (const Component& c : p.components) {
    EXPECT_FALSE(PathExists(JoinPath(JoinPath(root_, c.id), ".temp"))) << c.id;
  }
}

TEST_F(RunnerTest, SecondIdenticalRunIsAllCached) {
  Pipeline p = Diamond();
  RunResult first = RunOk(p);
  RunResult second = RunOk(p);
  EXPECT_NE(first.run_id, second.run_id);
  EXPECT_EQ(Outcomes(second), (Rows{{"ImportExampleGen", "cached"},
                                    {"StatisticsGen", "cached"},
                                    {"Trainer.mnist", "cached"},
                                    {"Evaluator.mnist", "cached"}}));
  for (const Component& c : p.components) EXPECT_EQ(Calls(c.id), 1) << c.id;
  // Same artifacts (ids and URIs), none new.
  for (size_t i = 0; i < first.nodes.size(); ++i) {
    for (const auto& [key, arts] : first.nodes[i].outputs) {
      ASSERT_EQ(second.nodes[i].outputs.at(key).size(), 1u);
      EXPECT_EQ(second.nodes[i].outputs.at(key)[0].id, arts[0].id);
      EXPECT_EQ(second.nodes[i].outputs.at(key)[0].uri, arts[0].uri);
      EXPECT_EQ(second.nodes[i].outputs.at(key)[0].properties, arts[0].properties);
    }
    EXPECT_NE(second.nodes[i].execution_id, first.nodes[i].execution_id);
  }
  auto store = Store(p);
  auto arts = store->GetArtifacts();
  ASSERT_TRUE(arts.ok());
  EXPECT_EQ(arts->size(), 5u);
  auto runs = md::ListRuns(*store);
  ASSERT_TRUE(runs.ok() && runs->size() == 2);
  EXPECT_EQ((*runs)[1].executions_by_state, (std::map<std::string, int>{{"CACHED", 4}}));
  // A CACHED execution links the old outputs with OUTPUT events.
  const NodeResult* t = second.node("Trainer.mnist");
  auto events = store->GetEventsByExecutionIDs({t->execution_id});
  ASSERT_TRUE(events.ok());
  std::vector<std::pair<std::string, int64_t>> rows;
  for (const auto& e : *events) rows.push_back({md::EventTypeName(e.type), e.artifact_id});
  std::sort(rows.begin(), rows.end());
  EXPECT_EQ(rows, (std::vector<std::pair<std::string, int64_t>>{
                      {"INPUT", first.node("ImportExampleGen")->outputs.at("examples")[0].id},
                      {"OUTPUT", first.node("Trainer.mnist")->outputs.at("model")[0].id}}));
}

TEST_F(RunnerTest, ChangedExecPropertyReExecutesThatNodeAndDownstreamOnly) {
  Pipeline p = Diamond();
  RunResult first = RunOk(p);
  p.components[2].exec_properties["train_steps"] = 200;
  RunResult second = RunOk(p);
  EXPECT_EQ(Outcomes(second), (Rows{{"ImportExampleGen", "cached"},
                                    {"StatisticsGen", "cached"},
                                    {"Trainer.mnist", "executed"},
                                    {"Evaluator.mnist", "executed"}}));
  EXPECT_NE(second.node("Trainer.mnist")->outputs.at("model")[0].uri,
            first.node("Trainer.mnist")->outputs.at("model")[0].uri);
  // The old model stays LIVE and in place; a third run with the old value
  // reuses it.
  p.components[2].exec_properties["train_steps"] = 100;
  RunResult third = RunOk(p);
  EXPECT_EQ(Outcomes(third), (Rows{{"ImportExampleGen", "cached"},
                                   {"StatisticsGen", "cached"},
                                   {"Trainer.mnist", "cached"},
                                   {"Evaluator.mnist", "cached"}}));
  EXPECT_EQ(third.node("Trainer.mnist")->outputs.at("model")[0].id,
            first.node("Trainer.mnist")->outputs.at("model")[0].id);
}

TEST_F(RunnerTest, CodeFingerprintIsPartOfTheCacheKey) {
  Pipeline p = Diamond();
  RunOk(p);
  p.components[1].code_fingerprint = "module-v2";
  RunResult second = RunOk(p);
  EXPECT_EQ(Outcomes(second), (Rows{{"ImportExampleGen", "cached"},
                                    {"StatisticsGen", "executed"},
                                    {"Trainer.mnist", "cached"},
                                    {"Evaluator.mnist", "executed"}}));
}

TEST_F(RunnerTest, DisabledCacheExecutesEverything) {
  Pipeline p = Diamond();
  RunOk(p);
  p.enable_cache = false;
  RunResult second = RunOk(p);
  for (const NodeResult& n : second.nodes) EXPECT_EQ(n.outcome, Outcome::kExecuted) << n.node_id;
}

TEST_F(RunnerTest, OutputDeletedFromDiskIsNotReused) {
  Pipeline p = Diamond();
  RunResult first = RunOk(p);
  ASSERT_TRUE(RemoveAll(first.node("StatisticsGen")->outputs.at("statistics")[0].uri).ok());
  RunResult second = RunOk(p);
  EXPECT_EQ(Outcomes(second), (Rows{{"ImportExampleGen", "cached"},
                                    {"StatisticsGen", "executed"},
                                    {"Trainer.mnist", "cached"},
                                    {"Evaluator.mnist", "executed"}}));
}

TEST_F(RunnerTest, FailingExecutorFailsNodeAndSkipsDownstream) {
  Pipeline p = Diamond();
  std::string staged;
  p.components[2].executor = [&staged](ExecutionContext& ctx) -> Status {
    staged = ctx.outputs->at("model")[0].uri;
    (void)WriteFileAtomic(JoinPath(staged, "half_written"), "x");
    return Status::InvalidArgument("learning rate must be positive");
  };
  RunResult r = RunOk(p);
  EXPECT_EQ(Outcomes(r), (Rows{{"ImportExampleGen", "executed"},
                               {"StatisticsGen", "executed"},
                               {"Trainer.mnist", "failed"},
                               {"Evaluator.mnist", "skipped"}}));
  const NodeResult* t = r.node("Trainer.mnist");
  EXPECT_EQ(t->status.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(t->status.message(), "learning rate must be positive");
  EXPECT_FALSE(r.status().ok());
  EXPECT_NE(r.status().message().find("Trainer.mnist"), std::string::npos);
  EXPECT_EQ(r.node("Evaluator.mnist")->execution_id, 0);

  EXPECT_FALSE(staged.empty());
  EXPECT_FALSE(PathExists(staged));
  EXPECT_FALSE(PathExists(JoinPath(JoinPath(root_, "Trainer.mnist"), ".temp")));
  EXPECT_FALSE(PathExists(JoinPath(JoinPath(root_, "Trainer.mnist"), "model")));

  auto store = Store(p);
  auto models = store->GetArtifactsByType("Model");
  ASSERT_TRUE(models.ok());
  EXPECT_TRUE(models->empty());
  auto execs = store->GetExecutionsByID({t->execution_id});
  ASSERT_TRUE(execs.ok() && execs->size() == 1);
  EXPECT_EQ(execs->front().last_known_state, md::Execution::State::kFailed);
  EXPECT_EQ(std::get<std::string>(execs->front().custom_properties.at("error_message")),
            "Invalid argument: learning rate must be positive");
  auto evaluator = store->GetExecutionsByType("edgepipe.components.Evaluator");
  ASSERT_TRUE(evaluator.ok());
  EXPECT_TRUE(evaluator->empty());

  // A fixed executor then runs it; the upstream stays cached.
  p.components[2].executor = Fake();
  RunResult again = RunOk(p);
  EXPECT_EQ(Outcomes(again), (Rows{{"ImportExampleGen", "cached"},
                                   {"StatisticsGen", "cached"},
                                   {"Trainer.mnist", "executed"},
                                   {"Evaluator.mnist", "executed"}}));
}

TEST_F(RunnerTest, ThrowingExecutorIsAFailureNotACrash) {
  Pipeline p = Diamond();
  p.components[0].executor = [](ExecutionContext&) -> Status {
    throw std::runtime_error("disk on fire");
  };
  RunResult r = RunOk(p);
  EXPECT_EQ(Outcomes(r), (Rows{{"ImportExampleGen", "failed"},
                               {"StatisticsGen", "skipped"},
                               {"Trainer.mnist", "skipped"},
                               {"Evaluator.mnist", "skipped"}}));
  EXPECT_EQ(r.node("ImportExampleGen")->status.message(), "executor threw: disk on fire");
}

TEST_F(RunnerTest, ExecutorMayNotReplaceOutputs) {
  Pipeline p = Diamond();
  p.components[0].executor = [](ExecutionContext& ctx) -> Status {
    ctx.outputs->at("examples")[0].uri = "/etc";
    return Status::OK();
  };
  RunResult r = RunOk(p);
  EXPECT_EQ(r.node("ImportExampleGen")->outcome, Outcome::kFailed);
  EXPECT_NE(r.node("ImportExampleGen")->status.message().find("replaced output 'examples'"),
            std::string::npos);
}

// Rendezvous of N threads; false if the others did not come within the timeout.
class Barrier {
 public:
  bool Arrive(int n, std::chrono::seconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    ++count_;
    cv_.notify_all();
    return cv_.wait_for(lock, timeout, [&] { return count_ >= n; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int count_ = 0;
};

TEST_F(RunnerTest, IndependentNodesRunConcurrently) {
  Pipeline p = Diamond();
  Barrier barrier;
  // StatisticsGen and Trainer only depend on ImportExampleGen: each waits for
  // the other inside its executor, which succeeds only if they overlap.
  for (int i : {1, 2}) {
    Executor inner = p.components[i].executor;
    p.components[i].executor = [inner, &barrier](ExecutionContext& ctx) -> Status {
      if (!barrier.Arrive(2, std::chrono::seconds(30))) {
        return Status::FailedPrecondition("the other node never ran alongside");
      }
      return inner(ctx);
    };
  }
  RunResult r = RunOk(p, {.max_parallel_nodes = 2});
  EXPECT_TRUE(r.status().ok()) << r.status().ToString();
}

TEST_F(RunnerTest, MaxParallelNodesOneRunsOneAtATime) {
  Pipeline p;
  p.name = "wide";
  p.pipeline_root = root_;
  std::atomic<int> running{0}, peak{0};
  for (const char* id : {"A", "B", "C", "D"}) {
    Component c = Node(id, "Leaf", {}, {{"out", "Examples"}});
    Executor inner = c.executor;
    c.executor = [inner, &running, &peak](ExecutionContext& ctx) -> Status {
      int now = ++running;
      int seen = peak.load();
      while (now > seen && !peak.compare_exchange_weak(seen, now)) {
      }
      Status st = inner(ctx);
      --running;
      return st;
    };
    p.components.push_back(c);
  }
  RunResult r = RunOk(p, {.max_parallel_nodes = 1});
  EXPECT_TRUE(r.status().ok());
  EXPECT_EQ(peak.load(), 1);
  EXPECT_TRUE(PathExists(JoinPath(root_, "metadata.sqlite")));  // the default store
}

// Threads the OS refuses (as under `ulimit -u`; here a seccomp filter in a
// child) only cost parallelism: the run completes on the calling thread, says
// so in its log, and never aborts.
TEST_F(RunnerTest, ThreadsTheOsRefusesDoNotAbortTheRun) {
  Pipeline p;
  p.name = "wide";
  p.pipeline_root = root_;
  for (int i = 0; i < 8; ++i) {
    p.components.push_back(Node("N" + std::to_string(i), "Leaf", {}, {{"out", "Examples"}}));
  }
  const std::string log_path = JoinPath(dir_, "log.txt");
  ASSERT_TRUE(CreateDirectories(dir_).ok());
  testing::ChildResult child = testing::RunBoundedChild(
      [&] {
        if (!testing::DenyNewThreads()) return 77;
        FILE* log = std::fopen(log_path.c_str(), "w");
        auto r = LocalDagRunner::Run(p, {.max_parallel_nodes = 8, .log = log});
        std::fclose(log);
        if (!r.ok()) return 2;
        for (const NodeResult& n : r->nodes) {
          if (n.outcome != Outcome::kExecuted) return 3;
        }
        return static_cast<int>(r->nodes.size()) == 8 ? 0 : 4;
      },
      /*headroom_bytes=*/uint64_t{1} << 30);
  if (child.exit_code == 77) GTEST_SKIP() << "seccomp unavailable";
  EXPECT_EQ(child.exit_code, 0);
  auto log = ReadFile(log_path);
  ASSERT_TRUE(log.ok());
  EXPECT_NE(log->find("[wide] running 1 node(s) at a time instead of 8: cannot start a thread: "),
            std::string::npos)
      << *log;
}

TEST_F(RunnerTest, KilledRunLeavesNothingTrustedAndIsRecovered) {
  Pipeline p = Diamond();
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Child: the Trainer dies by SIGKILL halfway through writing its model.
    Pipeline killed = p;
    killed.components[2].executor = [](ExecutionContext& ctx) -> Status {
      (void)WriteFileAtomic(JoinPath(ctx.outputs->at("model")[0].uri, "partial"), "x");
      ::raise(SIGKILL);
      return Status::OK();
    };
    (void)LocalDagRunner::Run(killed, {.max_parallel_nodes = 1, .log = nullptr});
    ::_exit(0);
  }
  int wstatus = 0;
  ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL);

  const std::string trainer_dir = JoinPath(root_, "Trainer.mnist");
  {
    auto store = Store(p);
    auto execs = store->GetExecutionsByType("edgepipe.components.Trainer");
    ASSERT_TRUE(execs.ok());
    ASSERT_EQ(execs->size(), 1u);
    EXPECT_EQ(execs->front().last_known_state, md::Execution::State::kRunning);
    auto models = store->GetArtifactsByType("Model");
    ASSERT_TRUE(models.ok());
    EXPECT_TRUE(models->empty());
    EXPECT_FALSE(PathExists(JoinPath(trainer_dir, "model")));
    EXPECT_TRUE(PathExists(
        JoinPath(trainer_dir, ".temp/" + std::to_string(execs->front().id) + "/model/partial")));
  }
  RunResult r = RunOk(p);
  EXPECT_EQ(Outcomes(r), (Rows{{"ImportExampleGen", "cached"},
                               {"StatisticsGen", "cached"},
                               {"Trainer.mnist", "executed"},
                               {"Evaluator.mnist", "executed"}}));
  EXPECT_FALSE(PathExists(JoinPath(trainer_dir, ".temp")));
  EXPECT_TRUE(
      PathExists(JoinPath(r.node("Trainer.mnist")->outputs.at("model")[0].uri, "data.txt")));
  // The dead run's execution no longer claims to be RUNNING.
  auto store = Store(p);
  auto execs = store->GetExecutionsByType("edgepipe.components.Trainer");
  ASSERT_TRUE(execs.ok());
  ASSERT_EQ(execs->size(), 2u);
  EXPECT_EQ(execs->front().last_known_state, md::Execution::State::kFailed);
  EXPECT_NE(std::get<std::string>(execs->front().custom_properties.at("error_message"))
                .find("abandoned: the process running it died"),
            std::string::npos);
  EXPECT_EQ(execs->back().last_known_state, md::Execution::State::kComplete);
}

// The same runner on a store on a PostgreSQL server (the tests' own): a run
// killed mid-Trainer leaves RUNNING behind, the next run marks it FAILED and
// re-executes, a third is all cached; the server holds the store's run lock.
TEST_F(RunnerTest, PostgresStoreRecoversAKilledRunCachesAndLocks) {
  auto server = ::edgepipe::testing::PostgresTestServer::Shared();
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  Pipeline p = Diamond();
  auto uri = (*server)->CreateDatabase("runner_" + std::to_string(::getpid()));
  ASSERT_TRUE(uri.ok()) << uri.status().ToString();
  p.metadata_path = *uri;
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    Pipeline killed = p;
    killed.components[2].executor = [](ExecutionContext&) -> Status {
      ::raise(SIGKILL);
      return Status::OK();
    };
    (void)LocalDagRunner::Run(killed, {.max_parallel_nodes = 1, .log = nullptr});
    ::_exit(0);
  }
  int wstatus = 0;
  ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL);

  RunResult rerun = RunOk(p);
  EXPECT_EQ(Outcomes(rerun), (Rows{{"ImportExampleGen", "cached"},
                                   {"StatisticsGen", "cached"},
                                   {"Trainer.mnist", "executed"},
                                   {"Evaluator.mnist", "executed"}}));
  {
    auto store = Store(p);
    ASSERT_NE(store, nullptr);
    auto execs = store->GetExecutionsByType("edgepipe.components.Trainer");
    ASSERT_TRUE(execs.ok());
    ASSERT_EQ(execs->size(), 2u);
    EXPECT_EQ(execs->front().last_known_state, md::Execution::State::kFailed);
    EXPECT_EQ(execs->back().last_known_state, md::Execution::State::kComplete);
  }
  RunResult cached = RunOk(p);
  for (const NodeResult& n : cached.nodes) EXPECT_EQ(OutcomeName(n.outcome), std::string("cached"));

  auto holder = md::MetadataStore::Open(p.metadata_path);
  ASSERT_TRUE(holder.ok());
  ASSERT_TRUE((*holder)->HoldRunLock(false, nullptr).ok());
  auto refused = LocalDagRunner::Run(p, {.log = nullptr, .wait_for_lock = false});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("held by another run (pid "), std::string::npos)
      << refused.status().message();
  holder->reset();  // the server releases the lock with the connection
  RunOk(p);
}

// A node that publishes a folder outside the root, as the Pusher does:
// serving/<n> where n counts its executions.
Component PublishingNode(const std::string& serving,
                         std::function<void(const std::string&)> after_staging) {
  Component c;
  c.id = "Pusher";
  c.type = "Pusher";
  c.outputs = {{"pushed_model", "PushedModel"}};
  c.executor = [serving, after_staging](ExecutionContext& ctx) -> Status {
    RETURN_IF_ERROR(CreateDirectories(serving));
    std::string destination = JoinPath(serving, "1");
    std::string staged = JoinPath(serving, ".1.incomplete-" + std::to_string(ctx.execution_id));
    RETURN_IF_ERROR(ctx.PublishOnCommit(staged, destination));
    RETURN_IF_ERROR(CreateDirectories(staged));
    RETURN_IF_ERROR(WriteFileAtomic(JoinPath(staged, "model"), "weights"));
    if (after_staging) after_staging(destination);
    return WriteFileAtomic(JoinPath(ctx.outputs->at("pushed_model")[0].uri, "model"), "weights");
  };
  return c;
}

TEST_F(RunnerTest, KilledPublishIsRolledBackAndTheRerunPublishesOnce) {
  const std::string serving = JoinPath(dir_, "serving");
  Pipeline p;
  p.name = "push";
  p.pipeline_root = root_;
  p.metadata_path = JoinPath(dir_, "metadata.sqlite");
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    Pipeline killed = p;
    killed.components = {PublishingNode(serving, [](const std::string&) { ::raise(SIGKILL); })};
    (void)LocalDagRunner::Run(killed, {.log = nullptr});
    ::_exit(0);
  }
  int wstatus = 0;
  ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(wstatus));
  auto left = ListDirectory(serving);
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1u);  // the dead run's staging folder
  EXPECT_TRUE(left->front().starts_with(".1.incomplete-"));

  p.components = {PublishingNode(serving, nullptr)};
  RunResult r = RunOk(p);
  ASSERT_EQ(r.node("Pusher")->outcome, Outcome::kExecuted);
  auto names = ListDirectory(serving);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, std::vector<std::string>{"1"});  // one version, no staging
  auto store = Store(p);
  auto execs = store->GetExecutionsByType("edgepipe.components.Pusher");
  ASSERT_TRUE(execs.ok());
  ASSERT_EQ(execs->size(), 2u);
  EXPECT_EQ(execs->at(0).last_known_state, md::Execution::State::kFailed);
  EXPECT_EQ(execs->at(1).last_known_state, md::Execution::State::kComplete);
}

// A process being stopped (the CLI's termination watch on SIGTERM) records
// the running execution FAILED from another thread while the executor runs:
// its staged publish is rolled back, the run then publishes nothing more,
// and the next run finds nothing abandoned and publishes once.
TEST_F(RunnerTest, FailRunningExecutionsRecordsTheStopAtOnceAndTheRunPublishesNothing) {
  const std::string serving = JoinPath(dir_, "serving");
  Pipeline p;
  p.name = "push";
  p.pipeline_root = root_;
  p.metadata_path = JoinPath(dir_, "metadata.sqlite");
  StatusOr<int> failed = 0;
  std::vector<md::Execution> seen;  // the store as the watch left it
  p.components = {PublishingNode(serving, [&](const std::string&) {
    std::thread watch([&] {
      failed = FailRunningExecutions("terminated: the test stopped it");
      auto store = md::MetadataStore::Open(p.metadata_path);
      auto execs = store.ok() ? (*store)->GetExecutionsByType("edgepipe.components.Pusher")
                              : StatusOr<std::vector<md::Execution>>(store.status());
      if (execs.ok()) seen = *execs;
    });
    watch.join();
  })};
  RunResult r = RunOk(p);
  ASSERT_TRUE(failed.ok()) << failed.status().ToString();
  EXPECT_EQ(*failed, 1);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].last_known_state, md::Execution::State::kFailed);
  EXPECT_EQ(std::get<std::string>(seen[0].custom_properties.at("error_message")),
            "terminated: the test stopped it");
  // The run went on to its publish step, which was refused.
  ASSERT_EQ(r.node("Pusher")->outcome, Outcome::kFailed);
  EXPECT_NE(r.node("Pusher")->status.message().find("the process is being stopped"),
            std::string::npos)
      << r.node("Pusher")->status.ToString();
  auto left = ListDirectory(serving);
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->empty());  // the staged version was rolled back
  EXPECT_FALSE(PathExists(JoinPath(root_, "Pusher/pushed_model")));
  auto store = Store(p);
  auto execs = store->GetExecutionsByType("edgepipe.components.Pusher");
  ASSERT_TRUE(execs.ok());
  ASSERT_EQ(execs->size(), 1u);  // the runner did not overwrite the watch's record
  EXPECT_EQ(std::get<std::string>(execs->at(0).custom_properties.at("error_message")),
            "terminated: the test stopped it");
  store.reset();
  // Nothing is running any more.
  auto again = FailRunningExecutions("terminated again");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0);

  p.components = {PublishingNode(serving, nullptr)};
  RunResult rerun = RunOk(p);
  ASSERT_EQ(rerun.node("Pusher")->outcome, Outcome::kExecuted);
  auto names = ListDirectory(serving);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, std::vector<std::string>{"1"});
  store = Store(p);
  execs = store->GetExecutionsByType("edgepipe.components.Pusher");
  ASSERT_TRUE(execs.ok());
  ASSERT_EQ(execs->size(), 2u);
  EXPECT_EQ(std::get<std::string>(execs->at(0).custom_properties.at("error_message")),
            "terminated: the test stopped it");  // not re-marked "abandoned"
  EXPECT_EQ(execs->at(1).last_known_state, md::Execution::State::kComplete);
}

TEST_F(RunnerTest, PublishThatCannotBeMadeFailsTheNodeAndLeavesNoStaging) {
  const std::string serving = JoinPath(dir_, "serving");
  Pipeline p;
  p.name = "push";
  p.pipeline_root = root_;
  p.metadata_path = JoinPath(dir_, "metadata.sqlite");
  // Someone else creates the version while the node stages it: the no-replace
  // rename refuses, the node fails, and the other's folder is left alone.
  p.components = {PublishingNode(serving, [](const std::string& destination) {
    EXPECT_TRUE(CreateDirectories(destination).ok());
    EXPECT_TRUE(WriteFileAtomic(JoinPath(destination, "theirs"), "x").ok());
  })};
  auto r = LocalDagRunner::Run(p, {.log = nullptr});
  ASSERT_TRUE(r.ok());
  const NodeResult* pusher = r->node("Pusher");
  ASSERT_EQ(pusher->outcome, Outcome::kFailed);
  EXPECT_NE(pusher->status.message().find("already exists"), std::string::npos)
      << pusher->status.ToString();
  auto names = ListDirectory(serving);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, std::vector<std::string>{"1"});
  EXPECT_TRUE(PathExists(JoinPath(serving, "1/theirs")));
  EXPECT_FALSE(PathExists(JoinPath(serving, "1/model")));
}

TEST_F(RunnerTest, SecondRunWithoutWaitingFailsWhileTheFirstHoldsTheRoot) {
  Pipeline p = Diamond();
  ASSERT_TRUE(CreateDirectories(root_).ok());
  auto held = FileLock::Acquire(JoinPath(root_, ".edgepipe.lock"), FileLock::Wait::kFail);
  ASSERT_TRUE(held.ok());
  auto r = LocalDagRunner::Run(p, {.log = nullptr, .wait_for_lock = false});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(r.status().message().find(JoinPath(root_, ".edgepipe.lock")), std::string::npos)
      << r.status().ToString();
  // Nothing was recorded or deleted by the refused run.
  EXPECT_FALSE(PathExists(p.metadata_path));
}

TEST_F(RunnerTest, SecondRunOnTheSameStoreWaitsAndSaysSo) {
  Pipeline p = Diamond();
  ASSERT_TRUE(CreateDirectories(dir_).ok());
  auto held = FileLock::Acquire(p.metadata_path + ".lock", FileLock::Wait::kFail);
  ASSERT_TRUE(held.ok());
  const std::string log_path = JoinPath(dir_, "log.txt");
  FILE* log = std::fopen(log_path.c_str(), "w");
  ASSERT_NE(log, nullptr);
  std::atomic<bool> done{false};
  StatusOr<RunResult> result = Status::Internal("not run");
  std::thread second([&] {
    result = LocalDagRunner::Run(p, {.log = log});
    done = true;
  });
  auto said_waiting = [&] {
    auto text = ReadFile(log_path);
    return text.ok() &&
           text->find("waiting for the run that holds metadata store") != std::string::npos;
  };
  while (!said_waiting()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_FALSE(done);
  held->reset();
  second.join();
  std::fclose(log);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(result->status().ok());
}

TEST_F(RunnerTest, LogLinesNameNodesAndExecutions) {
  Pipeline p = Diamond();
  char* buf = nullptr;
  size_t len = 0;
  FILE* mem = ::open_memstream(&buf, &len);
  ASSERT_TRUE(mem);
  auto r = LocalDagRunner::Run(p, {.log = mem});
  auto r2 = LocalDagRunner::Run(p, {.log = mem});
  std::fclose(mem);
  std::string log(buf, len);
  std::free(buf);
  ASSERT_TRUE(r.ok() && r2.ok());
  const int64_t e = r->node("Trainer.mnist")->execution_id;
  EXPECT_NE(log.find("[Trainer.mnist] executing (execution " + std::to_string(e) + ")"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("[Trainer.mnist] done in "), std::string::npos) << log;
  EXPECT_NE(log.find("[Trainer.mnist] cached (execution " +
                     std::to_string(r2->node("Trainer.mnist")->execution_id) +
                     ", outputs of execution " + std::to_string(e) + ")"),
            std::string::npos)
      << log;
}

// ---- validation -------------------------------------------------------------

struct BadPipelineCase {
  const char* name;
  std::function<void(Pipeline&)> edit;
  const char* message;
};

TEST_F(RunnerTest, InvalidPipelinesAreRejectedBeforeAnythingRuns) {
  const std::vector<BadPipelineCase> cases = {
      {"duplicate id", [](Pipeline& p) { p.components[3].id = "Trainer.mnist"; },
       "duplicate node id 'Trainer.mnist'"},
      {"unknown producer",
       [](Pipeline& p) { p.components[3].inputs["model"].producer_node = "Trainer.lite"; },
       "node 'Evaluator.mnist': input 'model' refers to unknown node 'Trainer.lite'"},
      {"unknown output key",
       [](Pipeline& p) { p.components[3].inputs["model"].output_key = "models"; },
       "input 'model' refers to output 'models' which node 'Trainer.mnist' does not declare"},
      {"wrong type", [](Pipeline& p) { p.components[3].inputs["model"].type_name = "PushedModel"; },
       "input 'model' expects artifact type 'PushedModel' but 'Trainer.mnist.model' produces "
       "'Model'"},
      {"cycle",
       [](Pipeline& p) { p.components[0].inputs["blessing"] = p.components[3].output("blessing"); },
       "dependency cycle among nodes 'ImportExampleGen', 'StatisticsGen', 'Trainer.mnist', "
       "'Evaluator.mnist'"},
      {"no executor", [](Pipeline& p) { p.components[1].executor = nullptr; },
       "node 'StatisticsGen' has no executor"},
      {"unsafe id", [](Pipeline& p) { p.components[1].id = "../x"; }, "node id '../x' must be"},
      {"reserved exec property",
       [](Pipeline& p) { p.components[1].exec_properties["run_id"] = "x"; },
       "exec property 'run_id' is reserved"},
  };
  for (const BadPipelineCase& c : cases) {
    Pipeline p = Diamond();
    c.edit(p);
    auto r = LocalDagRunner::Run(p, {.log = nullptr});
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << c.name;
    EXPECT_NE(r.status().message().find(c.message), std::string::npos)
        << c.name << ": " << r.status().message();
    EXPECT_FALSE(PathExists(root_)) << c.name;
  }
}

TEST_F(RunnerTest, StoreThatIsNotMlmdIsAPipelineLevelError) {
  Pipeline p = Diamond();
  ASSERT_TRUE(CreateDirectories(dir_).ok());
  ASSERT_TRUE(WriteFileAtomic(p.metadata_path, std::string(2048, 'z')).ok());
  auto r = LocalDagRunner::Run(p, {.log = nullptr});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kCorruption);
  EXPECT_EQ(Calls("ImportExampleGen"), 0);
}

TEST_F(RunnerTest, ExplicitRunIdIsUsedOnce) {
  Pipeline p = Diamond();
  RunResult r = RunOk(p, {.run_id = "nightly-1"});
  EXPECT_EQ(r.run_id, "nightly-1");
  auto again = LocalDagRunner::Run(p, {.log = nullptr, .run_id = "nightly-1"});
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("run id 'nightly-1' is already used"), std::string::npos);
}

TEST_F(RunnerTest, TopologicalOrderIsStable) {
  Pipeline p = Diamond();
  std::swap(p.components[0], p.components[3]);  // Evaluator first, ImportExampleGen last
  auto order = TopologicalOrder(p);
  ASSERT_TRUE(order.ok());
  std::vector<std::string> ids;
  for (size_t i : *order) ids.push_back(p.components[i].id);
  EXPECT_EQ(ids, (std::vector<std::string>{"ImportExampleGen", "StatisticsGen", "Trainer.mnist",
                                           "Evaluator.mnist"}));
}

TEST(CacheKeyTest, DependsOnEveryIngredient) {
  Component c;
  c.id = "Trainer";
  c.type = "Trainer";
  c.exec_properties = {{"a", 1}, {"b", "x"}};
  c.code_fingerprint = "f";
  ArtifactMap in = {{"examples", {Artifact{.id = 3, .uri = "/r/e/3"}}}};
  const std::string base = ComputeCacheKey(c, in);
  EXPECT_EQ(base.size(), 64u);
  EXPECT_EQ(ComputeCacheKey(c, in), base);
  Component reordered = c;
  reordered.exec_properties = nlohmann::json::parse(R"({"b": "x", "a": 1})");
  EXPECT_EQ(ComputeCacheKey(reordered, in), base);  // canonical JSON
  auto differs = [&](auto edit) {
    Component c2 = c;
    ArtifactMap in2 = in;
    edit(c2, in2);
    return ComputeCacheKey(c2, in2) != base;
  };
  EXPECT_TRUE(differs([](Component& x, ArtifactMap&) { x.id = "Trainer2"; }));
  EXPECT_TRUE(differs([](Component& x, ArtifactMap&) { x.type = "Tuner"; }));
  EXPECT_TRUE(differs([](Component& x, ArtifactMap&) { x.exec_properties["a"] = 2; }));
  EXPECT_TRUE(differs([](Component& x, ArtifactMap&) { x.code_fingerprint = "g"; }));
  EXPECT_TRUE(differs([](Component&, ArtifactMap& m) { m["examples"][0].id = 4; }));
  EXPECT_TRUE(differs([](Component&, ArtifactMap& m) { m["examples"][0].uri = "/r/e/4"; }));
  EXPECT_TRUE(differs([](Component&, ArtifactMap& m) { m["schema"] = {}; }));
}

}  // namespace
}  // namespace edgepipe::pipeline

namespace edgepipe::pipeline {
namespace {

// A resolver node in front of the Evaluator: the newest Model of earlier
// runs as its baseline (a stand-in for LatestBlessedModelStrategy).
class ResolverNodeTest : public RunnerTest {
 protected:
  Pipeline WithResolver() {
    Pipeline p = Diamond();
    Component resolver;
    resolver.id = "latest_model_resolver";
    resolver.type = "Resolver";
    resolver.outputs = {{"model", "Model"}};
    resolver.resolve = [this](md::MetadataStore& store,
                              const std::string& pipeline_name) -> StatusOr<ArtifactMap> {
      ++resolves_;
      ASSIGN_OR_RETURN(std::optional<Artifact> latest,
                       LatestArtifact(store, "Model", pipeline_name));
      ArtifactMap out = {{"model", {}}};
      if (latest) out["model"].push_back(*latest);
      return out;
    };
    p.components.back().inputs["baseline_model"] = resolver.output("model");
    p.components.insert(p.components.begin(), resolver);
    return p;
  }
  int resolves_ = 0;
};

TEST_F(ResolverNodeTest, ResolvesEveryRunAndFeedsWhatEarlierRunsMade) {
  Pipeline p = WithResolver();
  RunResult first = RunOk(p);
  EXPECT_EQ(Outcomes(first), (Rows{{"latest_model_resolver", "resolved"},
                                   {"ImportExampleGen", "executed"},
                                   {"StatisticsGen", "executed"},
                                   {"Trainer.mnist", "executed"},
                                   {"Evaluator.mnist", "executed"}}));
  // Nothing to resolve on a first run: the Evaluator got an empty baseline.
  EXPECT_TRUE(first.node("latest_model_resolver")->outputs.at("model").empty());
  const std::string eval_uri = first.node("Evaluator.mnist")->outputs.at("evaluation")[0].uri;
  auto text = ReadFile(JoinPath(eval_uri, "data.txt"));
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->find("baseline_model="), std::string::npos) << *text;

  RunResult second = RunOk(p);
  EXPECT_EQ(resolves_, 2);  // never cached
  const Artifact& model = first.node("Trainer.mnist")->outputs.at("model")[0];
  const auto& resolved = second.node("latest_model_resolver")->outputs.at("model");
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].id, model.id);
  EXPECT_EQ(resolved[0].producer_node, "Trainer.mnist");
  // Its input changed (a baseline now), so the Evaluator ran again with it;
  // everything else is cached.
  EXPECT_EQ(Outcomes(second), (Rows{{"latest_model_resolver", "resolved"},
                                    {"ImportExampleGen", "cached"},
                                    {"StatisticsGen", "cached"},
                                    {"Trainer.mnist", "cached"},
                                    {"Evaluator.mnist", "executed"}}));
  const std::string eval2 = second.node("Evaluator.mnist")->outputs.at("evaluation")[0].uri;
  text = ReadFile(JoinPath(eval2, "data.txt"));
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("baseline_model=" + model.uri), std::string::npos) << *text;

  // The resolver's execution is COMPLETE with an INPUT event to what it found
  // and made no artifact: the model keeps one producer.
  auto store = Store(p);
  auto events =
      store->GetEventsByExecutionIDs({second.node("latest_model_resolver")->execution_id});
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].type, md::Event::Type::kInput);
  EXPECT_EQ((*events)[0].artifact_id, model.id);
  auto execs = store->GetExecutionsByID({second.node("latest_model_resolver")->execution_id});
  ASSERT_TRUE(execs.ok() && execs->size() == 1);
  EXPECT_EQ((*execs)[0].last_known_state, md::Execution::State::kComplete);
  auto producers = store->GetEventsByArtifactIDs({model.id});
  ASSERT_TRUE(producers.ok());
  int outputs = 0;
  for (const md::Event& e : *producers) {
    outputs += e.type == md::Event::Type::kOutput &&
               e.execution_id == first.node("Trainer.mnist")->execution_id;
  }
  EXPECT_EQ(outputs, 1);
}

TEST_F(ResolverNodeTest, ANodeIsAnExecutorOrAResolverNotBoth) {
  Pipeline p = WithResolver();
  p.components[0].executor = Fake();
  Status st = ValidatePipeline(p);
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(st.message().find("both an executor and a resolve function"), std::string::npos)
      << st.message();
}

TEST_F(ResolverNodeTest, AResolverErrorFailsItAndSkipsWhatFollows) {
  Pipeline p = WithResolver();
  p.components[0].resolve = [](md::MetadataStore&, const std::string&) -> StatusOr<ArtifactMap> {
    return Status::Internal("store on fire");
  };
  RunResult r = RunOk(p);
  EXPECT_EQ(r.node("latest_model_resolver")->outcome, NodeResult::Outcome::kFailed);
  EXPECT_NE(r.node("latest_model_resolver")->status.message().find("store on fire"),
            std::string::npos);
  EXPECT_EQ(r.node("Evaluator.mnist")->outcome, NodeResult::Outcome::kSkipped);
  EXPECT_EQ(r.node("Trainer.mnist")->outcome, NodeResult::Outcome::kExecuted);
}

}  // namespace
}  // namespace edgepipe::pipeline
