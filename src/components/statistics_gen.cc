#include "src/components/statistics_gen.h"

#include <google/protobuf/stubs/logging.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "src/core/crash_point.h"
#include "src/core/files.h"
#include "src/data/examples.h"
#include "src/mpi/sharded_statistics.h"

namespace edgepipe::components {

namespace {

constexpr char kStatsFile[] = "FeatureStats.pb";

nlohmann::json StatsOptionsJson(const data::StatisticsOptions& o) {
  return {{"num_histogram_buckets", o.num_histogram_buckets},
          {"num_quantiles_histogram_buckets", o.num_quantiles_histogram_buckets},
          {"num_values_histogram_buckets", o.num_values_histogram_buckets},
          {"num_top_values", o.num_top_values},
          {"num_rank_histogram_buckets", o.num_rank_histogram_buckets},
          {"quantile_sketch_k", o.quantile_sketch_k},
          {"max_exact_distinct_numbers", o.max_exact_distinct_numbers},
          {"max_tracked_strings", o.max_tracked_strings}};
}

Status Run(pipeline::ExecutionContext& ctx, const StatisticsGenOptions& options) {
  ASSIGN_OR_RETURN(const pipeline::Artifact* examples, ctx.SingleInput("examples"));
  ASSIGN_OR_RETURN(pipeline::Artifact * statistics, ctx.SingleOutput("statistics"));
  ASSIGN_OR_RETURN(std::vector<std::string> all_splits, ArtifactSplitNames(*examples, ctx.node_id));
  std::vector<std::string> splits;
  for (const std::string& split : all_splits) {
    if (std::find(options.exclude_splits.begin(), options.exclude_splits.end(), split) ==
        options.exclude_splits.end()) {
      splits.push_back(split);
    }
  }
  RETURN_IF_ERROR(GenerateStatistics(examples->uri, splits, statistics->uri, options.stats_options,
                                     &DefaultThreadPool(), ctx.collective));
  statistics->properties["split_names"] = nlohmann::json(splits).dump();
  return Status::OK();
}

}  // namespace

StatusOr<std::vector<std::string>> ArtifactSplitNames(const pipeline::Artifact& artifact,
                                                      const std::string& node_id) {
  auto property = artifact.properties.find("split_names");
  if (property == artifact.properties.end() ||
      !std::holds_alternative<std::string>(property->second)) {
    return Status::InvalidArgument(node_id + ": input " + artifact.type_name + " (" + artifact.uri +
                                   ") has no string property split_names");
  }
  return ParseSplitNames(std::get<std::string>(property->second),
                         artifact.uri + ": property split_names");
}

StatusOr<std::vector<std::string>> ParseSplitNames(const std::string& split_names,
                                                   const std::string& where) {
  nlohmann::json parsed = nlohmann::json::parse(split_names, nullptr, /*allow_exceptions=*/false);
  std::vector<std::string> out;
  bool ok = parsed.is_array();
  if (ok) {
    for (const auto& name : parsed) {
      if (!name.is_string() || name.get<std::string>().empty()) {
        ok = false;
        break;
      }
      out.push_back(name.get<std::string>());
    }
  }
  if (!ok) {
    return Status::InvalidArgument(where +
                                   ": expected a JSON list of split names like "
                                   "[\"train\", \"eval\"], got '" +
                                   split_names + "'");
  }
  return out;
}

Status GenerateStatistics(const std::string& examples_uri, const std::vector<std::string>& splits,
                          const std::string& statistics_uri, const data::StatisticsOptions& options,
                          ThreadPool* pool, Collective* group) {
  std::vector<SplitStatistics> written;
  for (const std::string& split : splits) {
    data::tfmd::DatasetFeatureStatistics stats;
    if (group != nullptr && group->size() > 1) {
      // Every rank lists the files (a failure here is agreed on), passes its
      // share, and rank 0 alone merges and writes.
      StatusOr<std::vector<std::string>> files = data::SplitFiles(examples_uri, split);
      // (A failure injected here tests how one rank's error spreads.)
      Status listed = files.ok() ? FailPoint("statistics_gen.rank_files") : files.status();
      RETURN_IF_ERROR(AgreeOnStatus(*group, listed));
      ASSIGN_OR_RETURN(std::optional<data::tfmd::DatasetFeatureStatistics> merged,
                       mpi::ShardedStatistics(*group, *files, split, options, pool));
      if (!group->is_root()) continue;
      stats = std::move(*merged);
    } else {
      ASSIGN_OR_RETURN(std::vector<std::string> files, data::SplitFiles(examples_uri, split));
      ASSIGN_OR_RETURN(stats, data::ComputeStatistics(files, split, options, pool));
    }
    std::string dir = JoinPath(statistics_uri, "Split-" + split);
    SplitStatistics& s =
        written.emplace_back(SplitStatistics{split, JoinPath(dir, kStatsFile), {}});
    *s.statistics.add_datasets() = std::move(stats);
    RETURN_IF_ERROR(CreateDirectories(dir));
    RETURN_IF_ERROR(WriteFileAtomic(s.path, s.statistics.SerializeAsString()));
  }
  if (group != nullptr && !group->is_root()) return Status::OK();
  RETURN_IF_ERROR(CreateDirectories(statistics_uri));
  return WriteFileAtomic(JoinPath(statistics_uri, kStatisticsHtmlFile),
                         RenderStatisticsPage(written, "Statistics of " + examples_uri));
}

std::string RenderStatisticsPage(const std::vector<SplitStatistics>& splits, std::string_view title,
                                 const data::StatisticsHtmlOptions& options) {
  std::vector<data::NamedStatistics> datasets;
  for (const SplitStatistics& s : splits) {
    for (const auto& dataset : s.statistics.datasets()) datasets.push_back({s.split, &dataset});
  }
  return data::RenderStatisticsHtml(datasets, title, options);
}

StatusOr<std::vector<SplitStatistics>> ReadStatistics(const std::string& path) {
  std::vector<std::pair<std::string, std::string>> files;  // (split, file)
  if (IsDirectory(path)) {
    ASSIGN_OR_RETURN(std::vector<std::string> names, ListDirectory(path));
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      std::string file = JoinPath(JoinPath(path, name), kStatsFile);
      if (name.starts_with("Split-") && PathExists(file)) files.emplace_back(name.substr(6), file);
    }
    if (files.empty()) {
      return Status::NotFound(path + ": no Split-*/" + kStatsFile +
                              " (expected a StatisticsGen statistics folder)");
    }
  } else if (PathExists(path)) {
    files.emplace_back("", path);
  } else {
    return Status::NotFound(path + ": no such file or folder");
  }
  std::vector<SplitStatistics> out;
  for (const auto& [split, file] : files) {
    ASSIGN_OR_RETURN(std::string bytes, ReadFile(file, kMaxStatisticsFileBytes));
    SplitStatistics s{split, file, {}};
    bool parsed;
    {
      // protobuf logs its own line for a string that is not UTF-8; the error
      // below is the one the caller reports.
      google::protobuf::LogSilencer quiet;
      parsed = s.statistics.ParseFromString(bytes);
    }
    if (!parsed) {
      return Status::Corruption(file + ": not a valid DatasetFeatureStatisticsList (" +
                                std::to_string(bytes.size()) +
                                " bytes: truncated, another message, or a string that is not "
                                "UTF-8)");
    }
    out.push_back(std::move(s));
  }
  return out;
}

StatusOr<pipeline::Component> StatisticsGen(const StatisticsGenOptions& options) {
  if (options.examples.type_name != "Examples") {
    return Status::InvalidArgument(options.id +
                                   ": input examples must be an Examples channel, got '" +
                                   options.examples.type_name + "'");
  }
  pipeline::Component c;
  c.id = options.id;
  c.type = "StatisticsGen";
  c.inputs = {{"examples", options.examples}};
  c.outputs = {{"statistics", "ExampleStatistics"}};
  c.exec_properties = {{"exclude_splits", options.exclude_splits},
                       {"stats_options", StatsOptionsJson(options.stats_options)}};
  c.runs_on_every_rank = true;  // a sharded pass under the MPI runner
  c.executor = [options](pipeline::ExecutionContext& ctx) { return Run(ctx, options); };
  return c;
}

}  // namespace edgepipe::components
