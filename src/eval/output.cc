#include "src/eval/output.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

#include "src/core/files.h"
#include "src/core/html.h"
#include "src/eval/baseline.h"
#include "src/eval/comparison.h"
#include "src/eval/config.h"
#include "src/eval/slicing.h"
#include "src/io/tfrecord.h"

namespace edgepipe::eval {
namespace {

bool Disabled(const tfma::EvalConfig& config, const std::string& output) {
  const auto& values = config.options().disabled_outputs().values();
  return std::find(values.begin(), values.end(), output) != values.end();
}

std::string FormatThreshold(const tfma::MetricThreshold& t) {
  std::string out;
  if (t.has_value_threshold()) {
    const auto& v = t.value_threshold();
    char buf[128];
    std::snprintf(
        buf, sizeof(buf), "value in [%s, %s]",
        v.has_lower_bound() ? FormatMetricValue([&] {
                                tfma::MetricValue m;
                                m.mutable_double_value()->set_value(v.lower_bound().value());
                                return m;
                              }())
                                  .c_str()
                            : "-inf",
        v.has_upper_bound() ? FormatMetricValue([&] {
                                tfma::MetricValue m;
                                m.mutable_double_value()->set_value(v.upper_bound().value());
                                return m;
                              }())
                                  .c_str()
                            : "+inf");
    out = buf;
  }
  if (t.has_change_threshold()) {
    if (!out.empty()) out += "; ";
    out += "change threshold";
  }
  return out;
}

// Ordered union of metric labels over all slices.
std::vector<std::string> MetricColumns(const EvalResult& result) {
  std::vector<std::string> columns;
  std::set<std::string> seen;
  for (const auto& slice : result.metrics) {
    for (const auto& kv : slice.metric_keys_and_values()) {
      const std::string label = MetricKeyLabel(kv.key());
      if (seen.insert(label).second) columns.push_back(label);
    }
  }
  return columns;
}

std::string ValueIn(const tfma::MetricsForSlice& slice, const std::string& column) {
  for (const auto& kv : slice.metric_keys_and_values()) {
    if (MetricKeyLabel(kv.key()) == column) return FormatMetricValue(kv.value());
  }
  return "-";
}

template <typename Message>
Status WriteRecords(const std::string& path, const std::vector<Message>& messages) {
  std::vector<std::string> records;
  records.reserve(messages.size());
  for (const Message& m : messages) records.push_back(m.SerializeAsString());
  return io::WriteAllRecords(path, records, io::Compression::kNone);
}

template <typename Message>
StatusOr<std::vector<Message>> ReadRecords(const std::string& path, const char* type) {
  ASSIGN_OR_RETURN(std::vector<std::string> records, io::ReadAllRecords(path));
  std::vector<Message> out(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    if (!out[i].ParseFromString(records[i])) {
      return Status::Corruption(path + ": record " + std::to_string(i) + ": not a valid " + type);
    }
  }
  return out;
}

// disagreements.json: the examples on which the candidate and the reference
// model disagree (EvalResult::disagreements), edgepipe's own file beside
// TFMA's.
std::string DisagreementsJson(const EvalResult& result) {
  nlohmann::json examples = nlohmann::json::array();
  for (const Disagreement& d : result.disagreements) {
    nlohmann::json e = {{"file", d.file},           {"record", d.record},
                        {"label", d.label},         {"candidate", d.candidate},
                        {"reference", d.reference}, {"image_side", d.image_side}};
    if (!d.image.empty()) e["image"] = d.image;
    examples.push_back(std::move(e));
  }
  return nlohmann::json{{"num_disagreements", result.num_disagreements}, {"examples", examples}}
      .dump();
}

Status ReadDisagreements(const std::string& path, EvalResult* result) {
  constexpr int64_t kMaxBytes = 64 << 20;
  ASSIGN_OR_RETURN(std::string text, ReadFile(path, kMaxBytes));
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto bad = [&](const std::string& what) { return Status::Corruption(path + ": " + what); };
  if (!j.is_object()) return bad("not a JSON object");
  if (!j.contains("num_disagreements") || !j["num_disagreements"].is_number_integer() ||
      j["num_disagreements"].get<int64_t>() < 0) {
    return bad("num_disagreements: expected a count");
  }
  if (!j.contains("examples") || !j["examples"].is_array()) return bad("examples: expected a list");
  result->num_disagreements = j["num_disagreements"].get<int64_t>();
  auto floats = [](const nlohmann::json& v, std::vector<float>* out) {
    if (!v.is_array()) return false;
    for (const auto& x : v) {
      if (!x.is_number()) return false;
      out->push_back(x.get<float>());
    }
    return true;
  };
  for (size_t i = 0; i < j["examples"].size(); ++i) {
    const nlohmann::json& e = j["examples"][i];
    const std::string at = "examples[" + std::to_string(i) + "]";
    Disagreement d;
    if (!e.is_object() || !e.contains("file") || !e["file"].is_string() || !e.contains("record") ||
        !e["record"].is_number_integer() || !e.contains("label") || !e["label"].is_number() ||
        !e.contains("candidate") || !floats(e["candidate"], &d.candidate) ||
        !e.contains("reference") || !floats(e["reference"], &d.reference) ||
        d.candidate.size() != d.reference.size() || !e.contains("image_side") ||
        !e["image_side"].is_number_integer()) {
      return bad(at +
                 ": expected file, record, label, candidate and reference scores of one "
                 "length, image_side");
    }
    d.file = e["file"].get<std::string>();
    d.record = e["record"].get<int64_t>();
    d.label = e["label"].get<float>();
    d.image_side = e["image_side"].get<int64_t>();
    if (d.image_side < 0 || d.image_side > 64) return bad(at + ".image_side: expected 0 to 64");
    if (e.contains("image") && !floats(e["image"], &d.image))
      return bad(at + ".image: not numbers");
    if (static_cast<int64_t>(d.image.size()) != d.image_side * d.image_side) {
      return bad(at +
                 ".image: expected image_side^2 = " + std::to_string(d.image_side * d.image_side) +
                 " values, got " + std::to_string(d.image.size()));
    }
    result->disagreements.push_back(std::move(d));
  }
  return Status::OK();
}

}  // namespace

std::string MetricKeyLabel(const tfma::MetricKey& key, bool with_model) {
  std::string label = key.name();
  if (with_model && !key.model_name().empty()) label = key.model_name() + "/" + label;
  if (!key.output_name().empty()) label += "[" + key.output_name() + "]";
  // Binarized and aggregated keys of one metric get their own columns.
  const tfma::SubKey& sk = key.sub_key();
  if (sk.has_class_id()) label += " class_id=" + std::to_string(sk.class_id().value());
  if (sk.has_k()) label += " k=" + std::to_string(sk.k().value());
  if (sk.has_top_k()) label += " top_k=" + std::to_string(sk.top_k().value());
  const tfma::AggregationType& agg = key.aggregation_type();
  if (agg.micro_average()) label += " micro";
  if (agg.macro_average()) label += " macro";
  if (agg.weighted_macro_average()) label += " weighted_macro";
  if (key.is_diff()) label += " (diff)";
  return label;
}

std::string FormatMetricValue(const tfma::MetricValue& v) {
  if (v.has_double_value()) {
    const double d = v.double_value().value();
    char buf[64];
    if (d == std::floor(d) && std::fabs(d) < 1e15) {
      std::snprintf(buf, sizeof(buf), "%.0f", d);
    } else {
      std::snprintf(buf, sizeof(buf), "%.6g", d);
    }
    return buf;
  }
  if (v.type_case() == tfma::MetricValue::kDebugMessage) return v.debug_message();
  return "(non-scalar)";
}

std::string ValidationSummary(const tfma::ValidationResult& v) {
  std::string s = v.validation_ok() ? "PASSED" : "FAILED";
  if (v.rubber_stamp()) s += " (change thresholds waived: no baseline model)";
  return s;
}

Status WriteEvalResult(const EvalResult& result, const std::string& dir) {
  RETURN_IF_ERROR(CreateDirectories(dir));
  const tfma::EvalConfig& config = result.config;
  if (!Disabled(config, "metrics")) {
    RETURN_IF_ERROR(WriteRecords(JoinPath(dir, kMetricsFile), result.metrics));
  }
  if (!Disabled(config, "plots")) {
    RETURN_IF_ERROR(WriteRecords(JoinPath(dir, kPlotsFile), result.plots));
  }
  if (!Disabled(config, "validations")) {
    RETURN_IF_ERROR(WriteRecords(JoinPath(dir, kValidationsFile),
                                 std::vector<tfma::ValidationResult>{result.validation}));
  }
  if (!Disabled(config, "eval_config.json")) {
    tfma::EvalRun run;
    *run.mutable_eval_config() = config;
    run.set_version(result.version);
    run.set_data_location(result.data_location);
    run.set_file_format(result.file_format);
    for (const auto& [name, path] : result.model_locations)
      (*run.mutable_model_locations())[name] = path;
    google::protobuf::util::JsonPrintOptions options;
    options.add_whitespace = true;
    std::string json;
    auto st = google::protobuf::util::MessageToJsonString(run, &json, options);
    if (!st.ok()) return Status::Internal("eval_config.json: " + std::string(st.message()));
    RETURN_IF_ERROR(WriteFileAtomic(JoinPath(dir, kEvalConfigFile), json));
  }
  if (!Disabled(config, "report.html")) {
    RETURN_IF_ERROR(WriteFileAtomic(JoinPath(dir, kReportFile), RenderHtmlReport(result)));
  }
  if (ReferenceSpec(config) != nullptr) {
    RETURN_IF_ERROR(WriteFileAtomic(JoinPath(dir, kDisagreementsFile), DisagreementsJson(result)));
    if (!Disabled(config, kComparisonFile)) {
      ASSIGN_OR_RETURN(Comparison comparison, CompareWithReference(result));
      RETURN_IF_ERROR(
          WriteFileAtomic(JoinPath(dir, kComparisonFile), RenderComparisonHtml(comparison)));
    }
  }
  return Status::OK();
}

StatusOr<EvalResult> LoadEvalResult(const std::string& dir) {
  if (!IsDirectory(dir)) return Status::NotFound(dir + ": no such evaluation directory");
  EvalResult result;
  const std::string config_path = JoinPath(dir, kEvalConfigFile);
  ASSIGN_OR_RETURN(std::string json, ReadFile(config_path, kMaxEvalConfigBytes));
  tfma::EvalRun run;
  google::protobuf::util::JsonParseOptions parse_options;
  parse_options.ignore_unknown_fields = true;  // newer TFMA may add fields
  auto st = google::protobuf::util::JsonStringToMessage(json, &run, parse_options);
  if (!st.ok()) {
    return Status::Corruption(config_path +
                              ": not a valid EvalRun JSON: " + std::string(st.message()));
  }
  result.config = run.eval_config();
  result.version = run.version();
  result.data_location = run.data_location();
  result.file_format = run.file_format();
  for (const auto& [name, path] : run.model_locations()) result.model_locations[name] = path;

  ASSIGN_OR_RETURN(result.metrics, ReadRecords<tfma::MetricsForSlice>(JoinPath(dir, kMetricsFile),
                                                                      "MetricsForSlice"));
  const std::string plots = JoinPath(dir, kPlotsFile);
  if (PathExists(plots)) {
    ASSIGN_OR_RETURN(result.plots, ReadRecords<tfma::PlotsForSlice>(plots, "PlotsForSlice"));
  }
  const std::string disagreements = JoinPath(dir, kDisagreementsFile);
  if (PathExists(disagreements)) RETURN_IF_ERROR(ReadDisagreements(disagreements, &result));
  const std::string validations = JoinPath(dir, kValidationsFile);
  if (PathExists(validations)) {
    ASSIGN_OR_RETURN(auto v, ReadRecords<tfma::ValidationResult>(validations, "ValidationResult"));
    if (v.size() != 1) {
      return Status::Corruption(validations + ": expected one ValidationResult record, found " +
                                std::to_string(v.size()));
    }
    result.validation = std::move(v[0]);
  }
  return result;
}

std::string RenderMetricsTable(const EvalResult& result) {
  const std::vector<std::string> columns = MetricColumns(result);
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {"slice"};
  header.insert(header.end(), columns.begin(), columns.end());
  rows.push_back(header);
  for (const auto& slice : result.metrics) {
    std::vector<std::string> row = {SliceKeyToString(slice.slice_key())};
    for (const std::string& c : columns) row.push_back(ValueIn(slice, c));
    rows.push_back(std::move(row));
  }
  std::vector<size_t> widths(header.size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (size_t r = 0; r < rows.size(); ++r) {
    for (size_t i = 0; i < rows[r].size(); ++i) {
      const std::string& cell = rows[r][i];
      const size_t pad = widths[i] - cell.size();
      if (i == 0) {
        out += cell + std::string(pad, ' ');
      } else {
        out += "  " + std::string(pad, ' ') + cell;  // numbers right-aligned
      }
    }
    out += "\n";
    if (r == 0) {
      size_t total = 0;
      for (size_t w : widths) total += w + 2;
      out += std::string(total - 2, '-') + "\n";
    }
  }
  out += "validation: " + ValidationSummary(result.validation) + "\n";
  for (const auto& per_slice : result.validation.metric_validations_per_slice()) {
    for (const auto& f : per_slice.failures()) {
      out += "  FAIL " + SliceKeyToString(per_slice.slice_key()) + " " + f.metric_key().name() +
             ": " + (f.has_metric_value() ? FormatMetricValue(f.metric_value()) : "missing") +
             ", " + FormatThreshold(f.metric_threshold()) + "\n";
    }
  }
  for (const auto& missing : result.validation.missing_slices()) {
    out += "  MISSING slice " + missing.ShortDebugString() + "\n";
  }
  return out;
}

std::string RenderHtmlReport(const EvalResult& result) {
  const std::vector<std::string> columns = MetricColumns(result);
  // Failing (slice, metric) cells are highlighted.
  std::set<std::pair<std::string, std::string>> failing;
  for (const auto& per_slice : result.validation.metric_validations_per_slice()) {
    for (const auto& f : per_slice.failures()) {
      failing.insert({SliceKeyBytes(per_slice.slice_key()), MetricKeyLabel(f.metric_key())});
    }
  }
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  h += "<title>Model evaluation</title>\n<style>\n";
  h += "body{font-family:sans-serif;margin:2em;color:#222}\n";
  h += "table{border-collapse:collapse;margin:1em 0}\n";
  h += "th,td{border:1px solid #bbb;padding:4px 10px}td.n{text-align:right;"
       "font-variant-numeric:tabular-nums}\n";
  h += "th{background:#eee}.fail{background:#f8d0d0}.pass{color:#176117}.bad{color:#a11}\n";
  h += "</style></head><body>\n<h1>Model evaluation</h1>\n";
  const bool ok = result.validation.validation_ok();
  h += std::string("<p>Validation: <strong class=\"") + (ok ? "pass" : "bad") + "\">" +
       HtmlText(ValidationSummary(result.validation)) + "</strong></p>\n";
  h += "<p>Data: <code>" + HtmlText(result.data_location) + "</code><br>\n";
  for (const auto& [name, path] : result.model_locations) {
    h += "Model" + (name.empty() ? std::string() : " " + HtmlText(name)) + ": <code>" +
         HtmlText(path) + "</code><br>\n";
  }
  if (result.num_examples > 0) {
    char buf[160];
    std::snprintf(buf, sizeof(buf), "%lld examples in %.3f s (%.0f examples/s)",
                  static_cast<long long>(result.num_examples), result.seconds,
                  result.examples_per_second);
    h += std::string(buf) + "<br>\n";
  }
  h += "Evaluator: " + HtmlText(result.version) + "</p>\n";

  h += "<h2>Metrics by slice</h2>\n<table>\n<tr><th>slice</th>";
  for (const std::string& c : columns) h += "<th>" + HtmlText(c) + "</th>";
  h += "</tr>\n";
  for (const auto& slice : result.metrics) {
    const std::string key = SliceKeyBytes(slice.slice_key());
    h += "<tr><td>" + HtmlText(SliceKeyToString(slice.slice_key())) + "</td>";
    for (const std::string& c : columns) {
      const bool fail = failing.count({key, c}) > 0;
      h += std::string("<td class=\"n") + (fail ? " fail" : "") + "\">" +
           HtmlText(ValueIn(slice, c)) + "</td>";
    }
    h += "</tr>\n";
  }
  h += "</table>\n";

  h += "<h2>Thresholds</h2>\n<table>\n<tr><th>metric</th><th>slices</th><th>threshold</th></tr>\n";
  for (const auto& ms : result.config.metrics_specs()) {
    for (const auto& mc : ms.metrics()) {
      if (mc.has_threshold()) {
        h += "<tr><td>" + HtmlText(mc.class_name()) + "</td><td>all</td><td>" +
             HtmlText(FormatThreshold(mc.threshold())) + "</td></tr>\n";
      }
      for (const auto& pst : mc.per_slice_thresholds()) {
        std::string specs;
        for (const auto& s : pst.slicing_specs()) {
          specs += (specs.empty() ? "" : "; ") +
                   (s.ByteSizeLong() == 0 ? std::string("overall") : s.ShortDebugString());
        }
        h += "<tr><td>" + HtmlText(mc.class_name()) + "</td><td>" + HtmlText(specs) + "</td><td>" +
             HtmlText(FormatThreshold(pst.threshold())) + "</td></tr>\n";
      }
    }
    for (const auto& [name, t] : ms.thresholds()) {
      h += "<tr><td>" + HtmlText(name) + "</td><td>all</td><td>" + HtmlText(FormatThreshold(t)) +
           "</td></tr>\n";
    }
  }
  h += "</table>\n";

  const auto& v = result.validation;
  if (v.metric_validations_per_slice_size() > 0 || v.missing_slices_size() > 0) {
    h += "<h2>Failures</h2>\n<table>\n<tr><th>slice</th><th>metric</th><th>value</th>"
         "<th>threshold</th><th>message</th></tr>\n";
    for (const auto& per_slice : v.metric_validations_per_slice()) {
      for (const auto& f : per_slice.failures()) {
        h += "<tr class=\"fail\"><td>" + HtmlText(SliceKeyToString(per_slice.slice_key())) +
             "</td><td>" + HtmlText(MetricKeyLabel(f.metric_key())) + "</td><td class=\"n\">" +
             (f.has_metric_value() ? HtmlText(FormatMetricValue(f.metric_value())) : "-") +
             "</td><td>" + HtmlText(FormatThreshold(f.metric_threshold())) + "</td><td>" +
             HtmlText(f.message()) + "</td></tr>\n";
      }
    }
    for (const auto& missing : v.missing_slices()) {
      h += "<tr class=\"fail\"><td>" + HtmlText(missing.ShortDebugString()) +
           "</td><td colspan=\"4\">no example falls in this slice</td></tr>\n";
    }
    h += "</table>\n";
  }
  h += "</body></html>\n";
  return h;
}

}  // namespace edgepipe::eval
