#include "src/pipeline/resolver.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "src/core/files.h"
#include "src/pipeline/local_dag_runner.h"

namespace edgepipe::pipeline {
namespace {

// Trainer -> Evaluator, where the Evaluator blesses the model when its
// exec property "bless" is true (like TFX, naming the model by id).
class ResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = JoinPath(::testing::TempDir(),
                    "resolver_" + std::to_string(::getpid()) + "_" +
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_TRUE(RemoveAll(dir_).ok());
    p_.name = "mnist";
    p_.pipeline_root = JoinPath(dir_, "root");
    Component trainer;
    trainer.id = "Trainer";
    trainer.type = "Trainer";
    trainer.outputs = {{"model", "Model"}};
    trainer.exec_properties = {{"train_steps", 1}};
    trainer.executor = [](ExecutionContext& ctx) {
      return WriteFileAtomic(JoinPath(ctx.outputs->at("model")[0].uri, "model.json"), "{}");
    };
    Component eval;
    eval.id = "Evaluator";
    eval.type = "Evaluator";
    eval.inputs = {{"model", trainer.output("model")}};
    eval.outputs = {{"blessing", "ModelBlessing"}};
    eval.exec_properties = {{"bless", true}};
    eval.executor = [](ExecutionContext& ctx) {
      Artifact& b = ctx.outputs->at("blessing")[0];
      b.custom_properties[kBlessedProperty] = int64_t{(*ctx.exec_properties)["bless"].get<bool>()};
      b.custom_properties[kCurrentModelIdProperty] = ctx.inputs->at("model")[0].id;
      return WriteFileAtomic(JoinPath(b.uri, "BLESSED"), "");
    };
    p_.components = {trainer, eval};
  }
  void TearDown() override { (void)RemoveAll(dir_); }

  RunResult Run() {
    auto r = LocalDagRunner::Run(p_, {.log = nullptr});
    EXPECT_TRUE(r.ok() && r->status().ok());
    return r.ok() ? std::move(r).value() : RunResult{};
  }
  std::unique_ptr<metadata::MetadataStore> Store() {
    auto s = metadata::MetadataStore::Open(JoinPath(p_.pipeline_root, "metadata.sqlite"));
    EXPECT_TRUE(s.ok());
    return s.ok() ? std::move(s).value() : nullptr;
  }

  std::string dir_;
  Pipeline p_;
};

TEST_F(ResolverTest, LatestModelAndLatestBlessedModelDiffer) {
  RunResult blessed_run = Run();
  p_.components[0].exec_properties["train_steps"] = 2;
  p_.components[1].exec_properties["bless"] = false;
  RunResult unblessed_run = Run();
  const Artifact& blessed_model = blessed_run.node("Trainer")->outputs.at("model")[0];
  const Artifact& newest_model = unblessed_run.node("Trainer")->outputs.at("model")[0];
  ASSERT_NE(blessed_model.id, newest_model.id);

  auto store = Store();
  auto latest = LatestArtifact(*store, "Model", "mnist");
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ((*latest)->id, newest_model.id);
  EXPECT_EQ((*latest)->uri, newest_model.uri);
  EXPECT_EQ((*latest)->producer_node, "Trainer");
  EXPECT_EQ((*latest)->output_key, "model");

  auto blessed = LatestBlessedModel(*store, "mnist");
  ASSERT_TRUE(blessed.ok() && blessed->has_value());
  EXPECT_EQ((*blessed)->id, blessed_model.id);
  EXPECT_EQ((*blessed)->uri, blessed_model.uri);
}

TEST_F(ResolverTest, ModelGoneFromDiskIsNotResolved) {
  RunResult r = Run();
  ASSERT_TRUE(RemoveAll(r.node("Trainer")->outputs.at("model")[0].uri).ok());
  auto store = Store();
  auto blessed = LatestBlessedModel(*store, "mnist");
  ASSERT_TRUE(blessed.ok());
  EXPECT_FALSE(blessed->has_value());
  auto latest = LatestArtifact(*store, "Model", "mnist");
  ASSERT_TRUE(latest.ok());
  EXPECT_FALSE(latest->has_value());
}

TEST_F(ResolverTest, UnknownPipelineResolvesNothing) {
  Run();
  auto store = Store();
  auto latest = LatestArtifact(*store, "Model", "other");
  ASSERT_TRUE(latest.ok());
  EXPECT_FALSE(latest->has_value());
}

}  // namespace
}  // namespace edgepipe::pipeline
