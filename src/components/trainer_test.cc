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

namespace edgepipe::components {
namespace {

// One rank of a group of `size` in a single process: the other ranks are
// simulated as agreeing OK (Gather on root gets OK from them; Broadcast on
// another rank receives root's OK verdict). Enough for the Trainer's
// agreement before run_fn.
class OneRankOfGroup final : public Collective {
 public:
  OneRankOfGroup(int rank, int size) : rank_(rank), size_(size) {}
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  bool poisoned() const override { return false; }
  Status Broadcast(std::string* bytes, int root) override {
    if (rank_ != root) *bytes = EncodeStatus(Status::OK());
    return Status::OK();
  }
  StatusOr<std::vector<std::string>> Gather(std::string_view bytes, int root) override {
    if (rank_ != root) return std::vector<std::string>();
    std::vector<std::string> all(size_, EncodeStatus(Status::OK()));
    all[rank_] = std::string(bytes);
    return all;
  }
  Status AllreduceSum(double*, int64_t) override { return Status::OK(); }
  Status Barrier() override { return Status::OK(); }
  [[noreturn]] void Abort(int) override { std::abort(); }

 private:
  int rank_, size_;
};

// A reducer for one rank of `size` that sums nothing (the test looks at who
// gets it, not at training).
class NoopReducer final : public nn::GradientReducer {
 public:
  NoopReducer(int rank, int size) : rank_(rank), size_(size) {}
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int64_t bucket_bytes() const override { return 1024; }
  Status Agree(const Status& local) override { return local; }
  Status Broadcast(float*, int64_t) override { return Status::OK(); }
  Status SumDoubles(double*, int64_t) override { return Status::OK(); }
  Status BeginBucket(float*, int64_t) override { return Status::OK(); }
  Status Finish() override { return Status::OK(); }

 private:
  int rank_, size_;
};

// What run_fn saw on one rank.
struct Seen {
  bool called = false;
  int reducer_rank = -1, reducer_size = -1;
  bool collective = false;
  FnArgs args;
};

// A data-parallel module whose run_fn writes a model on EVERY rank (as a
// careless one would): only rank 0's reaches the artifact.
UserModule WritesEverywhere(Seen* seen) {
  return {"dp", "fp",
          [seen](const FnArgs& args) {
            seen->called = true;
            seen->args = args;
            seen->collective = args.collective != nullptr;
            if (args.gradient_reducer != nullptr) {
              seen->reducer_rank = args.gradient_reducer->rank();
              seen->reducer_size = args.gradient_reducer->size();
            }
            RETURN_IF_ERROR(WriteFileAtomic(JoinPath(args.serving_model_dir, "model.json"), "{}"));
            return WriteFileAtomic(JoinPath(args.model_run_dir, "history.csv"), "epoch\n");
          },
          nullptr, /*data_parallel=*/true};
}

pipeline::GradientReducerFactory Factory(int rank, int size) {
  return [rank, size]() -> StatusOr<std::unique_ptr<nn::GradientReducer>> {
    return std::unique_ptr<nn::GradientReducer>(new NoopReducer(rank, size));
  };
}

// The Trainer of WritesEverywhere(seen) run as rank `rank` of 2 on
// `examples` under `root`, given a reducer factory or not.
struct TrainerOnRank {
  TrainerOnRank(const pipeline::Artifact& examples, const std::string& root, int rank, Seen* seen,
                bool with_reducer)
      : trainer(*Trainer({.id = "Trainer",
                          .examples = {"ExampleGen", "examples", "Examples"},
                          .module = WritesEverywhere(seen),
                          .train_steps = 1})),
        harness(trainer, root),
        group(rank, 2),
        factory(Factory(rank, 2)) {
    harness.inputs["examples"] = {examples};
    harness.ctx.collective = &group;
    if (with_reducer) harness.ctx.make_gradient_reducer = &factory;
  }
  Status Run() { return harness.Run(trainer); }

  pipeline::Component trainer;
  ExecutorHarness harness;
  OneRankOfGroup group;
  const pipeline::GradientReducerFactory factory;
};

TEST(TrainerDataParallelTest, OnlyAModuleThatDeclaresItRunsOnEveryRank) {
  Seen seen;
  auto parallel = Trainer({.id = "Trainer",
                           .examples = {"ExampleGen", "examples", "Examples"},
                           .module = WritesEverywhere(&seen)});
  ASSERT_TRUE(parallel.ok());
  EXPECT_TRUE(parallel->runs_on_every_rank);
  UserModule plain{"m", "fp", [](const FnArgs&) { return Status::OK(); }};
  auto alone = Trainer(
      {.id = "Trainer", .examples = {"ExampleGen", "examples", "Examples"}, .module = plain});
  ASSERT_TRUE(alone.ok());
  EXPECT_FALSE(alone->runs_on_every_rank);
}

TEST(TrainerDataParallelTest, RankZeroGetsTheReducerWritesTheArtifactAndRecordsTheRanks) {
  TrainerFixture f("trainer_dp_rank0");
  Seen seen;
  TrainerOnRank run(f.examples, f.root, 0, &seen, /*with_reducer=*/true);
  ExecutorHarness& harness = run.harness;
  Status s = run.Run();
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(seen.reducer_rank, 0);
  EXPECT_EQ(seen.reducer_size, 2);
  EXPECT_TRUE(seen.collective);
  EXPECT_EQ(seen.args.serving_model_dir, JoinPath(harness.output("model").uri, "Format-Serving"));
  EXPECT_TRUE(PathExists(JoinPath(harness.output("model").uri, "Format-Serving/model.json")));
  EXPECT_TRUE(PathExists(JoinPath(harness.output("model_run").uri, "history.csv")));
  EXPECT_EQ(harness.output("model_run").custom_properties.at(kDataParallelRanksProperty),
            pipeline::PropertyValue(int64_t{2}));
}

TEST(TrainerDataParallelTest, OtherRanksWriteIntoScratchOnlyAndNeedNotSaveAModel) {
  TrainerFixture f("trainer_dp_rank1");
  Seen seen;
  TrainerOnRank run(f.examples, f.root, 1, &seen, /*with_reducer=*/true);
  ExecutorHarness& harness = run.harness;
  Status s = run.Run();
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(seen.reducer_rank, 1);
  // Its model and run files went to scratch under its tmp_dir, now removed;
  // the staged artifacts (rank 0's) hold nothing of it.
  EXPECT_EQ(seen.args.serving_model_dir.rfind(harness.ctx.tmp_dir, 0), 0u)
      << seen.args.serving_model_dir;
  EXPECT_EQ(seen.args.model_run_dir.rfind(harness.ctx.tmp_dir, 0), 0u) << seen.args.model_run_dir;
  EXPECT_FALSE(PathExists(seen.args.serving_model_dir));
  EXPECT_FALSE(PathExists(seen.args.model_run_dir));
  auto model_files = ListFilesRecursively(harness.output("model").uri);
  ASSERT_TRUE(model_files.ok());
  EXPECT_TRUE(model_files->empty());
  auto run_files = ListFilesRecursively(harness.output("model_run").uri);
  ASSERT_TRUE(run_files.ok());
  EXPECT_TRUE(run_files->empty());
  EXPECT_TRUE(harness.output("model_run").custom_properties.empty());

  // A rank other than 0 whose run_fn saves nothing is fine: rank 0 saves.
  UserModule quiet{"dp", "fp", [](const FnArgs&) { return Status::OK(); }, nullptr, true};
  pipeline::Component lazy = *Trainer({.id = "Trainer",
                                       .examples = {"ExampleGen", "examples", "Examples"},
                                       .module = quiet,
                                       .train_steps = 1});
  EXPECT_TRUE(harness.Run(lazy).ok());
}

TEST(TrainerDataParallelTest, WithoutAReducerFactoryRankZeroTrainsAlone) {
  TrainerFixture f("trainer_dp_nofactory");
  for (int rank : {0, 1}) {
    Seen seen;
    TrainerOnRank run(f.examples, JoinPath(f.root, "rank" + std::to_string(rank)), rank, &seen,
                      /*with_reducer=*/false);
    ASSERT_TRUE(run.Run().ok());
    EXPECT_EQ(seen.called, rank == 0) << rank;
    EXPECT_EQ(seen.reducer_rank, -1);
    EXPECT_FALSE(seen.collective);
  }
}

}  // namespace
}  // namespace edgepipe::components
