// Test-only: runs one component's executor outside a runner, with input
// artifacts and staged output folders made by hand under a temp folder.
#ifndef EDGEPIPE_COMPONENTS_COMPONENT_TEST_UTIL_H_
#define EDGEPIPE_COMPONENTS_COMPONENT_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "src/core/files.h"
#include "src/pipeline/pipeline.h"
#include "tests/support/temp_dir.h"

namespace edgepipe::components {

using ::edgepipe::testing::FreshTempDir;  // a fresh empty folder for one test

// Holds everything an ExecutionContext points to.
struct ExecutorHarness {
  pipeline::ArtifactMap inputs;
  pipeline::ArtifactMap outputs;
  nlohmann::json exec_properties;
  pipeline::ExecutionContext ctx;
  std::vector<pipeline::ExternalPublish> external_publishes;

  // Stages one empty folder per output key of `component` under `root`.
  ExecutorHarness(const pipeline::Component& component, const std::string& root) {
    exec_properties = component.exec_properties;
    for (const auto& [key, type] : component.outputs) {
      pipeline::Artifact a;
      a.type_name = type;
      a.uri = JoinPath(root, component.id + "/" + key);
      a.producer_node = component.id;
      a.output_key = key;
      EXPECT_TRUE(CreateDirectories(a.uri).ok());
      outputs[key].push_back(a);
    }
    ctx.inputs = &inputs;
    ctx.outputs = &outputs;
    ctx.exec_properties = &exec_properties;
    ctx.pipeline_root = root;
    ctx.pipeline_name = "test";
    ctx.node_id = component.id;
    ctx.run_id = "run";
    ctx.execution_id = 1;
    ctx.tmp_dir = JoinPath(root, component.id + "/.tmp");
    EXPECT_TRUE(CreateDirectories(ctx.tmp_dir).ok());
    ctx.external_publishes = &external_publishes;
  }

  // Runs the executor, then publishes what it staged outside its outputs as
  // the runner would (each Run is a new execution with its own id).
  Status Run(const pipeline::Component& component) {
    external_publishes.clear();
    Status st = component.executor(ctx);
    if (st.ok()) st = pipeline::ApplyExternalPublishes(external_publishes);
    if (!st.ok()) (void)pipeline::RollBackExternalPublishes(external_publishes, false);
    ++ctx.execution_id;
    return st;
  }
  pipeline::Artifact& output(const std::string& key) { return outputs.at(key).front(); }
};

}  // namespace edgepipe::components

#endif  // EDGEPIPE_COMPONENTS_COMPONENT_TEST_UTIL_H_
