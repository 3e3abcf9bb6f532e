#include "src/components/pusher.h"

#include <ctime>

#include "src/core/crash_point.h"
#include "src/core/files.h"

namespace edgepipe::components {

namespace {

bool IsBlessed(const pipeline::Artifact& blessing) {
  auto it = blessing.custom_properties.find("blessed");
  if (it != blessing.custom_properties.end() && std::holds_alternative<int64_t>(it->second)) {
    return std::get<int64_t>(it->second) == 1;
  }
  // Older or foreign blessings: trust the marker file, as TFX does.
  return PathExists(JoinPath(blessing.uri, "BLESSED"));
}

Status Push(pipeline::ExecutionContext& ctx, const std::string& base_directory) {
  ASSIGN_OR_RETURN(const pipeline::Artifact* model, ctx.SingleInput("model"));
  ASSIGN_OR_RETURN(const pipeline::Artifact* blessing, ctx.SingleInput("model_blessing"));
  ASSIGN_OR_RETURN(pipeline::Artifact * pushed_ptr, ctx.SingleOutput("pushed_model"));
  pipeline::Artifact& pushed = *pushed_ptr;
  if (!IsBlessed(*blessing)) {
    pushed.custom_properties["pushed"] = int64_t{0};
    return Status::OK();
  }
  std::string serving = JoinPath(model->uri, "Format-Serving");
  if (!IsDirectory(serving)) {
    return Status::NotFound(serving + ": model has no Format-Serving folder to push");
  }
  RETURN_IF_ERROR(CreateDirectories(base_directory));
  // TFX names the version by the push time in seconds; two pushes in one
  // second get consecutive numbers instead of overwriting each other.
  int64_t version = static_cast<int64_t>(std::time(nullptr));
  std::string destination;
  for (;; ++version) {
    destination = JoinPath(base_directory, std::to_string(version));
    if (!PathExists(destination)) break;
  }
  // The version folder appears only when the runner publishes this execution
  // (renamed from the staging folder in the same step as the PushedModel
  // artifact), so the serving directory never holds a version that the
  // metadata store does not record. The staging name carries the execution id:
  // it is this execution's alone, and a dead run's is found from its record.
  std::string staging = JoinPath(base_directory, "." + std::to_string(version) + ".incomplete-" +
                                                     std::to_string(ctx.execution_id));
  RETURN_IF_ERROR(ctx.PublishOnCommit(staging, destination));
  CrashPoint("pusher.after_recording_publish");
  RETURN_IF_ERROR(RemoveAll(staging));
  RETURN_IF_ERROR(CopyRecursively(serving, staging));
  CrashPoint("pusher.after_staging");
  // The PushedModel artifact keeps its own copy, as TFX's does.
  RETURN_IF_ERROR(CopyRecursively(serving, pushed.uri));
  pushed.custom_properties["pushed"] = int64_t{1};
  pushed.custom_properties["pushed_destination"] = destination;
  pushed.custom_properties["pushed_version"] = std::to_string(version);
  return Status::OK();
}

}  // namespace

pipeline::Component Pusher(const PusherOptions& options) {
  pipeline::Component c;
  c.id = options.id;
  c.type = "Pusher";
  c.inputs = {{"model", options.model}, {"model_blessing", options.model_blessing}};
  c.outputs = {{"pushed_model", "PushedModel"}};
  c.exec_properties = {
      {"push_destination", {{"filesystem", {{"base_directory", options.base_directory}}}}}};
  std::string base = options.base_directory;
  c.executor = [base](pipeline::ExecutionContext& ctx) { return Push(ctx, base); };
  return c;
}

}  // namespace edgepipe::components
