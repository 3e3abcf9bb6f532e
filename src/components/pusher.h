// Pusher: copies a blessed model to its serving destination.
//
// Inputs: `model` (Model) and `model_blessing` (ModelBlessing). If the
// blessing says BLESSED, `<model>/Format-Serving/` is copied to
// `<base_directory>/<unix-seconds>/` (TFX's push_destination.filesystem; the
// version is bumped if that folder exists) and into the PushedModel artifact;
// custom properties `pushed` = 1, `pushed_destination`, `pushed_version`. A
// model that is not blessed is not pushed: `pushed` = 0 and nothing is copied.
// The copy goes to a hidden staging folder `.<version>.incomplete-<execution
// id>` beside the versions, which the runner renames into place when it
// publishes the execution (ExecutionContext::PublishOnCommit): a version folder
// exists only for a COMPLETE Pusher execution, and a run killed mid-push is
// rolled back by the next run on the same metadata store.
#ifndef EDGEPIPE_COMPONENTS_PUSHER_H_
#define EDGEPIPE_COMPONENTS_PUSHER_H_

#include <string>

#include "src/pipeline/pipeline.h"

namespace edgepipe::components {

struct PusherOptions {
  std::string id = "Pusher";
  pipeline::Channel model;
  pipeline::Channel model_blessing;
  std::string base_directory;
};

pipeline::Component Pusher(const PusherOptions& options);

}  // namespace edgepipe::components

#endif  // EDGEPIPE_COMPONENTS_PUSHER_H_
