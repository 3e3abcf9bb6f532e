// Read-only views of an MLMD store for the `edgepipe runs | executions |
// artifacts | lineage` commands. Each function returns plain structs; the CLI
// formats them. They rely on the conventions the pipeline runner records,
// which are TFX's:
//   - context types "pipeline" (name = pipeline name), "pipeline_run"
//     (name = run id) and "node" (name = "<pipeline>.<node id>"), with
//     ParentContext links run -> pipeline and node -> pipeline;
//   - every execution is associated to its pipeline, run and node contexts and
//     carries the custom properties "component_id" (node id), "pipeline_name"
//     and "run_id";
//   - events carry the input/output key as the first path step.
//
// Thread-safety: as MetadataStore (the store is borrowed for the call only).
// Failure: the store's errors, NotFound for an unknown artifact id.
#ifndef EDGEPIPE_METADATA_LINEAGE_H_
#define EDGEPIPE_METADATA_LINEAGE_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "src/core/status.h"
#include "src/metadata/metadata_store.h"

namespace edgepipe::metadata {

// Context type names (TFX's).
inline constexpr char kPipelineContextType[] = "pipeline";
inline constexpr char kPipelineRunContextType[] = "pipeline_run";
inline constexpr char kNodeContextType[] = "node";

// Execution custom properties the runner records.
inline constexpr char kComponentIdProperty[] = "component_id";
inline constexpr char kPipelineNameProperty[] = "pipeline_name";
inline constexpr char kRunIdProperty[] = "run_id";

struct RunSummary {
  int64_t context_id = 0;
  std::string pipeline_name;
  std::string run_id;
  int64_t create_time_since_epoch = 0;  // ms
  int64_t last_update_time_since_epoch = 0;
  int num_executions = 0;
  std::map<std::string, int> executions_by_state;  // "COMPLETE" -> 3, "CACHED" -> 2, ...
};

struct ExecutionSummary {
  int64_t id = 0;
  std::string type;  // execution type, e.g. "edgepipe.components.Trainer"
  std::string node_id;
  std::string pipeline_name;
  std::string run_id;
  Execution::State state = Execution::State::kUnknown;
  int64_t create_time_since_epoch = 0;
  int64_t last_update_time_since_epoch = 0;
  std::vector<int64_t> input_artifact_ids;   // INPUT events, by id
  std::vector<int64_t> output_artifact_ids;  // OUTPUT events, by id
  PropertyMap custom_properties;
};

struct ArtifactSummary {
  int64_t id = 0;
  std::string type;
  std::string uri;
  Artifact::State state = Artifact::State::kUnknown;
  int64_t producer_execution_id = 0;  // first execution with an OUTPUT event; 0 if none
  std::string producer_node;          // its component_id
  std::string output_key;             // the OUTPUT event's key
  int64_t create_time_since_epoch = 0;
  PropertyMap properties;
  PropertyMap custom_properties;
};

// All runs, oldest first.
StatusOr<std::vector<RunSummary>> ListRuns(MetadataStore& store);
// All executions (or those of one run id), by id.
StatusOr<std::vector<ExecutionSummary>> ListExecutions(MetadataStore& store,
                                                       const std::string& run_id = "");
// All artifacts (or those of one type name), by id.
StatusOr<std::vector<ArtifactSummary>> ListArtifacts(MetadataStore& store,
                                                     const std::string& type_name = "");

enum class LineageDirection { kUpstream, kDownstream };

// The provenance subgraph around one artifact: upstream follows
// artifact <-OUTPUT- execution <-INPUT- artifact ... (what it was made from);
// downstream follows artifact -INPUT-> execution -OUTPUT-> artifact (what was
// made from it). Breadth-first, at most `max_hops` executions deep. The root
// artifact is artifacts[0]. CACHED executions are included (they consumed and
// re-emitted the same artifacts).
struct LineageGraph {
  int64_t root_artifact_id = 0;
  std::vector<ArtifactSummary> artifacts;
  std::vector<ExecutionSummary> executions;
  std::vector<Event> events;
};
StatusOr<LineageGraph> GetLineage(MetadataStore& store, int64_t artifact_id,
                                  LineageDirection direction = LineageDirection::kUpstream,
                                  int max_hops = 32);

}  // namespace edgepipe::metadata

#endif  // EDGEPIPE_METADATA_LINEAGE_H_
