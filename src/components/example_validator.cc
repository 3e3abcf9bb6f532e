#include "src/components/example_validator.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "src/components/schema_gen.h"
#include "src/components/statistics_gen.h"
#include "src/core/files.h"
#include "src/core/prefixed_log.h"

namespace edgepipe::components {

namespace {

namespace tfmd = data::tfmd;

// How many problems the summary property and the failure message list.
constexpr size_t kMaxSummarized = 10;
constexpr size_t kMaxInError = 20;

struct ReadSplit {
  std::string path;
  tfmd::DatasetFeatureStatistics statistics;
};

// Every split of an ExampleStatistics folder, by name; each file must hold
// exactly one dataset (TFDV's validate_statistics asks the same).
StatusOr<std::map<std::string, ReadSplit>> ReadSplits(const std::string& uri) {
  ASSIGN_OR_RETURN(std::vector<SplitStatistics> all, ReadStatistics(uri));
  std::map<std::string, ReadSplit> out;
  for (SplitStatistics& s : all) {
    if (s.statistics.datasets_size() != 1) {
      return Status::InvalidArgument(s.path + ": holds " +
                                     std::to_string(s.statistics.datasets_size()) +
                                     " datasets; expected one (a StatisticsGen split)");
    }
    out[s.split] = {s.path, std::move(*s.statistics.mutable_datasets(0))};
  }
  return out;
}

// The splits to validate: the artifact's split_names (its order, TFX's) or,
// without that property, every split folder; minus `exclude`.
StatusOr<std::vector<std::string>> SplitsToValidate(const pipeline::Artifact& statistics,
                                                    const std::map<std::string, ReadSplit>& read,
                                                    const std::vector<std::string>& exclude) {
  std::vector<std::string> names;
  auto property = statistics.properties.find("split_names");
  if (property != statistics.properties.end() &&
      std::holds_alternative<std::string>(property->second)) {
    ASSIGN_OR_RETURN(names, ParseSplitNames(std::get<std::string>(property->second),
                                            statistics.uri + ": property split_names"));
  } else {
    for (const auto& [name, split] : read) names.push_back(name);
  }
  std::vector<std::string> out;
  for (const std::string& name : names) {
    if (std::find(exclude.begin(), exclude.end(), name) != exclude.end()) continue;
    if (!read.count(name)) {
      return Status::NotFound(JoinPath(statistics.uri, "Split-" + name) +
                              ": no statistics for split '" + name +
                              "' named in the artifact's split_names");
    }
    out.push_back(name);
  }
  return out;
}

// What one split came to.
struct SplitResult {
  std::string split;
  std::vector<data::AnomalyLine> lines;
};

Status Run(pipeline::ExecutionContext& ctx, const ExampleValidatorOptions& options) {
  ASSIGN_OR_RETURN(const pipeline::Artifact* statistics, ctx.SingleInput("statistics"));
  ASSIGN_OR_RETURN(const pipeline::Artifact* schema_artifact, ctx.SingleInput("schema"));
  ASSIGN_OR_RETURN(pipeline::Artifact * output, ctx.SingleOutput("anomalies"));
  const pipeline::Artifact* baseline = nullptr;
  if (auto it = ctx.inputs->find("baseline_statistics");
      it != ctx.inputs->end() && !it->second.empty()) {
    ASSIGN_OR_RETURN(baseline, ctx.SingleInput("baseline_statistics"));
  }

  ASSIGN_OR_RETURN(tfmd::Schema schema, ReadSchema(schema_artifact->uri));
  ASSIGN_OR_RETURN(auto current, ReadSplits(statistics->uri));
  std::map<std::string, ReadSplit> previous;
  if (baseline != nullptr) {
    ASSIGN_OR_RETURN(previous, ReadSplits(baseline->uri));
  }
  ASSIGN_OR_RETURN(std::vector<std::string> splits,
                   SplitsToValidate(*statistics, current, options.exclude_splits));

  // Parallel nodes share the log: prefix this node's lines with its id.
  PrefixedLog log(options.log, "[" + ctx.node_id + "] ");
  std::FILE* out = log.file();
  auto say = [out](const std::string& line) {
    if (out != nullptr) std::fprintf(out, "%s\n", line.c_str());
  };
  if (baseline == nullptr && !options.drift_baseline_split.empty() &&
      !current.count(options.drift_baseline_split)) {
    say("note: the statistics have no split '" + options.drift_baseline_split +
        "' (drift_baseline_split): no drift comparison");
  }

  std::vector<SplitResult> results;
  for (const std::string& split : splits) {
    const ReadSplit& data = current.at(split);
    data::ValidationOptions vo;
    std::string against;
    if (baseline != nullptr) {
      if (auto it = previous.find(split); it != previous.end()) {
        vo.previous = &it->second.statistics;
        vo.previous_name = "the baseline data of split '" + split + "'";
      } else {
        say("note: the baseline statistics (" + baseline->uri + ") have no split '" + split +
            "': no drift comparison for it");
      }
    } else if (split != options.drift_baseline_split) {
      if (auto it = current.find(options.drift_baseline_split); it != current.end()) {
        vo.previous = &it->second.statistics;
        vo.previous_name = "the data of split '" + options.drift_baseline_split + "'";
      }
    }
    if (vo.previous != nullptr) against = " (drift against " + vo.previous_name + ")";

    StatusOr<data::ValidationResult> validated =
        data::ValidateStatistics(data.statistics, schema, vo);
    RETURN_IF_ERROR(validated.status().WithContext(ctx.node_id + ": " + data.path));
    const tfmd::Anomalies& anomalies = validated->anomalies;

    const std::string dir = JoinPath(output->uri, "Split-" + split);
    RETURN_IF_ERROR(CreateDirectories(dir));
    RETURN_IF_ERROR(WriteFileAtomic(JoinPath(dir, kAnomaliesFile), anomalies.SerializeAsString()));

    SplitResult result{split, data::ListAnomalies(anomalies)};
    if (result.lines.empty()) {
      say("split '" + split + "': no anomalies" + against);
    } else {
      say("split '" + split + "': " + std::to_string(result.lines.size()) +
          (result.lines.size() == 1 ? " anomaly" : " anomalies") + against);
      for (const data::AnomalyLine& line : result.lines) say("  " + data::FormatAnomalyLine(line));
    }
    for (const std::string& m : data::ListMeasurements(anomalies)) say("  " + m);
    for (const std::string& w : validated->warnings) say("  note: " + w);
    results.push_back(std::move(result));
  }

  int64_t total = 0;
  nlohmann::json per_split = nlohmann::json::object();
  std::vector<std::string> parts;  // "eval: image_floats COMPARATOR_..., kind ..."
  size_t listed = 0, unlisted = 0;
  for (const SplitResult& r : results) {
    total += static_cast<int64_t>(r.lines.size());
    per_split[r.split] = r.lines.size();
    std::string part;
    for (const data::AnomalyLine& line : r.lines) {
      if (listed == kMaxSummarized) {
        ++unlisted;
        continue;
      }
      ++listed;
      part += (part.empty() ? r.split + ": " : std::string(", ")) +
              (line.feature.empty() ? "(dataset)" : line.feature) + " " + line.type;
    }
    if (!part.empty()) parts.push_back(part);
  }
  std::string summary = total == 0 ? "no anomalies" : "";
  for (const std::string& part : parts) summary += (summary.empty() ? "" : "; ") + part;
  if (unlisted > 0) summary += "; and " + std::to_string(unlisted) + " more";
  output->properties["split_names"] = nlohmann::json(splits).dump();
  output->custom_properties["anomalies_count"] = total;
  output->custom_properties["anomalies_per_split"] = per_split.dump();
  output->custom_properties["anomalies_summary"] = summary;

  if (options.fail_on_anomalies && total > 0) {
    std::string listed;
    size_t n = 0;
    for (const SplitResult& r : results) {
      for (const data::AnomalyLine& line : r.lines) {
        if (n++ >= kMaxInError) continue;
        listed += "\n  split '" + r.split + "': " + data::FormatAnomalyLine(line);
      }
    }
    if (n > kMaxInError) listed += "\n  and " + std::to_string(n - kMaxInError) + " more";
    return Status::FailedPrecondition(ctx.node_id + ": " + std::to_string(total) +
                                      (total == 1 ? " anomaly" : " anomalies") +
                                      " and fail_on_anomalies is set:" + listed);
  }
  return Status::OK();
}

}  // namespace

StatusOr<std::vector<SplitAnomalies>> ReadAnomalies(const std::string& path) {
  std::vector<std::pair<std::string, std::string>> files;  // (split, file)
  if (IsDirectory(path)) {
    ASSIGN_OR_RETURN(std::vector<std::string> names, ListDirectory(path));
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      std::string file = JoinPath(JoinPath(path, name), kAnomaliesFile);
      if (name.starts_with("Split-") && PathExists(file)) files.emplace_back(name.substr(6), file);
    }
    if (files.empty()) {
      return Status::NotFound(path + ": no Split-*/" + kAnomaliesFile +
                              " (expected an ExampleValidator anomalies folder)");
    }
  } else if (PathExists(path)) {
    files.emplace_back("", path);
  } else {
    return Status::NotFound(path + ": no such file or folder");
  }
  std::vector<SplitAnomalies> out;
  for (const auto& [split, file] : files) {
    ASSIGN_OR_RETURN(std::string bytes, ReadFile(file, kMaxAnomaliesBytes));
    SplitAnomalies s{split, file, {}};
    if (!s.anomalies.ParseFromString(bytes)) {
      return Status::Corruption(file + ": not a valid Anomalies proto (" +
                                std::to_string(bytes.size()) + " bytes)");
    }
    out.push_back(std::move(s));
  }
  return out;
}

StatusOr<pipeline::Component> ExampleValidator(const ExampleValidatorOptions& options) {
  auto check = [&](const pipeline::Channel& channel, const char* key, const char* type) {
    if (channel.type_name == type) return Status::OK();
    return Status::InvalidArgument(options.id + ": input " + key + " must be a" +
                                   (type[0] == 'E' ? "n " : " ") + type + " channel, got '" +
                                   channel.type_name + "'");
  };
  RETURN_IF_ERROR(check(options.statistics, "statistics", "ExampleStatistics"));
  RETURN_IF_ERROR(check(options.schema, "schema", "Schema"));
  pipeline::Component c;
  c.id = options.id;
  c.type = "ExampleValidator";
  c.inputs = {{"statistics", options.statistics}, {"schema", options.schema}};
  if (options.baseline_statistics) {
    RETURN_IF_ERROR(
        check(*options.baseline_statistics, "baseline_statistics", "ExampleStatistics"));
    c.inputs["baseline_statistics"] = *options.baseline_statistics;
  }
  c.outputs = {{"anomalies", "ExampleAnomalies"}};
  c.exec_properties = {{"exclude_splits", options.exclude_splits},
                       {"drift_baseline_split", options.drift_baseline_split},
                       {"fail_on_anomalies", options.fail_on_anomalies}};
  c.executor = [options](pipeline::ExecutionContext& ctx) { return Run(ctx, options); };
  return c;
}

}  // namespace edgepipe::components
