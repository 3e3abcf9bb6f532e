#include "src/metadata/lineage.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>

#include "src/core/files.h"
#include "tests/support/metadata_backend.h"

namespace edgepipe::metadata {
namespace {

// A store holding one run of ExampleGen -> Trainer, and a second run where the
// Trainer was CACHED, recorded the way the runner records it.
// On each back end.
class LineageTest : public ::testing::TestWithParam<testing::MetadataBackend> {
 protected:
  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::replace(name.begin(), name.end(), '/', '_');  // "Test/SQLite"
    dir_ = JoinPath(::testing::TempDir(), "lineage_" + std::to_string(::getpid()) + "_" + name);
    ASSERT_TRUE(RemoveAll(dir_).ok());
    ASSERT_TRUE(CreateDirectories(dir_).ok());
    auto location = testing::FreshStoreLocation(GetParam(), dir_);
    ASSERT_TRUE(location.ok()) << location.status().ToString();
    auto s = MetadataStore::Open(*location);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();

    auto examples = store_->PutArtifactType({0, "Examples", {}});
    auto model = store_->PutArtifactType({0, "Model", {}});
    auto gen = store_->PutExecutionType({0, "edgepipe.components.ImportExampleGen", {}});
    auto trainer = store_->PutExecutionType({0, "edgepipe.components.Trainer", {}});
    auto pipe_t = store_->PutContextType({0, kPipelineContextType, {}});
    auto run_t = store_->PutContextType({0, kPipelineRunContextType, {}});
    ASSERT_TRUE(examples.ok() && model.ok() && gen.ok() && trainer.ok() && pipe_t.ok() &&
                run_t.ok());
    auto pipe = store_->PutContext({.type_id = *pipe_t, .name = "mnist"});
    auto run1 = store_->PutContext({.type_id = *run_t, .name = "run-1"});
    auto run2 = store_->PutContext({.type_id = *run_t, .name = "run-2"});
    ASSERT_TRUE(pipe.ok() && run1.ok() && run2.ok());
    ASSERT_TRUE(store_->PutParentContexts({{*run1, *pipe}, {*run2, *pipe}}).ok());

    auto props = [](const std::string& node, const std::string& run) {
      return PropertyMap{{kComponentIdProperty, node},
                         {kPipelineNameProperty, std::string("mnist")},
                         {kRunIdProperty, run}};
    };
    auto r = store_->PutExecution(
        {.type_id = *gen,
         .last_known_state = Execution::State::kComplete,
         .custom_properties = props("ImportExampleGen", "run-1")},
        {{.artifact = {.type_id = *examples,
                       .uri = "/r/ImportExampleGen/examples/1",
                       .state = Artifact::State::kLive},
          .event = Event{.type = Event::Type::kOutput, .path = {{std::string("examples")}}}}},
        {{.id = *pipe, .type_id = *pipe_t, .name = "mnist"},
         {.id = *run1, .type_id = *run_t, .name = "run-1"}});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    gen_exec_ = r->execution_id;
    examples_id_ = r->artifact_ids[0];

    ArtifactAndEvent input{
        .artifact = {},
        .event = Event{.type = Event::Type::kInput, .path = {{std::string("examples")}}}};
    auto ex = store_->GetArtifactsByID({examples_id_});
    ASSERT_TRUE(ex.ok());
    input.artifact = ex->front();
    auto t = store_->PutExecution(
        {.type_id = *trainer,
         .last_known_state = Execution::State::kComplete,
         .custom_properties = props("Trainer", "run-1")},
        {input,
         {.artifact = {.type_id = *model,
                       .uri = "/r/Trainer/model/2",
                       .state = Artifact::State::kLive},
          .event = Event{.type = Event::Type::kOutput, .path = {{std::string("model")}}}}},
        {{.id = *run1, .type_id = *run_t, .name = "run-1"}});
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    trainer_exec_ = t->execution_id;
    model_id_ = t->artifact_ids[1];

    // Run 2: the Trainer is CACHED and re-emits the same model.
    auto m = store_->GetArtifactsByID({model_id_});
    ASSERT_TRUE(m.ok());
    auto c = store_->PutExecution(
        {.type_id = *trainer,
         .last_known_state = Execution::State::kCached,
         .custom_properties = props("Trainer", "run-2")},
        {input,
         {.artifact = m->front(),
          .event = Event{.type = Event::Type::kOutput, .path = {{std::string("model")}}}}},
        {{.id = *run2, .type_id = *run_t, .name = "run-2"}});
    ASSERT_TRUE(c.ok());
    cached_exec_ = c->execution_id;
  }
  void TearDown() override {
    store_.reset();
    (void)RemoveAll(dir_);
  }

  std::string dir_;
  std::unique_ptr<MetadataStore> store_;
  int64_t gen_exec_ = 0, trainer_exec_ = 0, cached_exec_ = 0, examples_id_ = 0, model_id_ = 0;
};

INSTANTIATE_TEST_SUITE_P(Backends, LineageTest,
                         ::testing::Values(testing::MetadataBackend::kSqlite,
                                           testing::MetadataBackend::kPostgres),
                         testing::MetadataBackendName);

TEST_P(LineageTest, ListRunsCountsExecutionsByState) {
  auto runs = ListRuns(*store_);
  ASSERT_TRUE(runs.ok()) << runs.status().ToString();
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[0].run_id, "run-1");
  EXPECT_EQ((*runs)[0].pipeline_name, "mnist");
  EXPECT_EQ((*runs)[0].num_executions, 2);
  EXPECT_EQ((*runs)[0].executions_by_state, (std::map<std::string, int>{{"COMPLETE", 2}}));
  EXPECT_EQ((*runs)[1].run_id, "run-2");
  EXPECT_EQ((*runs)[1].executions_by_state, (std::map<std::string, int>{{"CACHED", 1}}));
}

TEST_P(LineageTest, ListExecutionsNamesNodesAndArtifacts) {
  auto all = ListExecutions(*store_);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[1].id, trainer_exec_);
  EXPECT_EQ((*all)[1].node_id, "Trainer");
  EXPECT_EQ((*all)[1].type, "edgepipe.components.Trainer");
  EXPECT_EQ((*all)[1].run_id, "run-1");
  EXPECT_EQ((*all)[1].input_artifact_ids, std::vector<int64_t>{examples_id_});
  EXPECT_EQ((*all)[1].output_artifact_ids, std::vector<int64_t>{model_id_});
  auto run2 = ListExecutions(*store_, "run-2");
  ASSERT_TRUE(run2.ok());
  ASSERT_EQ(run2->size(), 1u);
  EXPECT_EQ(run2->front().state, Execution::State::kCached);
  auto missing = ListExecutions(*store_, "run-9");
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
}

TEST_P(LineageTest, ListArtifactsNamesTheFirstProducer) {
  auto arts = ListArtifacts(*store_);
  ASSERT_TRUE(arts.ok());
  ASSERT_EQ(arts->size(), 2u);
  EXPECT_EQ((*arts)[1].id, model_id_);
  EXPECT_EQ((*arts)[1].producer_execution_id, trainer_exec_);  // not the CACHED one
  EXPECT_EQ((*arts)[1].producer_node, "Trainer");
  EXPECT_EQ((*arts)[1].output_key, "model");
  auto models = ListArtifacts(*store_, "Model");
  ASSERT_TRUE(models.ok());
  ASSERT_EQ(models->size(), 1u);
}

TEST_P(LineageTest, UpstreamLineageOfTheModel) {
  auto g = GetLineage(*store_, model_id_);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  ASSERT_EQ(g->artifacts.size(), 2u);
  EXPECT_EQ(g->artifacts[0].id, model_id_);
  EXPECT_EQ(g->artifacts[1].id, examples_id_);
  std::vector<int64_t> execs;
  for (const auto& e : g->executions) execs.push_back(e.id);
  EXPECT_EQ(execs, (std::vector<int64_t>{trainer_exec_, cached_exec_, gen_exec_}));
}

TEST_P(LineageTest, DownstreamLineageOfTheExamples) {
  auto g = GetLineage(*store_, examples_id_, LineageDirection::kDownstream);
  ASSERT_TRUE(g.ok());
  ASSERT_EQ(g->artifacts.size(), 2u);
  EXPECT_EQ(g->artifacts[1].id, model_id_);
  ASSERT_EQ(g->executions.size(), 2u);  // the Trainer and its CACHED re-run
}

TEST_P(LineageTest, UnknownArtifactIsNotFound) {
  auto g = GetLineage(*store_, 999);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), Status::Code::kNotFound);
  EXPECT_NE(g.status().message().find("artifact 999"), std::string::npos);
}

}  // namespace
}  // namespace edgepipe::metadata
