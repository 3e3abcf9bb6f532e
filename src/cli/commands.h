// Registers the edgepipe verbs on a CLI11 app. Each verb's callback runs a
// library call and stores its Status, read back by main() after parsing.
#ifndef EDGEPIPE_CLI_COMMANDS_H_
#define EDGEPIPE_CLI_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "src/core/status.h"

namespace edgepipe::cli {

void RegisterCommands(CLI::App& app);
// The Status of the verb that ran (OK if none failed).
Status LastCommandStatus();

}  // namespace edgepipe::cli

#endif  // EDGEPIPE_CLI_COMMANDS_H_
