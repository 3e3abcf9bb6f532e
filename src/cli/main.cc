// edgepipe: the command line. Thin by design: it parses flags, calls a
// library and prints. Human logs go to stderr, results (tables, --json) to
// stdout; any failure prints one line `error: <message>` and exits 1.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "src/cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"edgepipe: TFX pipelines with native TensorFlow Lite, in C++"};
  app.require_subcommand(1);
  edgepipe::cli::RegisterCommands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  edgepipe::Status status = edgepipe::cli::LastCommandStatus();
  if (!status.ok()) {
    std::fprintf(stderr, "error: %s\n", status.message().c_str());
    return 1;
  }
  return 0;
}
