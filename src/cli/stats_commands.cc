// `edgepipe stats show ARTIFACT`: per-feature summaries of StatisticsGen's
// output (components/statistics_gen.h reads it, data/statistics.h
// summarizes it). `edgepipe stats html ARTIFACT [-o FILE]`: the same
// statistics as a self-contained HTML page (data/statistics_html.h).
#include <cstdio>
#include <memory>
#include <string>

#include "src/cli/command_registry.h"
#include "src/components/statistics_gen.h"
#include "src/core/files.h"
#include "src/data/statistics.h"
#include "src/data/statistics_html.h"

namespace edgepipe::cli {

namespace {

Status ShowStats(const std::string& path, int top_values) {
  ASSIGN_OR_RETURN(std::vector<components::SplitStatistics> splits,
                   components::ReadStatistics(path));
  for (const components::SplitStatistics& split : splits) {
    for (const auto& dataset : split.statistics.datasets()) {
      std::string title = split.split.empty() ? dataset.name() : split.split;
      std::printf("split %s: %llu examples (%s)\n", title.c_str(),
                  static_cast<unsigned long long>(dataset.num_examples()), split.path.c_str());
      std::vector<data::FeatureSummary> rows = data::SummarizeStatistics(dataset, top_values);
      std::vector<std::vector<std::string>> numeric, strings;
      for (const data::FeatureSummary& r : rows) {
        if (r.type == "STRING" || r.type == "BYTES") {
          strings.push_back({r.name, r.type, r.count, r.missing, r.values, r.unique, r.top_values});
        } else {
          numeric.push_back({r.name, r.type, r.count, r.missing, r.values, r.mean, r.std_dev, r.min,
                             r.median, r.max, r.zeros});
        }
      }
      if (!numeric.empty()) {
        std::printf("%s", FormatTable({"feature", "type", "count", "missing", "values", "mean",
                                       "std", "min", "median", "max", "zeros"},
                                      numeric)
                              .c_str());
      }
      if (!strings.empty()) {
        if (!numeric.empty()) std::printf("\n");
        std::printf("%s", FormatTable({"feature", "type", "count", "missing", "values", "unique",
                                       "top values"},
                                      strings)
                              .c_str());
      }
      std::printf("\n");
    }
  }
  return Status::OK();
}

// The page on stdout, or written atomically to `output` (a reader of the file
// never sees half a page).
Status StatsHtml(const std::string& path, const std::string& output, int top_values) {
  ASSIGN_OR_RETURN(std::vector<components::SplitStatistics> splits,
                   components::ReadStatistics(path));
  const std::string page = components::RenderStatisticsPage(splits, "Statistics of " + path,
                                                            {.max_top_values = top_values});
  if (!output.empty()) return WriteFileAtomic(output, page);
  if (std::fwrite(page.data(), 1, page.size(), stdout) != page.size() || std::fflush(stdout) != 0) {
    return Status::IOError("stats html: cannot write the page to stdout");
  }
  return Status::OK();
}

}  // namespace

void RegisterStatsCommands(CLI::App& app) {
  CLI::App* stats = app.add_subcommand("stats", "Read feature statistics (StatisticsGen output)");
  stats->require_subcommand(1);
  CLI::App* show = stats->add_subcommand(
      "show",
      "Print per-feature summaries per split: count, missing, mean, std, min, median, "
      "max, zeros for numbers; unique and top values for strings");
  auto path = std::make_shared<std::string>();
  auto top = std::make_shared<int>(5);
  show->add_option("ARTIFACT", *path,
                   "A StatisticsGen statistics folder (Split-*/FeatureStats.pb) or one "
                   "FeatureStats.pb file")
      ->required();
  show->add_option("--top-values", *top, "How many top values to list for strings")
      ->capture_default_str()
      ->check(IntInRange(0, kMaxTopValues));
  show->callback([path, top] { SetCommandStatus(ShowStats(*path, *top)); });

  CLI::App* html = stats->add_subcommand(
      "html",
      "Write a self-contained HTML page of the statistics (no network needed): per feature a "
      "summary per split and the splits' histograms or top values side by side");
  auto html_path = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>();
  auto html_top = std::make_shared<int>(10);
  html->add_option("ARTIFACT", *html_path,
                   "A StatisticsGen statistics folder (Split-*/FeatureStats.pb) or one "
                   "FeatureStats.pb file")
      ->required();
  html->add_option("-o,--output", *output, "The page's file (default: stdout)");
  html->add_option("--top-values", *html_top, "How many top values to chart for strings")
      ->capture_default_str()
      ->check(IntInRange(1, kMaxTopValues));
  html->callback([html_path, output, html_top] {
    SetCommandStatus(StatsHtml(*html_path, *output, *html_top));
  });
}

}  // namespace edgepipe::cli
