#include "src/components/trainer.h"

#include <gtest/gtest.h>

#include "src/components/component_test_util.h"

namespace edgepipe::components {
namespace {

struct TrainerFixture {
  std::string root;
  pipeline::Artifact examples;

  explicit TrainerFixture(const std::string& name) {
    root = FreshTempDir(name);
    examples = {.type_name = "Examples", .uri = JoinPath(root, "examples")};
    for (const std::string split : {"train", "eval"}) {
      std::string dir = JoinPath(examples.uri, "Split-" + split);
      EXPECT_TRUE(CreateDirectories(dir).ok());
      EXPECT_TRUE(WriteFileAtomic(JoinPath(dir, "data_tfrecord-00000-of-00001.gz"), "").ok());
    }
  }
};

TEST(TrainerTest, RunFnGetsTfxFnArgsAndItsModelIsKept) {
  TrainerFixture f("trainer_fnargs");
  FnArgs seen;
  UserModule module{"module", "fp", [&seen](const FnArgs& args) {
                      seen = args;
                      return WriteFileAtomic(JoinPath(args.serving_model_dir, "tflite"), "model");
                    }};
  pipeline::Component trainer = *Trainer({.id = "Trainer.mnist_lite",
                                          .examples = {"ExampleGen", "examples", "Examples"},
                                          .module = module,
                                          .train_steps = 7,
                                          .eval_steps = 3,
                                          .custom_config = {{"seed", 5}}});
  EXPECT_EQ(trainer.code_fingerprint, "fp");
  ExecutorHarness harness(trainer, f.root);
  harness.inputs["examples"] = {f.examples};
  Status s = harness.Run(trainer);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(seen.train_files, std::vector<std::string>{JoinPath(
                                  f.examples.uri, "Split-train/data_tfrecord-00000-of-00001.gz")});
  EXPECT_EQ(seen.eval_files, std::vector<std::string>{JoinPath(
                                 f.examples.uri, "Split-eval/data_tfrecord-00000-of-00001.gz")});
  EXPECT_EQ(seen.serving_model_dir, JoinPath(harness.output("model").uri, "Format-Serving"));
  EXPECT_EQ(seen.model_run_dir, harness.output("model_run").uri);
  EXPECT_EQ(seen.train_steps, 7);
  EXPECT_EQ(seen.eval_steps, 3);
  EXPECT_EQ(seen.custom_config["seed"], 5);
  EXPECT_TRUE(PathExists(JoinPath(seen.serving_model_dir, "tflite")));
  EXPECT_FALSE(PathExists(seen.temp_dir));  // scratch removed
}

TEST(TrainerTest, TransformGraphAndSchemaReachFnArgsAsTfxFillsThem) {
  TrainerFixture f("trainer_transform");
  FnArgs seen;
  UserModule module{"module", "fp", [&seen](const FnArgs& args) {
                      seen = args;
                      return WriteFileAtomic(JoinPath(args.serving_model_dir, "model.json"), "{}");
                    }};
  pipeline::Component trainer = *Trainer(
      {.id = "Trainer",
       .examples = {"Transform", "transformed_examples", "Examples"},
       .transform_graph = pipeline::Channel{"Transform", "transform_graph", "TransformGraph"},
       .schema = pipeline::Channel{"SchemaGen", "schema", "Schema"},
       .module = module,
       .train_steps = 1});
  EXPECT_EQ(trainer.inputs.size(), 3u);
  ExecutorHarness harness(trainer, f.root);
  harness.inputs["examples"] = {f.examples};
  harness.inputs["transform_graph"] = {{.type_name = "TransformGraph", .uri = "/x/graph"}};
  harness.inputs["schema"] = {{.type_name = "Schema", .uri = "/x/schema"}};
  Status s = harness.Run(trainer);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(seen.transform_graph_path, "/x/graph");
  EXPECT_EQ(seen.schema_path, "/x/schema/schema.pbtxt");
  // Without the channels, both stay empty and are not inputs.
  pipeline::Component plain = *Trainer({.id = "Trainer",
                                        .examples = {"ExampleGen", "examples", "Examples"},
                                        .module = module,
                                        .train_steps = 1});
  EXPECT_EQ(plain.inputs.size(), 1u);
}

TEST(TrainerTest, RunFnThatSavesNothingFails) {
  TrainerFixture f("trainer_nothing");
  UserModule module{"lazy", "fp", [](const FnArgs&) { return Status::OK(); }};
  pipeline::Component trainer = *Trainer({.id = "Trainer",
                                          .examples = {"ExampleGen", "examples", "Examples"},
                                          .module = module,
                                          .train_steps = 1});
  ExecutorHarness harness(trainer, f.root);
  harness.inputs["examples"] = {f.examples};
  Status s = harness.Run(trainer);
  EXPECT_EQ(s.code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(s.message().find("saved no model"), std::string::npos);
}

TEST(TrainerTest, RunFnErrorIsReportedWithTheModuleName) {
  TrainerFixture f("trainer_error");
  UserModule module{"mnist_utils", "fp",
                    [](const FnArgs&) { return Status::InvalidArgument("bad steps"); }};
  pipeline::Component trainer = *Trainer({.id = "Trainer.mnist",
                                          .examples = {"ExampleGen", "examples", "Examples"},
                                          .module = module,
                                          .train_steps = 1});
  ExecutorHarness harness(trainer, f.root);
  harness.inputs["examples"] = {f.examples};
  Status s = harness.Run(trainer);
  EXPECT_EQ(s.message(), "Trainer.mnist: run_fn of module 'mnist_utils': bad steps");
}

TEST(TrainerTest, MissingSplitIsNotFound) {
  TrainerFixture f("trainer_nosplit");
  ASSERT_TRUE(RemoveAll(JoinPath(f.examples.uri, "Split-eval")).ok());
  UserModule module{"m", "fp", [](const FnArgs&) { return Status::OK(); }};
  pipeline::Component trainer = *Trainer(
      {.id = "Trainer", .examples = {"ExampleGen", "examples", "Examples"}, .module = module});
  ExecutorHarness harness(trainer, f.root);
  harness.inputs["examples"] = {f.examples};
  EXPECT_EQ(harness.Run(trainer).code(), Status::Code::kNotFound);
}

}  // namespace
}  // namespace edgepipe::components

namespace edgepipe::components {
namespace {

TEST(TrainerTest, MissingInputArtifactIsAnErrorNamingNodeAndKey) {
  std::string root = FreshTempDir("trainer_noinput");
  UserModule module{"m", "fp", [](const FnArgs&) { return Status::OK(); }};
  pipeline::Component trainer = *Trainer(
      {.id = "Trainer.x", .examples = {"ExampleGen", "examples", "Examples"}, .module = module});
  ExecutorHarness harness(trainer, root);  // no inputs at all
  Status s = harness.Run(trainer);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "Trainer.x: input 'examples': expected exactly one artifact, got 0");
}

}  // namespace
}  // namespace edgepipe::components
