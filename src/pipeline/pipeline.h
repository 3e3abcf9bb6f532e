// The TFX pipeline model: artifacts, channels, components and pipelines.
//
// A Component is one node of the DAG: it names its inputs as Channels (the
// output key of an upstream node), declares its outputs (key -> artifact type
// name), carries parameters (`exec_properties`) and a fingerprint of the user
// code, and an Executor that does the work. The LocalDagRunner
// (local_dag_runner.h) wires, caches, runs and records them in ML Metadata.
//
// These are plain values: copying a Pipeline copies its components (the
// executors are std::function values and are shared by copy). Nothing here is
// thread-safe to mutate; the runner only reads a Pipeline.
#ifndef EDGEPIPE_PIPELINE_PIPELINE_H_
#define EDGEPIPE_PIPELINE_PIPELINE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <variant>
#include <vector>

#include "src/core/collective.h"
#include "src/core/status.h"
#include "src/nn/gradient_reducer.h"

namespace edgepipe::metadata {
class MetadataStore;
}  // namespace edgepipe::metadata

namespace edgepipe::pipeline {

// An MLMD property value (int_value, double_value or string_value).
using PropertyValue = std::variant<int64_t, double, std::string>;

struct Artifact {
  int64_t id = 0;         // MLMD id; 0 until published
  std::string type_name;  // "Examples", "Model", "ModelEvaluation", "ModelBlessing",
                          // "PushedModel", "ExampleStatistics", "Schema", "ModelRun",
                          // "TransformGraph"
  std::string uri;
  // Properties become MLMD type properties of `type_name` (a property name
  // keeps one value type across a store), e.g. Examples:
  // "split_names" = "[\"train\", \"eval\"]".
  std::map<std::string, PropertyValue> properties;
  // e.g. "blessed" = 1, "pushed" = 1, "pushed_destination", "pushed_version".
  std::map<std::string, PropertyValue> custom_properties;
  std::string producer_node;  // node id that produced it
  std::string output_key;
};

using ArtifactMap = std::map<std::string, std::vector<Artifact>>;  // key -> artifacts

struct Channel {
  std::string producer_node;
  std::string output_key;
  std::string type_name;
};

// A folder an executor staged outside its outputs (the Pusher's version
// folder in a serving directory), to be renamed to `destination` when the
// execution is published. Both paths must be on one filesystem.
struct ExternalPublish {
  std::string staged;
  std::string destination;
};

// Renames each staged folder to its destination, never replacing anything
// (RenamePathNoReplace). On failure, undoes the renames already made and
// returns the error; the staged folders that remain are the caller's to remove.
Status ApplyExternalPublishes(const std::vector<ExternalPublish>& publishes);
// Removes each staged folder and, if `published`, each destination: the undo
// of ApplyExternalPublishes, also used to roll back a dead execution's
// publishes. Best effort; returns the first error.
Status RollBackExternalPublishes(const std::vector<ExternalPublish>& publishes, bool published);

// Builds a data-parallel gradient reducer (src/nn/gradient_reducer.h) over
// the MPI runner's group, for a component that trains on every rank (the
// Trainer of a module that declares data-parallel support, module.h). Called
// on every rank, from the thread that owns the group; the reducer it returns
// borrows the group and must not outlive the executor call. Errors: the
// runtime could not build one (e.g. a bad bucket size).
using GradientReducerFactory = std::function<StatusOr<std::unique_ptr<nn::GradientReducer>>()>;

// What an executor sees. All pointers are owned by the runner and valid for
// the duration of the executor call only.
struct ExecutionContext {
  const ArtifactMap* inputs;  // resolved input artifacts (published, with ids)
  // One artifact per output key, uri already set to a staging folder
  // (created, empty); the executor writes files there and may set
  // (custom_)properties. It must not add or remove keys or artifacts, nor
  // change a uri.
  ArtifactMap* outputs;
  const nlohmann::json* exec_properties;
  std::string pipeline_root, pipeline_name, node_id, run_id;
  int64_t execution_id;
  std::string tmp_dir;  // scratch folder, removed after the execution
  // Under the MPI runner (RunOptions::collective), the group of ranks; null
  // otherwise. A component with Component::runs_on_every_rank is called on
  // every rank at once and shards its work with it (rank(), size(), the
  // collectives from the calling thread); the others run on rank 0 alone and
  // see a null pointer. Borrowed for the call.
  Collective* collective = nullptr;
  // With `collective`, when the runner was given one
  // (RunOptions::gradient_reducer_factory): builds the gradient reducer of
  // data-parallel training over the group. Null otherwise (then a component
  // that would train on every rank trains on rank 0 alone). Borrowed for the
  // call.
  const GradientReducerFactory* make_gradient_reducer = nullptr;
  // Where PublishOnCommit records its publishes (owned by the runner or a test
  // harness); and, when set, how it makes them durable before returning (the
  // runner writes them into the RUNNING execution in the metadata store).
  std::vector<ExternalPublish>* external_publishes = nullptr;
  std::function<Status(const std::vector<ExternalPublish>&)> record_external_publishes;

  // Asks the runner to rename `staged` to `destination` when it publishes this
  // execution, in the same step as its outputs, so that a published folder
  // always has a COMPLETE execution in the store: the runner records both
  // paths before this returns (a run that dies later is rolled back by the
  // next run on the store), renames without replacing after the executor
  // succeeds, and removes both if the execution fails at any later point.
  // Call it BEFORE creating `staged`. Errors: no runner to publish, or the
  // store write failed.
  Status PublishOnCommit(const std::string& staged, const std::string& destination);

  // The one artifact of input `key`, or InvalidArgument naming the node and
  // key when there is none or several. The pointer lives as long as *inputs.
  StatusOr<const Artifact*> SingleInput(const std::string& key) const;
  // The one artifact of output `key` (the runner stages exactly one per key).
  StatusOr<Artifact*> SingleOutput(const std::string& key) const;
};

// Returns OK on success. A non-OK Status (or a thrown exception, which the
// runner catches) fails the node. Executors of independent nodes run
// concurrently on different threads.
using Executor = std::function<Status(ExecutionContext&)>;

// How a resolver node finds its outputs (TFX's ResolverStrategy): artifacts
// already published in the store (with ids), by output key, for the pipeline
// named; an empty list under a key when nothing qualifies. The store is
// borrowed for the call.
using ResolveFn = std::function<StatusOr<ArtifactMap>(metadata::MetadataStore& store,
                                                      const std::string& pipeline_name)>;

struct Component {
  // Node id, e.g. "Trainer.mnist_lite" (TFX .with_id) or "ImportExampleGen".
  // Used as a folder name: letters, digits, '.', '_' and '-' only.
  std::string id;
  std::string type;                            // component type, e.g. "Trainer"
  std::map<std::string, Channel> inputs;       // input key -> channel
  std::map<std::string, std::string> outputs;  // output key -> artifact type name
  nlohmann::json exec_properties;              // parameters (part of the cache key)
  std::string
      code_fingerprint;  // hash of user code (module file bytes etc.), part of the cache key
  Executor executor;
  // Set instead of `executor` for a resolver node (TFX's Resolver, e.g. the
  // latest blessed model as the Evaluator's baseline): the runner calls it on
  // every run (never cached), records a COMPLETE execution with INPUT events
  // to what it found, and hands those artifacts downstream as this node's
  // outputs. It creates no artifacts.
  ResolveFn resolve;
  // Under the MPI runner: true calls `executor` on every rank at once with
  // ExecutionContext::collective set (SPMD); each rank sees the same inputs
  // and staged output folders and writes only its own share of the files,
  // and only rank 0's output properties are published. False (the default,
  // and any component that does not shard its work) runs it on rank 0 alone
  // while the other ranks wait. Ignored by the one-process runner.
  bool runs_on_every_rank = false;

  // For wiring: {id, key, outputs.at(key)}. An undeclared key gives a Channel
  // with an empty type_name, which pipeline validation reports (no throw).
  Channel output(const std::string& key) const;
};

struct Pipeline {
  std::string name;
  std::string pipeline_root;
  std::vector<Component> components;
  bool enable_cache = true;
  // The SQLite MLMD store; empty means "<pipeline_root>/metadata.sqlite".
  std::string metadata_path;
};

// Checks the pipeline without touching disk: a name and root, unique and
// well-formed node ids and output keys, an executor per node, every input
// channel naming an existing node and a declared output key of the same
// artifact type, no reserved exec_properties names, and no cycle.
// InvalidArgument naming the node and key otherwise.
Status ValidatePipeline(const Pipeline& pipeline);

// Indices into pipeline.components in dependency order (stable: ties keep the
// components' order). Validates first.
StatusOr<std::vector<size_t>> TopologicalOrder(const Pipeline& pipeline);

// The execution custom property where the runner records an execution's
// ExternalPublishes while it runs: a JSON list of {"staged", "destination"}.
inline constexpr char kExternalPublishesProperty[] = "external_publishes";

// Names of the execution custom properties the runner writes itself; an
// exec_properties key may not use them.
bool IsReservedExecutionProperty(const std::string& name);

}  // namespace edgepipe::pipeline

#endif  // EDGEPIPE_PIPELINE_PIPELINE_H_
