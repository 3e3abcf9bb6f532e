#include "src/cli/commands.h"

#include <algorithm>
#include <utility>

#include "src/cli/command_registry.h"

namespace edgepipe::cli {

namespace {
Status& LastStatus() {
  static Status status;
  return status;
}
}  // namespace

void SetCommandStatus(Status status) { LastStatus() = std::move(status); }

Status LastCommandStatus() { return LastStatus(); }

void RegisterCommands(CLI::App& app) {
  RegisterRunCommand(app);
  RegisterExamplesCommand(app);
  RegisterMetadataCommands(app);
  RegisterEvalCommands(app);
  RegisterStatsCommands(app);
  RegisterLiteCommands(app);
}

std::string FormatTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths(header.size(), 0);
  for (size_t c = 0; c < header.size(); ++c) widths[c] = header[c].size();
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size() && c < widths.size(); ++c) {
      widths[c] = std::max(widths[c], row[c].size());
    }
  }
  std::string out;
  auto append_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t c = 0; c < widths.size(); ++c) {
      const std::string cell = c < row.size() ? row[c] : "";
      line += cell;
      // No trailing spaces after the last column.
      if (c + 1 < widths.size()) line += std::string(widths[c] - cell.size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  };
  append_row(header);
  for (const auto& row : rows) append_row(row);
  return out;
}

}  // namespace edgepipe::cli
