// `edgepipe run mnist`: builds and runs the MNIST pipeline (examples/mnist);
// `edgepipe run PIPELINE.so`: runs the pipeline a user's library defines
// (components/module.h: EDGEPIPE_PIPELINE), with the same runner, caching,
// metadata and a generic summary (components/run_report.h).
#include <cstdio>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/cli/command_registry.h"
#include "src/components/module.h"
#include "src/components/run_report.h"
#include "src/core/files.h"
#include "src/core/termination_watch.h"
#include "src/examples/mnist/pipeline.h"
#include "src/pipeline/local_dag_runner.h"
#if EDGEPIPE_HAVE_MPI
#include "src/mpi/communicator.h"
#include "src/mpi/gradient_allreduce.h"
#endif

namespace edgepipe::cli {

namespace {

// `--runner mpi`: this process is one rank of an MPI job (mpirun, srun, an
// MPIJob); every rank runs the same command (local_dag_runner.h, "SPMD").
// Owns MPI for the length of the run.
class Runner {
 public:
  static StatusOr<std::unique_ptr<Runner>> Start(const std::string& name) {
    std::unique_ptr<Runner> runner(new Runner());
    if (name == "local") return runner;
#if EDGEPIPE_HAVE_MPI
    // Before MPI starts its threads (they inherit the blocked signals): when
    // the launcher stops this rank — mpirun does when another rank died —
    // rank 0 records its running execution FAILED there and then, instead of
    // leaving it RUNNING for the next run to find.
    ASSIGN_OR_RETURN(runner->watch_, TerminationWatch::Start(&RecordTermination));
    ASSIGN_OR_RETURN(runner->session_, mpi::MpiSession::Init(nullptr, nullptr));
    ASSIGN_OR_RETURN(runner->comm_, mpi::Communicator::WorldFromEnvironment());
    return runner;
#else
    return Status::Unimplemented(
        "--runner mpi: this edgepipe was built without Open MPI (install openmpi-bin "
        "libopenmpi-dev and configure with -DEDGEPIPE_MPI=ON)");
#endif
  }
  ~Runner() {
#if EDGEPIPE_HAVE_MPI
    comm_.reset();  // before MPI_Finalize
    session_.reset();
    watch_.reset();
#endif
  }
  // The group for RunOptions::collective; null for the local runner.
  Collective* group() const {
#if EDGEPIPE_HAVE_MPI
    return comm_.get();
#else
    return nullptr;
#endif
  }
  // RunOptions::gradient_reducer_factory: data-parallel Trainers get the
  // bucketed MPI allreduce over the communicator; empty for the local runner.
  pipeline::GradientReducerFactory reducer_factory() const {
#if EDGEPIPE_HAVE_MPI
    if (comm_ != nullptr) {
      mpi::Communicator* comm = comm_.get();
      return [comm]() -> StatusOr<std::unique_ptr<nn::GradientReducer>> {
        ASSIGN_OR_RETURN(std::unique_ptr<mpi::GradientAllreduce> reducer,
                         mpi::MakeGradientReducer(*comm));
        return std::unique_ptr<nn::GradientReducer>(std::move(reducer));
      };
    }
#endif
    return nullptr;
  }
  // Only rank 0 prints the summary (every rank returns the same result).
  bool prints() const { return group() == nullptr || group()->is_root(); }

 private:
  Runner() = default;
#if EDGEPIPE_HAVE_MPI
  // On the termination watch's thread (core/termination_watch.h).
  static void RecordTermination(int signal) {
    const std::string reason =
        std::string("terminated: the job was stopped by ") + TerminationWatch::SignalName(signal) +
        " while this execution ran (under mpirun: another rank died or the job was cancelled)";
    StatusOr<int> failed = pipeline::FailRunningExecutions(reason);
    if (!failed.ok()) {
      std::fprintf(stderr, "edgepipe: %s: recording the running executions FAILED: %s\n",
                   TerminationWatch::SignalName(signal), failed.status().ToString().c_str());
    } else if (*failed > 0) {
      std::fprintf(stderr, "edgepipe: %s: %d running execution(s) recorded FAILED; exiting\n",
                   TerminationWatch::SignalName(signal), *failed);
    }
  }

  std::unique_ptr<TerminationWatch> watch_;
  std::unique_ptr<mpi::MpiSession> session_;
  std::unique_ptr<mpi::Communicator> comm_;
#endif
};

constexpr char kRunnerHelp[] =
    "local: this process; mpi: every rank of an MPI job (mpirun -np N edgepipe run ... "
    "--runner mpi), rank 0 alone on the metadata store";

// `edgepipe run PIPELINE.so ...`.
void RegisterLibraryRun(CLI::App* run) {
  struct Flags {
    std::string library;
    components::PipelineArgs args;
    std::vector<std::string> sets;
    bool wait_for_lock = true;
    bool json = false;
    std::string runner = "local";
  };
  auto f = std::make_shared<Flags>();
  run->add_option("pipeline", f->library,
                  "A pipeline library (.so exporting EDGEPIPE_PIPELINE), or the subcommand mnist");
  run->add_option("--pipeline-root", f->args.pipeline_root, "Root of the artifacts")
      ->capture_default_str();
  run->add_option("--metadata", f->args.metadata_path,
                  "ML Metadata store: an SQLite file, or a PostgreSQL server as "
                  "postgresql://user@host:port/db")
      ->capture_default_str();
  run->add_option("--data", f->args.data_root, "The pipeline's data_root");
  run->add_option("--serving-dir", f->args.serving_model_dir, "The pipeline's serving_model_dir")
      ->capture_default_str();
  run->add_option("--module-file", f->args.module_file, "The pipeline's module_file (a .so)");
  run->add_option("--set", f->sets, "A pipeline parameter KEY=VALUE (repeatable)");
  run->add_flag("!--no-cache", f->args.enable_cache, "Execute every node again");
  run->add_flag("!--no-wait", f->wait_for_lock,
                "Fail at once if another run holds the pipeline root or metadata store");
  run->add_flag("--json", f->json, "Print the summary as JSON");
  run->add_option("--runner", f->runner, kRunnerHelp)
      ->capture_default_str()
      ->check(CLI::IsMember({"local", "mpi"}));
  run->callback([run, f] {
    if (!run->get_subcommands().empty()) return;  // `run mnist` ran its own callback
    if (f->library.empty()) {
      SetCommandStatus(Status::InvalidArgument(
          "run: name a pipeline library (PIPELINE.so) or a built-in pipeline (mnist)"));
      return;
    }
    // First: MPI (and its signal watch) before the library can start threads.
    auto runner = Runner::Start(f->runner);
    if (!runner.ok()) {
      SetCommandStatus(runner.status());
      return;
    }
    for (const std::string& set : f->sets) {
      const size_t eq = set.find('=');
      if (eq == std::string::npos || eq == 0) {
        SetCommandStatus(Status::InvalidArgument("--set " + set + ": expected KEY=VALUE"));
        return;
      }
      f->args.params[set.substr(0, eq)] = set.substr(eq + 1);
    }
    auto loaded = components::LoadModuleFile(f->library);
    if (!loaded.ok()) {
      SetCommandStatus(loaded.status());
      return;
    }
    if (loaded->pipeline_fn == nullptr) {
      SetCommandStatus(Status::InvalidArgument(
          f->library + ": defines no pipeline (export one with EDGEPIPE_PIPELINE)"));
      return;
    }
    auto pipeline = loaded->pipeline_fn(f->args);
    if (!pipeline.ok()) {
      SetCommandStatus(pipeline.status().WithContext(f->library));
      return;
    }
    if (pipeline->metadata_path.empty()) pipeline->metadata_path = f->args.metadata_path;
    if (!f->args.enable_cache) pipeline->enable_cache = false;
    if (Status made = CreateDirectories(pipeline->pipeline_root); !made.ok()) {
      SetCommandStatus(made);
      return;
    }
    auto result = pipeline::LocalDagRunner::Run(
        *pipeline, {.log = stderr,
                    .wait_for_lock = f->wait_for_lock,
                    .collective = (*runner)->group(),
                    .gradient_reducer_factory = (*runner)->reducer_factory()});
    if (!(*runner)->prints()) {
      SetCommandStatus(result.ok() ? result->status() : result.status());
      return;
    }
    if (!result.ok()) {
      SetCommandStatus(result.status());
      return;
    }
    auto report = components::MakeRunReport(*pipeline, *result);
    if (!report.ok()) {
      SetCommandStatus(report.status());
      return;
    }
    if (f->json) {
      std::printf("%s\n", components::RunReportJson(*report, *result).dump(2).c_str());
    } else {
      std::printf("%s", components::FormatRunReport(*report).c_str());
    }
    SetCommandStatus(result->status());
  });
}

}  // namespace

void RegisterRunCommand(CLI::App& app) {
  CLI::App* run = app.add_subcommand(
      "run", "Run a pipeline: a library defining one (PIPELINE.so) or a built-in one (mnist)");
  run->require_subcommand(0, 1);
  RegisterLibraryRun(run);
  CLI::App* mnist = run->add_subcommand(
      "mnist",
      "TFX's MNIST pipeline, native + lite: ExampleGen -> 2 Trainers -> 2 Evaluators "
      "-> 2 Pushers");
  auto options = std::make_shared<examples::mnist::MnistPipelineOptions>();
  mnist->add_option("--data", options->data_root, "Folder of MNIST IDX or TFRecord files")
      ->capture_default_str();
  mnist->add_option("--pipeline-root", options->pipeline_root, "Root of the artifacts")
      ->capture_default_str();
  mnist
      ->add_option("--metadata", options->metadata_path,
                   "ML Metadata store: an SQLite file, or a PostgreSQL server as "
                   "postgresql://user@host:port/db")
      ->capture_default_str();
  mnist
      ->add_option("--serving-dir", options->serving_model_dir,
                   "Pushers push to <serving-dir>/mnist and <serving-dir>/mnist_lite")
      ->capture_default_str();
  mnist->add_option("--train-steps", options->train_steps, "Trainer train_args.num_steps")
      ->capture_default_str()
      ->check(IntInRange(1, kMaxSteps));
  mnist->add_option("--eval-steps", options->eval_steps, "Trainer eval_args.num_steps")
      ->capture_default_str()
      ->check(IntInRange(1, kMaxSteps));
  mnist
      ->add_option("--accuracy-threshold", options->accuracy_threshold,
                   "Lower bound on SparseCategoricalAccuracy for blessing")
      ->capture_default_str()
      ->check(FiniteInRange(0, 1));
  mnist->add_option("--eval-config", options->eval_config_path,
                    "TFMA EvalConfig file (text proto or JSON) for both Evaluators");
  mnist->add_option("--seed", options->seed, "Training seed")
      ->capture_default_str()
      ->check(IntInRange(0, std::numeric_limits<int64_t>::max()));
  mnist
      ->add_option("--quantization", options->quantization,
                   "TFLite mode of Trainer.mnist_lite: none (float32), float16, dynamic "
                   "(int8 weights) or int8 (full integer, calibrated on training examples)")
      ->capture_default_str()
      ->check(CLI::IsMember({"none", "float16", "dynamic", "int8"}));
  mnist->add_flag("!--no-cache", options->enable_cache, "Execute every node again");
  mnist->add_flag("!--no-wait", options->wait_for_lock,
                  "Fail at once if another run holds the pipeline root or metadata store "
                  "(default: wait for it)");
  auto json = std::make_shared<bool>(false);
  mnist->add_flag("--json", *json, "Print the summary as JSON");
  auto runner_name = std::make_shared<std::string>("local");
  mnist->add_option("--runner", *runner_name, kRunnerHelp)
      ->capture_default_str()
      ->check(CLI::IsMember({"local", "mpi"}));
  mnist->callback([options, json, runner_name] {
    auto runner = Runner::Start(*runner_name);
    if (!runner.ok()) {
      SetCommandStatus(runner.status());
      return;
    }
    examples::mnist::MnistPipelineOptions run_options = *options;
    run_options.collective = (*runner)->group();
    run_options.gradient_reducer_factory = (*runner)->reducer_factory();
    auto summary = examples::mnist::RunMnistPipeline(run_options, stderr);
    if (!summary.ok()) {
      SetCommandStatus(summary.status());
      return;
    }
    if (!(*runner)->prints()) return;
    if (*json) {
      nlohmann::json out = {{"run_id", summary->run.run_id}, {"seconds", summary->run.seconds}};
      for (const auto& row : summary->models) {
        out["models"].push_back({{"model", row.model},
                                 {"format", row.format},
                                 {"model_bytes", row.model_bytes},
                                 {"train_steps_per_second", row.train_steps_per_second},
                                 {"eval_examples_per_second", row.eval_examples_per_second},
                                 {"example_count", row.example_count},
                                 {"sparse_categorical_accuracy", row.accuracy},
                                 {"blessed", row.blessed},
                                 {"pushed", row.pushed},
                                 {"pushed_destination", row.pushed_destination},
                                 {"evaluation", row.evaluation_uri}});
      }
      for (const auto& node : summary->run.nodes) {
        out["nodes"].push_back({{"id", node.node_id},
                                {"outcome", pipeline::OutcomeName(node.outcome)},
                                {"execution_id", node.execution_id},
                                {"seconds", node.seconds}});
      }
      std::printf("%s\n", out.dump(2).c_str());
    } else {
      std::printf("%s", examples::mnist::FormatMnistSummary(*summary).c_str());
    }
  });
}

}  // namespace edgepipe::cli
