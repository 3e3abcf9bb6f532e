// `edgepipe run --runner mpi` under `mpirun -np 2` against the one-process
// runner, on the MNIST pipeline over tiny MNIST-shaped data: the same
// statistics (counts exact, doubles within 1e-12 relative), the transform
// graph and Transform's shard files; both Trainers data-parallel on the two
// ranks, their evaluation within 0.5 points of accuracy, the same blessing and
// push; ExampleGen's shard files; a cached rerun; a rank killed (the execution
// FAILED at once) or failing mid-component (StatisticsGen, Transform) and the
// rerun after it; the runner at size 1 without mpirun; and `edgepipe run` on a
// PostgreSQL store. Needs mpirun (openmpi-bin, scripts/install_deps.sh):
// without it the tests fail, they do not skip.
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/components/statistics_gen.h"
#include "src/core/files.h"
#include "src/eval/output.h"
#include "src/io/tfrecord.h"
#include "tests/support/postgres_server.h"
#include "tests/support/proto_close.h"
#include "tests/support/subprocess.h"
#include "tests/support/tiny_mnist.h"

namespace edgepipe {
namespace {

using testing::RunCommand;

// As mpi_test: every setting the test relies on is a flag (root allowed,
// more ranks than cores, shared memory without CMA, which needs ptrace).
std::string Mpirun() {
  return std::string(MPIEXEC) +
         " --allow-run-as-root --oversubscribe --bind-to none"
         " --mca btl self,vader --mca btl_vader_single_copy_mechanism none"
         " -x EDGEPIPE_MPI_TIMEOUT_SECONDS=120 ";
}

struct CliRun {
  int exit_code = -1;
  nlohmann::json summary;  // --json output (rank 0's), null on failure
  std::string err;
};

// A file's text, or "" (for failure messages).
std::string TextOf(const std::string& path) {
  auto text = ReadFile(path);
  return text.ok() ? *text : "";
}

std::string TempDir(const std::string& name) {
  std::string dir = ::testing::TempDir() + "mpi_run_" + name + "_" + std::to_string(::getpid());
  EXPECT_TRUE(RemoveAll(dir).ok());
  EXPECT_TRUE(CreateDirectories(dir).ok());
  return dir;
}

// `launcher edgepipe run mnist ...` on `dir`'s data, root and store.
CliRun RunMnist(const std::string& launcher, const std::string& dir, const std::string& name,
                const std::string& extra = "") {
  const std::string err_path = dir + "/" + name + ".stderr";
  const std::string args = " run mnist --data " + dir + "/data --pipeline-root " + dir + "/" +
                           name + "/root --metadata " + dir + "/" + name +
                           "/m.sqlite --serving-dir " + dir + "/" + name +
                           "/serving --train-steps 30 --eval-steps 3 --accuracy-threshold 0.5"
                           " --json " +
                           extra;
  auto r = RunCommand(launcher + std::string(EDGEPIPE_CLI) + args + " 2>" + err_path);
  CliRun run;
  run.exit_code = r.exit_code;
  auto err = ReadFile(err_path);
  run.err = err.ok() ? *err : "";
  run.summary = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  if (run.summary.is_discarded()) run.summary = nullptr;
  return run;
}

std::map<std::string, std::string> Outcomes(const nlohmann::json& summary) {
  std::map<std::string, std::string> out;
  if (!summary.is_object() || !summary.contains("nodes")) return out;
  for (const auto& node : summary["nodes"]) out[node["id"]] = node["outcome"];
  return out;
}

// `edgepipe executions|artifacts --json` of a store.
nlohmann::json Store(const std::string& verb, const std::string& db) {
  auto r = RunCommand(std::string(EDGEPIPE_CLI) + " " + verb + " --json --metadata " + db);
  EXPECT_EQ(r.exit_code, 0) << verb << " " << db;
  return nlohmann::json::parse(r.out, nullptr, false);
}

// The single folder under <root>/mnist_native_keras/<node>/<key>/.
std::string OutputDir(const std::string& root, const std::string& node, const std::string& key) {
  const std::string dir = root + "/mnist_native_keras/" + node + "/" + key;
  auto entries = ListDirectory(dir);
  EXPECT_TRUE(entries.ok() && entries->size() == 1) << dir;
  return entries.ok() && !entries->empty() ? dir + "/" + entries->front() : dir;
}

class MpiRunTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto version = RunCommand(std::string(MPIEXEC) + " --version 2>&1");
    ASSERT_EQ(version.exit_code, 0) << "mpirun (" << MPIEXEC
                                    << ") does not run: install Open MPI (openmpi-bin "
                                       "libopenmpi-dev, scripts/install_deps.sh)";
    dir_ = new std::string(TempDir("suite"));
    ASSERT_TRUE(CreateDirectories(*dir_ + "/data").ok());
    ASSERT_TRUE(testing::WriteTinyMnist(*dir_ + "/data", 301).ok());
    local_ = new CliRun(RunMnist("", *dir_, "local"));
    mpi_ = new CliRun(RunMnist(Mpirun() + "-np 2 ", *dir_, "mpi", "--runner mpi"));
  }
  static void TearDownTestSuite() {
    (void)RemoveAll(*dir_);
    delete dir_;
    delete local_;
    delete mpi_;
  }
  void SetUp() override {
    ASSERT_EQ(local_->exit_code, 0) << local_->err;
    ASSERT_EQ(mpi_->exit_code, 0) << mpi_->err;
  }
  static std::string Root(const std::string& name) { return *dir_ + "/" + name + "/root"; }

  static std::string* dir_;
  static CliRun* local_;
  static CliRun* mpi_;
};
std::string* MpiRunTest::dir_ = nullptr;
CliRun* MpiRunTest::local_ = nullptr;
CliRun* MpiRunTest::mpi_ = nullptr;

TEST_F(MpiRunTest, EveryNodeExecutesOnTwoRanks) {
  const auto outcomes = Outcomes(mpi_->summary);
  EXPECT_EQ(outcomes.size(), 11u);
  for (const auto& [node, outcome] : outcomes) EXPECT_EQ(outcome, "executed") << node;
  EXPECT_EQ(Outcomes(local_->summary), outcomes);
}

TEST_F(MpiRunTest, ExampleGenWritesOneShardPerRankHoldingTheOneProcessExamples) {
  const std::string local = OutputDir(Root("local"), "ImportExampleGen", "examples");
  const std::string mpi = OutputDir(Root("mpi"), "ImportExampleGen", "examples");
  int64_t total = 0;
  for (const std::string split : {"train", "eval"}) {
    auto names = ListDirectory(mpi + "/Split-" + split);
    ASSERT_TRUE(names.ok());
    EXPECT_EQ(*names, (std::vector<std::string>{"data_tfrecord-00000-of-00002.gz",
                                                "data_tfrecord-00001-of-00002.gz"}));
    auto one = io::ReadAllRecords(local + "/Split-" + split + "/data_tfrecord-00000-of-00001.gz");
    ASSERT_TRUE(one.ok()) << one.status().ToString();
    std::vector<std::string> sharded;
    for (const std::string& name : *names) {
      auto shard = io::ReadAllRecords(mpi + "/Split-" + split + "/" + name);
      ASSERT_TRUE(shard.ok()) << shard.status().ToString();
      EXPECT_FALSE(shard->empty()) << name;  // 301 examples: both ranks get some of each split
      sharded.insert(sharded.end(), shard->begin(), shard->end());
    }
    // The same examples in the same split (TFX's hash), in the same order.
    EXPECT_EQ(sharded, *one) << split;
    total += static_cast<int64_t>(one->size());
  }
  EXPECT_EQ(total, 301);
  // The artifact's counts are the sums over the ranks.
  for (const auto& a : Store("artifacts", *dir_ + "/mpi/m.sqlite")) {
    if (a["producer_node"] != "ImportExampleGen") continue;
    EXPECT_EQ(a["custom_properties"]["num_examples_train"].get<int64_t>() +
                  a["custom_properties"]["num_examples_eval"].get<int64_t>(),
              301);
  }
}

TEST_F(MpiRunTest, StatisticsEqualOneProcess) {
  auto local = components::ReadStatistics(OutputDir(Root("local"), "StatisticsGen", "statistics"));
  auto mpi = components::ReadStatistics(OutputDir(Root("mpi"), "StatisticsGen", "statistics"));
  ASSERT_TRUE(local.ok()) << local.status().ToString();
  ASSERT_TRUE(mpi.ok()) << mpi.status().ToString();
  ASSERT_EQ(local->size(), 2u);
  ASSERT_EQ(mpi->size(), local->size());
  for (size_t i = 0; i < local->size(); ++i) {
    EXPECT_EQ((*mpi)[i].split, (*local)[i].split);
    ASSERT_EQ((*mpi)[i].statistics.datasets_size(), 1);
    EXPECT_GT((*mpi)[i].statistics.datasets(0).num_examples(), 0);
    testing::ExpectProtoClose((*mpi)[i].statistics, (*local)[i].statistics);
  }
}

// The training.json a Trainer's run_fn wrote into its ModelRun.
nlohmann::json TrainingJson(const std::string& root, const std::string& trainer) {
  return nlohmann::json::parse(TextOf(OutputDir(root, trainer, "model_run") + "/training.json"),
                               nullptr, /*allow_exceptions=*/false);
}

TEST_F(MpiRunTest, BothTrainersTrainDataParallelOnTwoRanks) {
  for (const std::string trainer : {"Trainer.mnist", "Trainer.mnist_lite"}) {
    // The run_fn's own record: 2 ranks of 20 rows, the global batch of 40
    // that one process uses, and the same number of (global) steps.
    const nlohmann::json mpi = TrainingJson(Root("mpi"), trainer);
    const nlohmann::json local = TrainingJson(Root("local"), trainer);
    ASSERT_TRUE(mpi.is_object() && local.is_object()) << trainer;
    EXPECT_EQ(mpi["ranks"], 2) << mpi.dump();
    EXPECT_EQ(mpi["per_rank_batch_size"], 20) << mpi.dump();
    EXPECT_EQ(mpi["batch_size"], 40) << mpi.dump();
    EXPECT_EQ(local["ranks"], 1) << local.dump();
    EXPECT_EQ(local["per_rank_batch_size"], 40) << local.dump();
    EXPECT_EQ(mpi["steps"], local["steps"]);
    EXPECT_EQ(mpi["train_examples"], local["train_examples"]);
    // The Trainer's log line, once per Trainer (rank 0's).
    const std::string line = "[" + trainer + "] run_fn of module 'mnist_utils_native_keras" +
                             (trainer == "Trainer.mnist_lite" ? "_lite" : "") +
                             "' trains data-parallel on 2 ranks";
    const size_t at = mpi_->err.find(line);
    EXPECT_NE(at, std::string::npos) << line << "\n" << mpi_->err;
    EXPECT_EQ(mpi_->err.find(line, at + 1), std::string::npos) << line;
    EXPECT_EQ(local_->err.find("trains data-parallel"), std::string::npos);
  }
  // The store: each ModelRun says how many ranks trained it.
  int model_runs = 0;
  for (const auto& a : Store("artifacts", *dir_ + "/mpi/m.sqlite")) {
    if (a["type"] != "ModelRun") continue;
    ++model_runs;
    EXPECT_EQ(a["custom_properties"]["data_parallel_ranks"], 2) << a.dump();
  }
  EXPECT_EQ(model_runs, 2);
  for (const auto& a : Store("artifacts", *dir_ + "/local/m.sqlite")) {
    if (a["type"] != "ModelRun") continue;
    EXPECT_FALSE(a["custom_properties"].contains("data_parallel_ranks")) << a.dump();
  }
  // Rank 1 trained in scratch: the published folders hold one model each.
  auto files = ListFilesRecursively(OutputDir(Root("mpi"), "Trainer.mnist", "model"));
  ASSERT_TRUE(files.ok());
  auto local_files = ListFilesRecursively(OutputDir(Root("local"), "Trainer.mnist", "model"));
  ASSERT_TRUE(local_files.ok());
  EXPECT_EQ(files->size(), local_files->size());
}

TEST_F(MpiRunTest, TransformEqualsOneProcessWithOneShardPerRank) {
  // The analyzed graph (min/max, counts: exact) as one process writes it.
  const std::string local = OutputDir(Root("local"), "Transform", "transform_graph");
  const std::string mpi = OutputDir(Root("mpi"), "Transform", "transform_graph");
  const std::string graph_file = "/transform_fn/transform_graph.json";
  EXPECT_FALSE(TextOf(local + graph_file).empty());
  EXPECT_EQ(TextOf(mpi + graph_file), TextOf(local + graph_file));
  // Rank r's shard of each split; in rank order the one-process examples.
  const std::string one = OutputDir(Root("local"), "Transform", "transformed_examples");
  const std::string two = OutputDir(Root("mpi"), "Transform", "transformed_examples");
  for (const std::string split : {"train", "eval"}) {
    auto names = ListDirectory(two + "/Split-" + split);
    ASSERT_TRUE(names.ok());
    EXPECT_EQ(*names, (std::vector<std::string>{"transformed_examples-00000-of-00002.gz",
                                                "transformed_examples-00001-of-00002.gz"}));
    auto want =
        io::ReadAllRecords(one + "/Split-" + split + "/transformed_examples-00000-of-00001.gz");
    ASSERT_TRUE(want.ok()) << want.status().ToString();
    std::vector<std::string> got;
    for (const std::string& name : *names) {
      auto shard = io::ReadAllRecords(two + "/Split-" + split + "/" + name);
      ASSERT_TRUE(shard.ok()) << shard.status().ToString();
      EXPECT_FALSE(shard->empty()) << name;
      got.insert(got.end(), shard->begin(), shard->end());
    }
    EXPECT_FALSE(want->empty());
    EXPECT_TRUE(got == *want) << split << ": " << got.size() << " records, one process "
                              << want->size();
  }
  // The artifact's counts are the totals.
  std::map<std::string, int64_t> counts[2];
  for (int k = 0; k < 2; ++k) {
    for (const auto& a : Store("artifacts", *dir_ + (k == 0 ? "/local" : "/mpi") + "/m.sqlite")) {
      if (a["producer_node"] != "Transform" || a["type"] != "Examples") continue;
      for (const std::string split : {"train", "eval"}) {
        counts[k][split] = a["custom_properties"]["num_examples_" + split].get<int64_t>();
      }
    }
  }
  EXPECT_EQ(counts[0].size(), 2u);
  EXPECT_EQ(counts[1], counts[0]);
}

TEST_F(MpiRunTest, EvaluationAndBlessingMatchOneProcess) {
  // The models differ from one process's in the order of float additions
  // and in rank 1's dropout masks (src/nn/gradient_reducer.h): the same
  // examples evaluated, accuracy within 0.5 points, the same blessing and push.
  auto local = eval::LoadEvalResult(OutputDir(Root("local"), "Evaluator.mnist", "evaluation"));
  auto mpi = eval::LoadEvalResult(OutputDir(Root("mpi"), "Evaluator.mnist", "evaluation"));
  ASSERT_TRUE(local.ok()) << local.status().ToString();
  ASSERT_TRUE(mpi.ok()) << mpi.status().ToString();
  ASSERT_EQ(mpi->metrics.size(), local->metrics.size());
  EXPECT_EQ(mpi->validation.validation_ok(), local->validation.validation_ok());
  ASSERT_EQ(mpi_->summary["models"].size(), 2u);
  for (size_t m = 0; m < 2; ++m) {
    const auto& a = local_->summary["models"][m];
    const auto& b = mpi_->summary["models"][m];
    EXPECT_EQ(b["example_count"], a["example_count"]);
    EXPECT_NEAR(b["sparse_categorical_accuracy"].get<double>(),
                a["sparse_categorical_accuracy"].get<double>(), 0.005)
        << b["model"];
    EXPECT_EQ(b["blessed"], a["blessed"]);
    EXPECT_EQ(b["pushed"], a["pushed"]);
    EXPECT_EQ(b["blessed"], true);
    EXPECT_EQ(b["pushed"], true);
  }
}

TEST_F(MpiRunTest, SecondRunIsFullyCached) {
  CliRun again = RunMnist(Mpirun() + "-np 2 ", *dir_, "mpi", "--runner mpi");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  const auto outcomes = Outcomes(again.summary);
  EXPECT_EQ(outcomes.size(), 11u);
  for (const auto& [node, outcome] : outcomes) EXPECT_EQ(outcome, "cached") << node;
}

TEST_F(MpiRunTest, OneRankWithoutMpirunEqualsTheLocalRunner) {
  CliRun single = RunMnist("", *dir_, "single", "--runner mpi");
  ASSERT_EQ(single.exit_code, 0) << single.err;
  EXPECT_EQ(Outcomes(single.summary), Outcomes(local_->summary));
  auto names =
      ListDirectory(OutputDir(Root("single"), "ImportExampleGen", "examples") + "/Split-train");
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, std::vector<std::string>{"data_tfrecord-00000-of-00001.gz"});
  auto local = components::ReadStatistics(OutputDir(Root("local"), "StatisticsGen", "statistics"));
  auto one = components::ReadStatistics(OutputDir(Root("single"), "StatisticsGen", "statistics"));
  ASSERT_TRUE(local.ok() && one.ok());
  ASSERT_EQ(one->size(), local->size());
  for (size_t i = 0; i < local->size(); ++i) {
    testing::ExpectProtoClose((*one)[i].statistics, (*local)[i].statistics);
  }
  for (size_t m = 0; m < 2; ++m) {
    EXPECT_EQ(single.summary["models"][m]["sparse_categorical_accuracy"],
              local_->summary["models"][m]["sparse_categorical_accuracy"]);
    EXPECT_EQ(single.summary["models"][m]["blessed"], local_->summary["models"][m]["blessed"]);
  }
}

// The executions of one node in a store, by state.
std::map<std::string, int> StatesOf(const nlohmann::json& executions, const std::string& node) {
  std::map<std::string, int> out;
  for (const auto& e : executions) {
    if (e["node_id"] == node) ++out[e["state"].get<std::string>()];
  }
  return out;
}

// The MNIST pipeline under `mpirun -np 2 ... --runner mpi` over 120 tiny
// images in a fresh folder (removed at the end), run once with a fault in rank
// 1's environment and then rerun clean on the same root and store.
class FaultyRun {
 public:
  explicit FaultyRun(const std::string& name) : dir_(TempDir(name)) {
    EXPECT_TRUE(CreateDirectories(dir_ + "/data").ok());
    EXPECT_TRUE(testing::WriteTinyMnist(dir_ + "/data", 120).ok());
    args_ = " run mnist --runner mpi --data " + dir_ + "/data --pipeline-root " + root() +
            " --metadata " + db() + " --serving-dir " + dir_ +
            "/serving --train-steps 10 --eval-steps 2 --accuracy-threshold 0";
  }
  ~FaultyRun() { (void)RemoveAll(dir_); }

  std::string root() const { return dir_ + "/root"; }
  std::string db() const { return dir_ + "/m.sqlite"; }

  // Rank 1 runs with `fault` (e.g. "EDGEPIPE_CRASH_AT=runner.rank_executing.X")
  // in its environment; the job must fail. Returns its stderr.
  std::string RunWithFault(const std::string& fault) {
    const std::string cli = EDGEPIPE_CLI, err = dir_ + "/faulty.stderr";
    auto faulty = RunCommand(Mpirun() + "-np 1 " + cli + args_ + " : -np 1 env " + fault + " " +
                             cli + args_ + " 2>" + err);
    EXPECT_NE(faulty.exit_code, 0);
    return TextOf(err);
  }

  // Both ranks clean: the job must succeed. Its nodes' outcomes (empty if it
  // failed); `*stderr` gets its stderr.
  std::map<std::string, std::string> Rerun(std::string* stderr_text) {
    const std::string err = dir_ + "/rerun.stderr";
    auto rerun =
        RunCommand(Mpirun() + "-np 2 " + std::string(EDGEPIPE_CLI) + args_ + " --json 2>" + err);
    *stderr_text = TextOf(err);
    EXPECT_EQ(rerun.exit_code, 0) << *stderr_text;
    return Outcomes(nlohmann::json::parse(rerun.out, nullptr, false));
  }

 private:
  std::string dir_;
  std::string args_;
};

// Every execution of `node` in `executions` has an error_message containing `text`.
void ExpectErrorMessages(const nlohmann::json& executions, const std::string& node,
                         const std::string& text) {
  for (const auto& e : executions) {
    if (e["node_id"] != node) continue;
    EXPECT_NE(e["custom_properties"]["error_message"].get<std::string>().find(text),
              std::string::npos)
        << e.dump();
  }
}

TEST(MpiRunFaultTest, KilledRankEndsTheJobAndTheRerunCompletes) {
  FaultyRun run("kill");
  // Rank 1 dies (SIGKILL) as it starts StatisticsGen; rank 0 is inside it.
  const std::string killed =
      run.RunWithFault("EDGEPIPE_CRASH_AT=runner.rank_executing.StatisticsGen");
  // Consistent store: ExampleGen complete; StatisticsGen FAILED at the time
  // of the kill (mpirun stopped rank 0 with SIGTERM, whose termination watch
  // recorded it) and none of its artifacts LIVE; nothing downstream ran.
  nlohmann::json executions = Store("executions", run.db());
  EXPECT_EQ(StatesOf(executions, "ImportExampleGen"),
            (std::map<std::string, int>{{"COMPLETE", 1}}));
  EXPECT_EQ(StatesOf(executions, "StatisticsGen"), (std::map<std::string, int>{{"FAILED", 1}}))
      << killed;
  ExpectErrorMessages(executions, "StatisticsGen",
                      "terminated: the job was stopped by SIGTERM while this execution ran (under "
                      "mpirun: another rank died or the job was cancelled)");
  EXPECT_TRUE(StatesOf(executions, "SchemaGen").empty());
  for (const auto& a : Store("artifacts", run.db())) {
    EXPECT_NE(a["producer_node"], "StatisticsGen") << a.dump();
  }
  // The rerun finds nothing abandoned, reuses ExampleGen's examples and
  // completes.
  std::string err;
  const auto outcomes = run.Rerun(&err);
  EXPECT_EQ(err.find("left RUNNING"), std::string::npos) << err;
  EXPECT_EQ(outcomes.at("ImportExampleGen"), "cached");
  EXPECT_EQ(outcomes.at("StatisticsGen"), "executed");
  EXPECT_EQ(outcomes.at("Pusher.mnist_lite"), "executed");
  EXPECT_EQ(StatesOf(Store("executions", run.db()), "StatisticsGen"),
            (std::map<std::string, int>{{"COMPLETE", 1}, {"FAILED", 1}}));
}

TEST(MpiRunFaultTest, RankKilledInDataParallelTrainingFailsTheTrainerAtOnce) {
  FaultyRun run("kill_trainer");
  // Rank 1 dies (SIGKILL) as it starts Trainer.mnist, which runs on every
  // rank: rank 0 is inside it, waiting for rank 1 before run_fn.
  const std::string killed =
      run.RunWithFault("EDGEPIPE_CRASH_AT=runner.rank_executing.Trainer.mnist");
  nlohmann::json executions = Store("executions", run.db());
  EXPECT_EQ(StatesOf(executions, "Transform"), (std::map<std::string, int>{{"COMPLETE", 1}}));
  EXPECT_EQ(StatesOf(executions, "Trainer.mnist"), (std::map<std::string, int>{{"FAILED", 1}}))
      << killed;
  ExpectErrorMessages(executions, "Trainer.mnist", "terminated: the job was stopped by SIGTERM");
  for (const auto& a : Store("artifacts", run.db())) {
    EXPECT_NE(a["producer_node"], "Trainer.mnist") << a.dump();
  }
  // Nothing of the dead execution is published (its outputs were staged).
  EXPECT_FALSE(PathExists(run.root() + "/mnist_native_keras/Trainer.mnist/model"));
  std::string err;
  const auto outcomes = run.Rerun(&err);
  EXPECT_EQ(outcomes.at("Transform"), "cached");
  EXPECT_EQ(outcomes.at("Trainer.mnist"), "executed");
  EXPECT_EQ(outcomes.at("Pusher.mnist"), "executed");
  EXPECT_EQ(StatesOf(Store("executions", run.db()), "Trainer.mnist"),
            (std::map<std::string, int>{{"COMPLETE", 1}, {"FAILED", 1}}));
}

TEST(MpiRunFaultTest, FailingRankFailsTheNodeOnEveryRankAndTheStoreRecordsIt) {
  FaultyRun run("fail");
  const std::string log = run.RunWithFault("EDGEPIPE_FAIL_AT=statistics_gen.rank_files");
  EXPECT_NE(log.find("rank 1: injected failure at statistics_gen.rank_files"), std::string::npos)
      << log;
  nlohmann::json executions = Store("executions", run.db());
  EXPECT_EQ(StatesOf(executions, "StatisticsGen"), (std::map<std::string, int>{{"FAILED", 1}}));
  ExpectErrorMessages(executions, "StatisticsGen", "injected failure");
  EXPECT_TRUE(StatesOf(executions, "SchemaGen").empty());
  std::string err;
  const auto outcomes = run.Rerun(&err);
  EXPECT_EQ(outcomes.at("ImportExampleGen"), "cached");
  EXPECT_EQ(outcomes.at("StatisticsGen"), "executed");
}

// CsvExampleGen under `mpirun -np 2` against one process, through a pipeline
// library (CsvExampleGen -> StatisticsGen): the ranks infer the column types
// together (a column whose only FLOAT or BYTES values lie in one rank's rows
// still gets that type), each writes its shard of each split, and the shards
// in rank order are the one-process split's examples in order; the
// statistics are the same.
TEST(MpiRunCsvTest, CsvExampleGenShardsByRankLikeOneProcess) {
  const std::string dir = TempDir("csv");
  ASSERT_TRUE(CreateDirectories(dir + "/data").ok());
  // Two files of one split. Column "x" is INT except one FLOAT value in the
  // last rows (rank 1's share at 2 ranks, outside rank 0's type rows at odd
  // row numbers), "tag" has empty values, "name" is BYTES with quoting.
  std::string a = "id,x,tag,name\n", b = "id,x,tag,name\n";
  for (int i = 0; i < 150; ++i) {
    std::string& out = i < 90 ? a : b;
    out += std::to_string(i) + "," + (i == 147 ? std::string("2.5") : std::to_string(i % 7)) + "," +
           (i % 5 == 0 ? std::string() : std::to_string(i % 3)) + ",\"n, " + std::to_string(i) +
           "\"\n";
  }
  ASSERT_TRUE(WriteFileAtomic(dir + "/data/a.csv", a).ok());
  ASSERT_TRUE(WriteFileAtomic(dir + "/data/b.csv", b).ok());
  const std::string cli = EDGEPIPE_CLI;
  auto run = [&](const std::string& launcher, const std::string& name, const std::string& runner) {
    const std::string err = dir + "/" + name + ".stderr";
    auto r = RunCommand(launcher + cli + " run " + CSV_PIPELINE + " --data " + dir +
                        "/data --pipeline-root " + dir + "/" + name + " --metadata " + dir + "/" +
                        name + ".sqlite --runner " + runner + " --json 2>" + err);
    EXPECT_EQ(r.exit_code, 0) << TextOf(err);
    return r.exit_code;
  };
  ASSERT_EQ(run("", "one", "local"), 0);
  ASSERT_EQ(run(Mpirun() + "-np 2 ", "two", "mpi"), 0);
  auto single_dir = [&](const std::string& name, const std::string& node, const std::string& key) {
    const std::string d = dir + "/" + name + "/csv/" + node + "/" + key;
    auto entries = ListDirectory(d);
    EXPECT_TRUE(entries.ok() && entries->size() == 1) << d;
    return entries.ok() && !entries->empty() ? d + "/" + entries->front() : d;
  };
  const std::string one = single_dir("one", "CsvExampleGen", "examples");
  const std::string two = single_dir("two", "CsvExampleGen", "examples");
  int64_t total = 0;
  for (const std::string split : {"train", "eval"}) {
    auto names = ListDirectory(two + "/Split-" + split);
    ASSERT_TRUE(names.ok());
    EXPECT_EQ(*names, (std::vector<std::string>{"data_tfrecord-00000-of-00002.gz",
                                                "data_tfrecord-00001-of-00002.gz"}));
    auto expected =
        io::ReadAllRecords(one + "/Split-" + split + "/data_tfrecord-00000-of-00001.gz");
    ASSERT_TRUE(expected.ok()) << expected.status().ToString();
    std::vector<std::string> sharded;
    for (const std::string& name : *names) {
      auto shard = io::ReadAllRecords(two + "/Split-" + split + "/" + name);
      ASSERT_TRUE(shard.ok()) << shard.status().ToString();
      EXPECT_FALSE(shard->empty()) << split << " " << name;
      sharded.insert(sharded.end(), shard->begin(), shard->end());
    }
    // Byte for byte: the same types (x is FLOAT everywhere), the same split
    // for every example (TFX's hash), the one-process order.
    EXPECT_EQ(sharded, *expected) << split;
    total += static_cast<int64_t>(expected->size());
  }
  EXPECT_EQ(total, 150);
  auto stats_one = components::ReadStatistics(single_dir("one", "StatisticsGen", "statistics"));
  auto stats_two = components::ReadStatistics(single_dir("two", "StatisticsGen", "statistics"));
  ASSERT_TRUE(stats_one.ok() && stats_two.ok());
  ASSERT_EQ(stats_two->size(), stats_one->size());
  for (size_t i = 0; i < stats_one->size(); ++i) {
    testing::ExpectProtoClose((*stats_two)[i].statistics, (*stats_one)[i].statistics);
  }
}

TEST(MpiRunFaultTest, FailingRankInTransformFailsItOnEveryRankAndTheRerunCompletes) {
  FaultyRun run("transform_fail");
  // Rank 1 fails after the analysis, as it starts transforming the first split.
  const std::string log = run.RunWithFault("EDGEPIPE_FAIL_AT=transform.rank_split");
  EXPECT_NE(log.find("rank 1: injected failure at transform.rank_split"), std::string::npos) << log;
  nlohmann::json executions = Store("executions", run.db());
  EXPECT_EQ(StatesOf(executions, "Transform"), (std::map<std::string, int>{{"FAILED", 1}}));
  EXPECT_TRUE(StatesOf(executions, "Trainer.mnist").empty());
  for (const auto& a : Store("artifacts", run.db())) {
    EXPECT_NE(a["producer_node"], "Transform") << a.dump();
  }
  std::string err;
  const auto outcomes = run.Rerun(&err);
  EXPECT_EQ(outcomes.at("StatisticsGen"), "cached");
  EXPECT_EQ(outcomes.at("Transform"), "executed");
  EXPECT_EQ(outcomes.at("Pusher.mnist_lite"), "executed");
}

// `edgepipe run` with its metadata on a PostgreSQL server (a server of the
// test's own): the local runner, then the MPI runner on a second store, and a
// cached rerun.
TEST(MpiRunPostgresTest, RunsOnAPostgresStore) {
  auto server = testing::PostgresTestServer::Shared();
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  const std::string dir = TempDir("postgres");
  ASSERT_TRUE(CreateDirectories(dir + "/data").ok());
  ASSERT_TRUE(testing::WriteTinyMnist(dir + "/data", 120).ok());
  const std::string cli = EDGEPIPE_CLI;
  for (const std::string runner : {"local", "mpi"}) {
    auto uri = (*server)->CreateDatabase("edgepipe_run_" + runner);
    ASSERT_TRUE(uri.ok()) << uri.status().ToString();
    const std::string launcher = runner == "mpi" ? Mpirun() + "-np 2 " : "";
    const std::string command = launcher + cli + " run mnist --runner " + runner + " --data " +
                                dir + "/data --pipeline-root " + dir + "/" + runner +
                                " --metadata " + *uri + " --serving-dir " + dir + "/serving-" +
                                runner +
                                " --train-steps 10 --eval-steps 2 --accuracy-threshold 0 --json";
    for (const std::string expected : {"executed", "cached"}) {
      auto r = RunCommand(command + " 2>" + dir + "/pg.stderr");
      ASSERT_EQ(r.exit_code, 0) << runner << ": " << TextOf(dir + "/pg.stderr");
      const auto outcomes = Outcomes(nlohmann::json::parse(r.out, nullptr, false));
      EXPECT_EQ(outcomes.size(), 11u);
      for (const auto& [node, outcome] : outcomes) EXPECT_EQ(outcome, expected) << node;
    }
    nlohmann::json executions = Store("executions", *uri);
    EXPECT_EQ(StatesOf(executions, "StatisticsGen"),
              (std::map<std::string, int>{{"COMPLETE", 1}, {"CACHED", 1}}))
        << runner;
  }
  (void)RemoveAll(dir);
}

}  // namespace
}  // namespace edgepipe
