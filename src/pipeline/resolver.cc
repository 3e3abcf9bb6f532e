#include "src/pipeline/resolver.h"

#include "src/core/files.h"
#include "src/metadata/lineage.h"

namespace edgepipe::pipeline {
namespace {

namespace md = ::edgepipe::metadata;

bool Usable(const md::Artifact& a) {
  return a.state == md::Artifact::State::kLive && !a.uri.empty() && PathExists(a.uri);
}

// Fills producer_node/output_key from the artifact's first OUTPUT event.
StatusOr<Artifact> WithProducer(md::MetadataStore& store, const md::Artifact& a) {
  Artifact out;
  out.id = a.id;
  out.type_name = a.type;
  out.uri = a.uri;
  out.properties = a.properties;
  out.custom_properties = a.custom_properties;
  ASSIGN_OR_RETURN(std::vector<md::Event> events, store.GetEventsByArtifactIDs({a.id}));
  for (const md::Event& e : events) {  // ordered by event id: the first is the producer
    if (e.type != md::Event::Type::kOutput) continue;
    if (!e.path.empty() && std::holds_alternative<std::string>(e.path[0].value)) {
      out.output_key = std::get<std::string>(e.path[0].value);
    }
    ASSIGN_OR_RETURN(std::vector<md::Execution> execs, store.GetExecutionsByID({e.execution_id}));
    if (!execs.empty()) {
      auto it = execs[0].custom_properties.find(md::kComponentIdProperty);
      if (it != execs[0].custom_properties.end() &&
          std::holds_alternative<std::string>(it->second)) {
        out.producer_node = std::get<std::string>(it->second);
      }
    }
    break;
  }
  return out;
}

// Usable artifacts of a type in the pipeline, newest first.
StatusOr<std::vector<md::Artifact>> Candidates(md::MetadataStore& store,
                                               const std::string& type_name,
                                               const std::string& pipeline_name) {
  std::vector<md::Artifact> out;
  ASSIGN_OR_RETURN(std::optional<md::Context> ctx,
                   store.GetContextByTypeAndName(md::kPipelineContextType, pipeline_name));
  if (!ctx) return out;
  ASSIGN_OR_RETURN(std::vector<md::Artifact> all, store.GetArtifactsByContext(ctx->id));
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (it->type == type_name && Usable(*it)) out.push_back(std::move(*it));
  }
  return out;
}

}  // namespace

StatusOr<std::optional<Artifact>> LatestArtifact(md::MetadataStore& store,
                                                 const std::string& type_name,
                                                 const std::string& pipeline_name) {
  ASSIGN_OR_RETURN(std::vector<md::Artifact> c, Candidates(store, type_name, pipeline_name));
  if (c.empty()) return std::optional<Artifact>();
  ASSIGN_OR_RETURN(Artifact a, WithProducer(store, c.front()));
  return std::optional<Artifact>(std::move(a));
}

StatusOr<std::optional<BlessedModel>> LatestBlessedModelAndBlessing(
    md::MetadataStore& store, const std::string& pipeline_name, const std::string& model_producer) {
  ASSIGN_OR_RETURN(std::vector<md::Artifact> blessings,
                   Candidates(store, "ModelBlessing", pipeline_name));
  for (const md::Artifact& b : blessings) {
    auto blessed = b.custom_properties.find(kBlessedProperty);
    auto model_id = b.custom_properties.find(kCurrentModelIdProperty);
    if (blessed == b.custom_properties.end() || model_id == b.custom_properties.end()) continue;
    if (!std::holds_alternative<int64_t>(blessed->second) ||
        std::get<int64_t>(blessed->second) != 1 ||
        !std::holds_alternative<int64_t>(model_id->second)) {
      continue;
    }
    ASSIGN_OR_RETURN(std::vector<md::Artifact> models,
                     store.GetArtifactsByID({std::get<int64_t>(model_id->second)}));
    if (models.empty() || models[0].type != "Model" || !Usable(models[0])) continue;
    ASSIGN_OR_RETURN(Artifact model, WithProducer(store, models[0]));
    if (!model_producer.empty() && model.producer_node != model_producer) continue;
    ASSIGN_OR_RETURN(Artifact blessing, WithProducer(store, b));
    return std::optional<BlessedModel>(BlessedModel{std::move(model), std::move(blessing)});
  }
  return std::optional<BlessedModel>();
}

StatusOr<std::optional<Artifact>> LatestBlessedModel(md::MetadataStore& store,
                                                     const std::string& pipeline_name) {
  ASSIGN_OR_RETURN(std::optional<BlessedModel> found,
                   LatestBlessedModelAndBlessing(store, pipeline_name));
  if (!found) return std::optional<Artifact>();
  return std::optional<Artifact>(std::move(found->model));
}

}  // namespace edgepipe::pipeline
