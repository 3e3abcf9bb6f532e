// LocalDagRunner: runs a Pipeline in this process, TFX's way.
//
// For each run the runner registers in ML Metadata (src/metadata) the context
// types "pipeline", "pipeline_run" and "node" and the contexts <pipeline
// name>, <run id> and "<pipeline name>.<node id>" (run and node contexts have
// the pipeline context as parent). Each component type is an execution type
// named "edgepipe.components.<type>" (or the type itself if it contains a
// '.'). Every execution is associated to the three contexts and records its
// exec_properties, "component_id", "pipeline_name", "run_id" and "cache_key"
// as custom properties (and "error_message" when FAILED).
//
// Nodes run in dependency order, independent ones concurrently on up to
// RunOptions::max_parallel_nodes threads (at most kMaxThreads; if the OS
// refuses a thread, the run goes on with the threads it has and logs a line).
// For each node:
//   - cache key = SHA-256 over (a version tag, node id, component type, the
//     input artifacts' ids and URIs per input key in order, the canonical
//     JSON of exec_properties (sorted keys), the code fingerprint);
//   - cache hit (enable_cache and an earlier COMPLETE execution of the node
//     with that key whose outputs are all LIVE and present on disk): a new
//     CACHED execution with INPUT events and OUTPUT events to the old
//     artifacts; no new artifacts; the executor is not called;
//   - otherwise: a RUNNING execution; outputs staged in
//     <root>/<node>/.temp/<execution id>/<key>/; the executor runs; on success
//     each staged folder is renamed to <root>/<node>/<key>/<execution id>/ and
//     then ONE transaction publishes the LIVE artifacts, their OUTPUT events
//     and the COMPLETE state. On failure the staging folder is removed, the
//     execution is FAILED and every downstream node is skipped.
// So a run killed at any point leaves no COMPLETE execution whose outputs are
// not in place. Folders an executor publishes outside the root (the Pusher's
// serving versions, ExecutionContext::PublishOnCommit) are recorded in the
// RUNNING execution first and renamed into place just before the COMPLETE
// transaction; if that fails they are removed, so no FAILED execution has a
// published folder.
//
// One run at a time: Run holds an exclusive lock (flock, released by the
// kernel when the process dies) on <root>/.edgepipe.lock and on
// "<metadata path>.lock" for its whole length; a second run on either waits
// or fails (RunOptions::wait_for_lock). Holding both, a starting run
//   - marks FAILED every execution a dead process left RUNNING, removing what
//     it published or staged outside the root and its unrecorded output
//     folders (error_message says it was abandoned);
//   - removes <root>/<node>/.temp leftovers (no live run owns them).
//
// SPMD (RunOptions::collective, the MPI runner). Every rank of the group calls
// Run with the same pipeline. Rank 0 alone does all of the above: it holds
// the locks, talks to the metadata store, decides caching, resolves inputs,
// stages and publishes; it runs the nodes one at a time on the calling thread
// (the collectives are funneled through it). For each node it executes it
// broadcasts the node, its resolved input artifacts, the staged output
// folders and the execution id; then a node with
// Component::runs_on_every_rank runs its executor on every rank (each with
// ExecutionContext::collective and a scratch folder of its own), any other on
// rank 0 while the ranks wait; the ranks agree on the outcome (the lowest
// failing rank's error fails the node on every rank) before rank 0 publishes
// or records FAILED. At the end rank 0 broadcasts the RunResult, so every
// rank returns the same one (or the same error). If a collective fails (a
// rank died, a timeout), rank 0 records the node FAILED and every rank that
// notices aborts the job (Collective::Abort). A rank that dies makes the
// launcher stop the others (mpirun: SIGTERM, then SIGKILL 1 s later); the
// CLI's termination watch then has rank 0 record the node FAILED at once
// (FailRunningExecutions). A rank 0 that dies without that chance (SIGKILL)
// leaves a RUNNING execution that the next run marks FAILED, as for a killed
// one-process run. A group of size 1 runs as without one, but the executors
// see the collective (and get no gradient reducer: training in one process).
//
// Data-parallel training: a component with runs_on_every_rank that trains
// (the Trainer of a module that declares it, components/trainer.h) builds a
// gradient reducer over the group on every rank through
// ExecutionContext::make_gradient_reducer, which is
// RunOptions::gradient_reducer_factory.
//
// Thread-safety: Run may be called from any thread; concurrent runs on one
// root or store take turns. Failure: a pipeline that does not validate, or a
// store or root that cannot be opened/created, is the returned Status; a node
// failure is reported in its NodeResult and the Run itself returns OK.
#ifndef EDGEPIPE_PIPELINE_LOCAL_DAG_RUNNER_H_
#define EDGEPIPE_PIPELINE_LOCAL_DAG_RUNNER_H_

#include <cstdio>
#include <string>
#include <vector>

#include "src/core/collective.h"
#include "src/core/status.h"
#include "src/pipeline/pipeline.h"

namespace edgepipe::pipeline {

struct NodeResult {
  std::string node_id;
  // kResolved: a resolver node, whose outputs are existing artifacts it found.
  enum class Outcome {
    kExecuted,
    kCached,
    kResolved,
    kFailed,
    kSkipped
  } outcome = Outcome::kSkipped;
  int64_t execution_id = 0;  // the execution recorded for this run (0 if skipped)
  ArtifactMap outputs;       // published (or cached) output artifacts, with ids
  double seconds = 0;
  Status status;  // the executor's (or publishing) error when kFailed
};

// "executed", "cached", "resolved", "failed" or "skipped".
const char* OutcomeName(NodeResult::Outcome outcome);

struct RunResult {
  std::string run_id;
  std::vector<NodeResult> nodes;  // in the order of Pipeline::components
  double seconds = 0;

  // The node's result, or nullptr.
  const NodeResult* node(const std::string& node_id) const;
  // OK if no node failed; otherwise the first failure, with the node id as context.
  Status status() const;
};

struct RunOptions {
  int max_parallel_nodes = 2;
  FILE* log = stderr;  // human log lines ("[Trainer] executing (execution 7)"); nullptr: quiet
  // Run id (the pipeline_run context name); empty: the current UTC time
  // (ISO 8601 with microseconds, as TFX), made unique in the store.
  std::string run_id;
  // Another run holds the pipeline root or the metadata store: true waits for
  // it (a line on `log` says so), false fails at once (FailedPrecondition
  // naming the lock file and its holder).
  bool wait_for_lock = true;
  // The MPI runner (`mpirun -np N edgepipe run ... --runner mpi`): the group
  // of ranks, every one of which calls Run with the same pipeline. Borrowed
  // for the call; null runs in this process alone. See "SPMD" above.
  Collective* collective = nullptr;
  // With `collective`: how a component that trains data-parallel on every
  // rank (ExecutionContext::make_gradient_reducer, the Trainer) gets its
  // gradient reducer; every rank passes one (the CLI builds
  // mpi::MakeGradientReducer over the communicator it gives as
  // `collective`). Empty: such components train on rank 0 alone.
  //
  // A factory here rather than a method of Collective: Collective lives in
  // core/, below nn/, so it cannot name nn::GradientReducer without turning
  // the layers upside down, and a reducer over Collective's blocking
  // collectives would lose what makes MPI's worth having (non-blocking
  // bucketed allreduces that overlap the backward pass, gradient_allreduce.h).
  // The one that owns the communicator (the CLI, which links edgepipe_mpi)
  // knows how to build the fast one; pipeline/ and components/ stay free of
  // MPI, and a test can hand in any reducer.
  GradientReducerFactory gradient_reducer_factory;
};

class LocalDagRunner {
 public:
  static StatusOr<RunResult> Run(const Pipeline& pipeline, const RunOptions& options = {});
};

// For a process that is being stopped (a termination watch,
// core/termination_watch.h, on SIGTERM: mpirun ending the job because a rank
// died, Slurm or Kubernetes stopping it): marks FAILED, with `reason` as
// error_message, every execution that a run in this process has RUNNING,
// after rolling back what it published or staged outside the root and
// removing its output folders — what the next run would do to it as an
// abandoned execution, done at the time of the stop. From then on those runs
// record nothing more (their later store steps fail), so the caller should
// end the process. Returns how many executions it marked; the first error
// (the others are still tried). Thread-safe: call it from any thread but not
// from a signal handler; it waits for a run's publish step in progress.
StatusOr<int> FailRunningExecutions(const std::string& reason);

// The name of the execution type for a component type.
std::string ExecutionTypeName(const std::string& component_type);

// The cache key the runner computes for `component` given its resolved inputs
// (lower-case hex SHA-256).
std::string ComputeCacheKey(const Component& component, const ArtifactMap& inputs);

}  // namespace edgepipe::pipeline

#endif  // EDGEPIPE_PIPELINE_LOCAL_DAG_RUNNER_H_
