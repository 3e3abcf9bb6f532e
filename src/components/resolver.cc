#include "src/components/resolver.h"

#include "src/pipeline/resolver.h"

namespace edgepipe::components {

StatusOr<pipeline::Component> Resolver(const ResolverOptions& options) {
  pipeline::Component c;
  c.id = options.id;
  c.type = "Resolver";
  c.outputs = {{"model", "Model"}, {"model_blessing", "ModelBlessing"}};
  c.exec_properties = {{"strategy_class", "LatestBlessedModelStrategy"},
                       {"model_producer", options.model_producer}};
  const std::string producer = options.model_producer;
  c.resolve = [producer](metadata::MetadataStore& store,
                         const std::string& pipeline_name) -> StatusOr<pipeline::ArtifactMap> {
    ASSIGN_OR_RETURN(std::optional<pipeline::BlessedModel> found,
                     pipeline::LatestBlessedModelAndBlessing(store, pipeline_name, producer));
    pipeline::ArtifactMap out = {{"model", {}}, {"model_blessing", {}}};
    if (found) {
      out["model"].push_back(std::move(found->model));
      out["model_blessing"].push_back(std::move(found->blessing));
    }
    return out;
  };
  return c;
}

}  // namespace edgepipe::components
