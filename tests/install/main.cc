// A tiny pipeline written against the installed package:
// ImportExampleGen over generated tf.Examples -> StatisticsGen -> SchemaGen,
// run twice with LocalDagRunner (executed, then all cached). Checks the
// results and prints the artifact folders for run_install_test.sh.
//
// Usage: tiny_pipeline WORK_DIR
#include <edgepipe/edgepipe.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

// Not in the umbrella: writing tf.Examples is a tool's job, not a pipeline's.
#include "src/io/example.h"
#include "src/io/tfrecord.h"

namespace ep = edgepipe;

namespace {

ep::Status WriteExamples(const std::string& path) {
  std::vector<std::string> records;
  for (int i = 0; i < 60; ++i) {
    tensorflow::Example example;
    ep::io::SetFloatFeature("x", {0.5f * i, 1.0f}, &example);
    ep::io::SetInt64Feature("label", {i % 3}, &example);
    ep::io::SetBytesFeature("color", {i % 2 ? "red" : "blue"}, &example);
    records.push_back(ep::io::SerializeDeterministic(example));
  }
  return ep::io::WriteAllRecords(path, records, ep::io::Compression::kGzip);
}

ep::StatusOr<ep::pipeline::Pipeline> CreatePipeline(const std::string& work) {
  ep::pipeline::Pipeline pipeline{.name = "tiny", .pipeline_root = work + "/root"};
  ASSIGN_OR_RETURN(auto example_gen,
                   ep::components::ImportExampleGen({.input_base = work + "/data"}));
  ASSIGN_OR_RETURN(auto statistics_gen,
                   ep::components::StatisticsGen({.examples = example_gen.output("examples")}));
  ASSIGN_OR_RETURN(auto schema_gen,
                   ep::components::SchemaGen({.statistics = statistics_gen.output("statistics")}));
  pipeline.components = {example_gen, statistics_gen, schema_gen};
  return pipeline;
}

ep::Status Run(const std::string& work) {
  std::error_code error;
  std::filesystem::create_directories(work + "/data", error);
  if (error) return ep::Status::IOError(work + "/data: " + error.message());
  RETURN_IF_ERROR(WriteExamples(work + "/data/examples.tfrecord.gz"));
  ASSIGN_OR_RETURN(auto pipeline, CreatePipeline(work));

  using Outcome = ep::pipeline::NodeResult::Outcome;
  for (Outcome expected : {Outcome::kExecuted, Outcome::kCached}) {
    ASSIGN_OR_RETURN(auto result, ep::pipeline::LocalDagRunner::Run(pipeline));
    RETURN_IF_ERROR(result.status());
    for (const auto& node : result.nodes) {
      if (node.outcome != expected) {
        return ep::Status::Internal(node.node_id + ": unexpected outcome " +
                                    std::to_string(static_cast<int>(node.outcome)));
      }
    }
    if (expected == Outcome::kCached) {
      std::printf("statistics %s\n",
                  result.node("StatisticsGen")->outputs.at("statistics")[0].uri.c_str());
      const std::string schema_uri = result.node("SchemaGen")->outputs.at("schema")[0].uri;
      ASSIGN_OR_RETURN(auto schema, ep::components::ReadSchema(schema_uri));
      std::vector<std::string> names;
      for (const auto& feature : schema.feature()) names.push_back(feature.name());
      std::sort(names.begin(), names.end());
      if (names != std::vector<std::string>{"color", "label", "x"}) {
        return ep::Status::Internal(schema_uri + ": unexpected features");
      }
      std::printf("schema %s (%d features)\n", schema_uri.c_str(), schema.feature_size());
    }
  }
  return ep::Status::OK();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s WORK_DIR\n", argv[0]);
    return 2;
  }
  ep::Status status = Run(argv[1]);
  if (!status.ok()) {
    std::fprintf(stderr, "error: %s\n", status.message().c_str());
    return 1;
  }
  std::printf("tiny pipeline OK\n");
  return 0;
}
