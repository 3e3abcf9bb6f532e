// edgepipe: the command line. Thin by design: it parses flags, calls a
// library and prints. Human logs go to stderr, results (tables, --json) to
// stdout; any failure prints one line `error: <message>` and exits 1.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>

#include "src/cli/commands.h"

namespace {

// The one error line; a message spanning lines is folded onto it.
int PrintError(std::string message) {
  std::replace(message.begin(), message.end(), '\n', ' ');
  std::fprintf(stderr, "error: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"edgepipe: TFX pipelines with native TensorFlow Lite, in C++"};
  app.require_subcommand(1);
  edgepipe::cli::RegisterCommands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help is a ParseError with exit code 0: print what it asks for.
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
    // An unknown flag, a missing value, a number out of range.
    return PrintError(e.what());
  } catch (const std::exception& e) {
    // Libraries return Status; this is the last guard against a crash.
    return PrintError(std::string("internal: ") + e.what());
  }
  edgepipe::Status status = edgepipe::cli::LastCommandStatus();
  if (!status.ok()) return PrintError(status.message());
  return 0;
}
