// `edgepipe anomalies show ARTIFACT`: ExampleValidator's anomalies in plain
// words, per split (components/example_validator.h reads them,
// data/validation.h lists them). Anomalies are findings, not errors: the exit
// status is 0 whatever they say.
#include <cstdio>
#include <memory>
#include <string>

#include "src/cli/command_registry.h"
#include "src/components/example_validator.h"
#include "src/data/validation.h"

namespace edgepipe::cli {

namespace {

Status ShowAnomalies(const std::string& path) {
  ASSIGN_OR_RETURN(std::vector<components::SplitAnomalies> splits, components::ReadAnomalies(path));
  for (const components::SplitAnomalies& split : splits) {
    const std::string title = split.split.empty() ? "(file)" : split.split;
    std::vector<data::AnomalyLine> lines = data::ListAnomalies(split.anomalies);
    if (lines.empty()) {
      std::printf("split %s: no anomalies (%s)\n", title.c_str(), split.path.c_str());
    } else {
      std::printf("split %s: %zu %s (%s)\n", title.c_str(), lines.size(),
                  lines.size() == 1 ? "anomaly" : "anomalies", split.path.c_str());
      for (const data::AnomalyLine& line : lines) {
        std::printf("  %s\n", data::FormatAnomalyLine(line).c_str());
      }
    }
    for (const std::string& m : data::ListMeasurements(split.anomalies)) {
      std::printf("  %s\n", m.c_str());
    }
  }
  return Status::OK();
}

}  // namespace

void RegisterAnomaliesCommands(CLI::App& app) {
  CLI::App* anomalies =
      app.add_subcommand("anomalies", "Read data anomalies (ExampleValidator output)");
  anomalies->require_subcommand(1);
  CLI::App* show = anomalies->add_subcommand(
      "show",
      "Print per split 'no anomalies' or one line per anomaly (feature, type, description), "
      "then the drift measurements; exit status 0 either way");
  auto path = std::make_shared<std::string>();
  show->add_option("ARTIFACT", *path,
                   "An ExampleValidator anomalies folder (Split-*/SchemaDiff.pb) or one "
                   "SchemaDiff.pb file")
      ->required();
  show->callback([path] { SetCommandStatus(ShowAnomalies(*path)); });
}

}  // namespace edgepipe::cli
