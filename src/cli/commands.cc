#include "src/cli/commands.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
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
  RegisterAnomaliesCommands(app);
  RegisterLiteCommands(app);
  RegisterOnnxCommands(app);
}

namespace {

// The bound as written on the command line: 256, 0, 1, 0.5.
std::string FormatBound(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.15g", v);
  return buf;
}

// Parses all of `text` as a decimal integer.
bool ParseInt64(const std::string& text, int64_t* v) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *v);
  return ec == std::errc() && ptr == end && !text.empty();
}

}  // namespace

CLI::Validator IntInRange(int64_t lo, int64_t hi) {
  const std::string range = "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  return CLI::Validator(
      [lo, hi, range](std::string& text) -> std::string {
        int64_t v = 0;
        if (ParseInt64(text, &v) && v >= lo && v <= hi) return "";
        return "expected an integer in " + range + ", got '" + text + "'";
      },
      "INT in " + range);
}

CLI::Validator FiniteInRange(double lo, double hi) {
  const std::string range = "[" + FormatBound(lo) + ", " + FormatBound(hi) + "]";
  return CLI::Validator(
      [lo, hi, range](std::string& text) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        if (!text.empty() && *end == '\0' && std::isfinite(v) && v >= lo && v <= hi) return "";
        return "expected a finite number in " + range + ", got '" + text + "'";
      },
      "NUMBER in " + range);
}

CLI::Validator AllOrAtLeastOne(int64_t hi) {
  const std::string range = "-1 (all) or an integer in [1, " + std::to_string(hi) + "]";
  return CLI::Validator(
      [hi, range](std::string& text) -> std::string {
        int64_t v = 0;
        if (ParseInt64(text, &v) && (v == -1 || (v >= 1 && v <= hi))) return "";
        return "expected " + range + ", got '" + text + "'";
      },
      range);
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
