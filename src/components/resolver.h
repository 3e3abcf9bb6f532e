// Resolver: TFX's Resolver node with LatestBlessedModelStrategy, which gives
// an Evaluator the model to compare the new one with.
//
//   auto baseline = Resolver({.id = "latest_blessed_model_resolver"});
//   Evaluator({..., .baseline_model = baseline.output("model")});
//
// On every run (it is never cached) it looks in the metadata store for the
// newest ModelBlessing of this pipeline with blessed = 1 whose Model is still
// usable, and outputs that Model (`model`) and that blessing
// (`model_blessing`): existing artifacts, no new ones. On a pipeline's first
// run there is none, both outputs are empty, and an Evaluator with change
// thresholds rubber-stamps (TFX's behaviour). It has no inputs, so it runs
// before the Trainer: the baseline is what earlier runs blessed.
#ifndef EDGEPIPE_COMPONENTS_RESOLVER_H_
#define EDGEPIPE_COMPONENTS_RESOLVER_H_

#include <string>

#include "src/core/status.h"
#include "src/pipeline/pipeline.h"

namespace edgepipe::components {

struct ResolverOptions {
  std::string id = "latest_blessed_model_resolver";
  // Only Models produced by this node count (e.g. "Trainer.mnist_lite" in a
  // pipeline whose two Trainers are blessed by two Evaluators); empty: any
  // Model of the pipeline, as TFX's strategy.
  std::string model_producer;
};

StatusOr<pipeline::Component> Resolver(const ResolverOptions& options);

}  // namespace edgepipe::components

#endif  // EDGEPIPE_COMPONENTS_RESOLVER_H_
