#include "src/components/run_report.h"

#include <algorithm>
#include <cstdio>

#include "src/core/files.h"
#include "src/eval/baseline.h"
#include "src/eval/comparison.h"
#include "src/eval/output.h"

namespace edgepipe::components {

namespace {

template <typename T>
const T* CustomProperty(const pipeline::Artifact& a, const std::string& name) {
  auto it = a.custom_properties.find(name);
  return it == a.custom_properties.end() ? nullptr : std::get_if<T>(&it->second);
}

}  // namespace

const pipeline::Artifact* FirstOutput(const pipeline::NodeResult& node, const std::string& key) {
  auto it = node.outputs.find(key);
  if (it == node.outputs.end() || it->second.empty()) return nullptr;
  return &it->second.front();
}

DataVerdict ReadDataVerdict(const pipeline::Artifact& anomalies) {
  DataVerdict v;
  v.uri = anomalies.uri;
  if (const auto* n = CustomProperty<int64_t>(anomalies, "anomalies_count")) v.anomalies_count = *n;
  if (const auto* s = CustomProperty<std::string>(anomalies, "anomalies_summary")) {
    v.anomalies_summary = *s;
  }
  return v;
}

std::string FormatDataVerdict(const DataVerdict& v) {
  if (v.anomalies_count == 0) return "\ndata: no anomalies\n";
  return "\ndata: " + std::to_string(v.anomalies_count) + " anomalies (" + v.anomalies_summary +
         ")\n      edgepipe anomalies show " + v.uri + "\n";
}

StatusOr<RunReport> MakeRunReport(const pipeline::Pipeline& pipeline,
                                  const pipeline::RunResult& run) {
  if (run.nodes.size() != pipeline.components.size()) {
    return Status::InvalidArgument(
        "run " + run.run_id + " has " + std::to_string(run.nodes.size()) + " nodes, pipeline '" +
        pipeline.name + "' has " + std::to_string(pipeline.components.size()));
  }
  RunReport report;
  report.pipeline_name = pipeline.name;
  report.run_id = run.run_id;
  report.seconds = run.seconds;
  for (const pipeline::NodeResult& node : run.nodes) {
    using O = pipeline::NodeResult::Outcome;
    report.executed += node.outcome == O::kExecuted;
    report.cached += node.outcome == O::kCached;
    report.resolved += node.outcome == O::kResolved;
    report.failed += node.outcome == O::kFailed;
    report.skipped += node.outcome == O::kSkipped;
  }
  for (size_t i = 0; i < pipeline.components.size(); ++i) {
    const pipeline::Component& c = pipeline.components[i];
    const pipeline::NodeResult& node = run.nodes[i];
    if (c.type == "ExampleValidator") {
      const pipeline::Artifact* a = FirstOutput(node, "anomalies");
      if (a == nullptr) continue;
      DataVerdict verdict = ReadDataVerdict(*a);
      if (report.data)
        verdict.anomalies_count += report.data->anomalies_count;  // several validators
      report.data = std::move(verdict);
    }
    if (c.type != "Evaluator") continue;
    const pipeline::Artifact* evaluation = FirstOutput(node, "evaluation");
    const pipeline::Artifact* blessing = FirstOutput(node, "blessing");
    if (evaluation == nullptr) continue;
    ModelReport m;
    m.evaluator = c.id;
    ASSIGN_OR_RETURN(eval::EvalResult result, eval::LoadEvalResult(evaluation->uri));
    for (const auto& slice : result.metrics) {
      if (slice.slice_key().single_slice_keys_size() != 0) continue;
      for (const auto& kv : slice.metric_keys_and_values()) {
        if (kv.value().has_double_value() && eval::IsCandidateKey(result.config, kv.key())) {
          m.metrics.emplace_back(kv.key().name(), kv.value().double_value().value());
        }
      }
    }
    std::sort(m.metrics.begin(), m.metrics.end());
    if (const auto* n = CustomProperty<int64_t>(*evaluation, "num_examples_skipped")) {
      m.examples_skipped = *n;
    }
    m.blessed = blessing != nullptr && PathExists(JoinPath(blessing->uri, "BLESSED"));
    if (blessing != nullptr) {
      if (const auto* id = CustomProperty<int64_t>(*blessing, "baseline_model_id")) {
        m.baseline_model_id = *id;
      }
    }
    const std::string page = JoinPath(evaluation->uri, eval::kComparisonFile);
    if (PathExists(page)) m.comparison_page = page;
    // The Pusher that reads this Evaluator's blessing.
    for (size_t k = 0; k < pipeline.components.size(); ++k) {
      const pipeline::Component& p = pipeline.components[k];
      auto in = p.inputs.find("model_blessing");
      if (p.type != "Pusher" || in == p.inputs.end() || in->second.producer_node != c.id) continue;
      const pipeline::Artifact* pushed = FirstOutput(run.nodes[k], "pushed_model");
      if (pushed == nullptr) continue;
      const auto* flag = CustomProperty<int64_t>(*pushed, "pushed");
      const auto* dest = CustomProperty<std::string>(*pushed, "pushed_destination");
      if (flag != nullptr && *flag == 1 && dest != nullptr) m.pushed_destination = *dest;
    }
    report.models.push_back(std::move(m));
  }
  return report;
}

std::string FormatRunReport(const RunReport& r) {
  std::string out;
  char line[1024];
  std::snprintf(line, sizeof(line), "run %s: %d nodes executed, %d cached%s, %.2f s\n",
                r.run_id.c_str(), r.executed, r.cached,
                r.failed + r.skipped > 0 ? (", " + std::to_string(r.failed) + " failed, " +
                                            std::to_string(r.skipped) + " skipped")
                                               .c_str()
                                         : "",
                r.seconds);
  out += line;
  if (!r.models.empty()) {
    // One column per metric any model has, in name order.
    std::vector<std::string> names;
    for (const ModelReport& m : r.models) {
      for (const auto& [name, value] : m.metrics) {
        if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
      }
    }
    std::sort(names.begin(), names.end());
    size_t width = 5;
    for (const ModelReport& m : r.models) width = std::max(width, m.evaluator.size());
    out += "\n";
    std::snprintf(line, sizeof(line), "%-*s", static_cast<int>(width), "model");
    out += line;
    for (const std::string& name : names) {
      std::snprintf(line, sizeof(line), "  %*s", static_cast<int>(std::max<size_t>(name.size(), 9)),
                    name.c_str());
      out += line;
    }
    out += "  blessing     pushed to\n";
    for (const ModelReport& m : r.models) {
      std::snprintf(line, sizeof(line), "%-*s", static_cast<int>(width), m.evaluator.c_str());
      out += line;
      for (const std::string& name : names) {
        auto it = std::find_if(m.metrics.begin(), m.metrics.end(),
                               [&](const auto& kv) { return kv.first == name; });
        const int w = static_cast<int>(std::max<size_t>(name.size(), 9));
        if (it == m.metrics.end()) {
          std::snprintf(line, sizeof(line), "  %*s", w, "-");
        } else if (it->second == static_cast<double>(static_cast<int64_t>(it->second)) &&
                   std::abs(it->second) >= 10) {
          std::snprintf(line, sizeof(line), "  %*.0f", w, it->second);
        } else {
          std::snprintf(line, sizeof(line), "  %*.4f", w, it->second);
        }
        out += line;
      }
      std::snprintf(line, sizeof(line), "  %-11s  %s\n", m.blessed ? "BLESSED" : "NOT_BLESSED",
                    m.pushed_destination.empty() ? "(not pushed)" : m.pushed_destination.c_str());
      out += line;
    }
    std::string skipped;
    for (const ModelReport& m : r.models) {
      if (m.examples_skipped == 0) continue;
      skipped +=
          (skipped.empty() ? "" : ", ") + m.evaluator + " " + std::to_string(m.examples_skipped);
    }
    if (!skipped.empty()) {
      out += "\neval examples left out (a model input has no value): " + skipped + "\n";
    }
    for (const ModelReport& m : r.models) {
      if (!m.comparison_page.empty()) {
        out += "\n" + m.evaluator + " side by side with its reference model: " + m.comparison_page +
               "\n";
      }
    }
  }
  if (r.data) out += FormatDataVerdict(*r.data);
  return out;
}

nlohmann::json RunReportJson(const RunReport& r, const pipeline::RunResult& run) {
  nlohmann::json out = {{"pipeline", r.pipeline_name},
                        {"run_id", r.run_id},
                        {"seconds", r.seconds},
                        {"executed", r.executed},
                        {"cached", r.cached},
                        {"resolved", r.resolved},
                        {"failed", r.failed},
                        {"skipped", r.skipped},
                        {"models", nlohmann::json::array()},
                        {"nodes", nlohmann::json::array()}};
  for (const ModelReport& m : r.models) {
    nlohmann::json metrics = nlohmann::json::object();
    for (const auto& [name, value] : m.metrics) metrics[name] = value;
    out["models"].push_back({{"evaluator", m.evaluator},
                             {"metrics", metrics},
                             {"examples_skipped", m.examples_skipped},
                             {"comparison_page", m.comparison_page},
                             {"baseline_model_id", m.baseline_model_id},
                             {"blessed", m.blessed},
                             {"pushed_destination", m.pushed_destination}});
  }
  for (const pipeline::NodeResult& node : run.nodes) {
    const char* outcome = pipeline::OutcomeName(node.outcome);
    out["nodes"].push_back({{"id", node.node_id},
                            {"outcome", outcome},
                            {"execution_id", node.execution_id},
                            {"seconds", node.seconds}});
  }
  if (r.data) {
    out["anomalies"] = {{"count", r.data->anomalies_count},
                        {"summary", r.data->anomalies_summary},
                        {"uri", r.data->uri}};
  }
  return out;
}

}  // namespace edgepipe::components
