// Internals shared by the edgepipe verb groups (one .cc file per group).
// Each Register* adds its subcommands to the app; their callbacks store the
// verb's Status with SetCommandStatus, which main() reads back through
// LastCommandStatus() after parsing. Single-threaded (CLI11 callbacks run on
// the main thread).
#ifndef EDGEPIPE_CLI_COMMAND_REGISTRY_H_
#define EDGEPIPE_CLI_COMMAND_REGISTRY_H_

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "src/core/status.h"

namespace edgepipe::cli {

void SetCommandStatus(Status status);

void RegisterRunCommand(CLI::App& app);        // run mnist
void RegisterExamplesCommand(CLI::App& app);   // examples show
void RegisterMetadataCommands(CLI::App& app);  // runs, executions, artifacts, lineage
void RegisterEvalCommands(CLI::App& app);      // eval show
void RegisterStatsCommands(CLI::App& app);     // stats show
void RegisterLiteCommands(CLI::App& app);      // lite inspect|predict|convert|bench

// Formats rows under a header as left-aligned columns separated by two
// spaces, each line ending in '\n'. Rows shorter than the header are padded.
std::string FormatTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows);

}  // namespace edgepipe::cli

#endif  // EDGEPIPE_CLI_COMMAND_REGISTRY_H_
