// Resolver-style queries over an MLMD store the LocalDagRunner wrote
// (TFX's LatestArtifactStrategy and LatestBlessedModelStrategy), for
// components that need a baseline (the Evaluator) and for the CLI.
//
// An artifact counts only if it is LIVE, attributed to the pipeline's context
// and its uri still exists on disk. "Newest" is the highest MLMD id.
//
// Thread-safety: as MetadataStore (borrowed for the call only). Failure: the
// store's errors; "nothing found" is nullopt, not an error.
#ifndef EDGEPIPE_PIPELINE_RESOLVER_H_
#define EDGEPIPE_PIPELINE_RESOLVER_H_

#include <optional>
#include <string>

#include "src/core/status.h"
#include "src/metadata/metadata_store.h"
#include "src/pipeline/pipeline.h"

namespace edgepipe::pipeline {

// ModelBlessing custom properties (TFX Evaluator's names).
inline constexpr char kBlessedProperty[] = "blessed";                  // int 1 = blessed
inline constexpr char kCurrentModelIdProperty[] = "current_model_id";  // int: the Model's id

// The newest usable artifact of `type_name` in pipeline `pipeline_name`, with
// producer_node and output_key filled in from its first OUTPUT event.
StatusOr<std::optional<Artifact>> LatestArtifact(metadata::MetadataStore& store,
                                                 const std::string& type_name,
                                                 const std::string& pipeline_name);

struct BlessedModel {
  Artifact model;
  Artifact blessing;
};

// The Model named (current_model_id) by the newest usable ModelBlessing with
// blessed = 1 in the pipeline, if that Model is itself usable. With
// `model_producer`, only Models produced by that node count (a pipeline with
// two Trainers, e.g. "Trainer.mnist_lite"); TFX's strategy takes any.
StatusOr<std::optional<BlessedModel>> LatestBlessedModelAndBlessing(
    metadata::MetadataStore& store, const std::string& pipeline_name,
    const std::string& model_producer = "");
// The model alone.
StatusOr<std::optional<Artifact>> LatestBlessedModel(metadata::MetadataStore& store,
                                                     const std::string& pipeline_name);

}  // namespace edgepipe::pipeline

#endif  // EDGEPIPE_PIPELINE_RESOLVER_H_
