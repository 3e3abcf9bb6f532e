// Internals shared by the edgepipe verb groups (one .cc file per group).
// Each Register* adds its subcommands to the app; their callbacks store the
// verb's Status with SetCommandStatus, which main() reads back through
// LastCommandStatus() after parsing. Single-threaded (CLI11 callbacks run on
// the main thread).
#ifndef EDGEPIPE_CLI_COMMAND_REGISTRY_H_
#define EDGEPIPE_CLI_COMMAND_REGISTRY_H_

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "src/core/status.h"

namespace edgepipe::cli {

void SetCommandStatus(Status status);

void RegisterRunCommand(CLI::App& app);         // run mnist | run PIPELINE.so
void RegisterExamplesCommand(CLI::App& app);    // examples show
void RegisterMetadataCommands(CLI::App& app);   // runs, executions, artifacts, lineage
void RegisterEvalCommands(CLI::App& app);       // eval show
void RegisterStatsCommands(CLI::App& app);      // stats show|html
void RegisterAnomaliesCommands(CLI::App& app);  // anomalies show
void RegisterLiteCommands(CLI::App& app);       // lite inspect|predict|convert|bench
void RegisterOnnxCommands(CLI::App& app);       // onnx export

// Range checks for numeric flags: CLI11 validators that run on the flag's
// text before it is converted, so "abc", 1e11 or NaN never reach a verb. A
// failure is a CLI::ValidationError, printed by main() as the one line
//   error: --threads: expected an integer in [1, 256], got '100000'
// IntInRange accepts a decimal integer in [lo, hi]; FiniteInRange a finite
// number in [lo, hi] (NaN and inf refused); AllOrAtLeastOne accepts -1
// ("all") or an integer in [1, hi].
CLI::Validator IntInRange(int64_t lo, int64_t hi);
CLI::Validator FiniteInRange(double lo, double hi);
CLI::Validator AllOrAtLeastOne(int64_t hi);

// Upper bounds of the numeric flags (far above any real use; they keep a
// typo from asking for 10^11 steps or a vector of 10^11 latencies).
inline constexpr int64_t kMaxSteps = 1'000'000'000;
inline constexpr int64_t kMaxRuns = 1'000'000;
inline constexpr int64_t kMaxBatch = 65'536;
inline constexpr int64_t kMaxExamples = int64_t{1} << 53;  // --limit, --representative-count
inline constexpr int64_t kMaxTopValues = 1'000;            // stats show|html --top-values

// Formats rows under a header as left-aligned columns separated by two
// spaces, each line ending in '\n'. Rows shorter than the header are padded.
std::string FormatTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows);

}  // namespace edgepipe::cli

#endif  // EDGEPIPE_CLI_COMMAND_REGISTRY_H_
