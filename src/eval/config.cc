#include "src/eval/config.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/json_util.h>

#include <cstdint>
#include <set>
#include <string_view>
#include <vector>

#include "src/core/files.h"
#include "src/core/utf8.h"
#include "src/eval/baseline.h"
#include "src/eval/metrics.h"
#include "src/io/text_proto.h"

namespace edgepipe::eval {
namespace {

std::string Index(std::string_view field, int i) {
  return std::string(field) + "[" + std::to_string(i) + "]";
}

// Every string field of `m` (at `path`, recursively) must be UTF-8, as
// protobuf requires: the text parser lets other bytes through, and such a
// config cannot be written back as eval_config.json.
Status CheckUtf8Strings(const google::protobuf::Message& m, const std::string& path,
                        const std::string& where) {
  using google::protobuf::FieldDescriptor;
  const google::protobuf::Reflection* refl = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  refl->ListFields(m, &fields);
  for (const FieldDescriptor* f : fields) {
    const std::string name = path.empty() ? f->name() : path + "." + f->name();
    const int n = f->is_repeated() ? refl->FieldSize(m, f) : 1;
    for (int i = 0; i < n; ++i) {
      const std::string at = f->is_repeated() ? Index(name, i) : name;
      if (f->type() == FieldDescriptor::TYPE_STRING) {
        std::string scratch;
        const std::string& value = f->is_repeated()
                                       ? refl->GetRepeatedStringReference(m, f, i, &scratch)
                                       : refl->GetStringReference(m, f, &scratch);
        const size_t bad = FirstInvalidUtf8(value);
        if (bad != std::string_view::npos) {
          return Status::InvalidArgument(where + ": " + at + ": invalid UTF-8 at byte " +
                                         std::to_string(bad) + " of the string (expected UTF-8)");
        }
      } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        RETURN_IF_ERROR(CheckUtf8Strings(
            f->is_repeated() ? refl->GetRepeatedMessage(m, f, i) : refl->GetMessage(m, f), at,
            where));
      }
    }
  }
  return Status::OK();
}

// True if `json` is an object with an "evalConfig" (or "eval_config") member
// at its top level, i.e. an EvalRun. Only the top level counts: the same
// word as a value or deeper key (a label key "evalConfig") does not.
bool IsEvalRunJson(std::string_view json) {
  google::protobuf::Struct top;
  if (!google::protobuf::util::JsonStringToMessage(std::string(json), &top).ok()) return false;
  return top.fields().contains("evalConfig") || top.fields().contains("eval_config");
}

Status CheckValueThreshold(const tfma::GenericValueThreshold& t, const std::string& where) {
  if (!t.has_lower_bound() && !t.has_upper_bound()) {
    return Status::InvalidArgument(where +
                                   ".value_threshold: neither lower_bound nor upper_bound is set");
  }
  if (t.has_lower_bound() && t.has_upper_bound() &&
      t.lower_bound().value() > t.upper_bound().value()) {
    return Status::InvalidArgument(where + ".value_threshold: lower_bound " +
                                   std::to_string(t.lower_bound().value()) + " > upper_bound " +
                                   std::to_string(t.upper_bound().value()));
  }
  return Status::OK();
}

Status CheckThreshold(const tfma::MetricThreshold& t, const std::string& where) {
  if (!t.has_value_threshold() && !t.has_change_threshold()) {
    return Status::InvalidArgument(where +
                                   ": threshold has neither value_threshold nor change_threshold");
  }
  if (t.has_value_threshold()) RETURN_IF_ERROR(CheckValueThreshold(t.value_threshold(), where));
  if (t.has_change_threshold()) {
    const auto& c = t.change_threshold();
    if (!c.has_absolute() && !c.has_relative()) {
      return Status::InvalidArgument(where +
                                     ".change_threshold: neither absolute nor relative is set");
    }
    if (c.direction() == tfma::UNKNOWN) {
      return Status::InvalidArgument(
          where + ".change_threshold: direction must be LOWER_IS_BETTER or HIGHER_IS_BETTER");
    }
  }
  return Status::OK();
}

Status CheckSlicingSpec(const tfma::SlicingSpec& spec, const std::string& where) {
  if (!spec.slice_keys_sql().empty()) {
    return Status::Unimplemented(where +
                                 ".slice_keys_sql: SQL slicing is not supported; use "
                                 "feature_keys / feature_values");
  }
  std::set<std::string> seen;
  for (int i = 0; i < spec.feature_keys_size(); ++i) {
    if (spec.feature_keys(i).empty()) {
      return Status::InvalidArgument(Index(where + ".feature_keys", i) + ": empty feature name");
    }
    if (!seen.insert(spec.feature_keys(i)).second ||
        spec.feature_values().count(spec.feature_keys(i))) {
      return Status::InvalidArgument(Index(where + ".feature_keys", i) + ": feature \"" +
                                     spec.feature_keys(i) + "\" named twice");
    }
  }
  return Status::OK();
}

}  // namespace

const std::vector<std::string_view>& KnownModelTypes() {
  static const std::vector<std::string_view> kTypes = {kTfKeras, kTfEstimator, kTfLite, kTfJs,
                                                       kTfGeneric};
  return kTypes;
}

Status ValidateEvalConfig(const tfma::EvalConfig& config, std::string_view where_view) {
  const std::string where(where_view);
  RETURN_IF_ERROR(CheckUtf8Strings(config, "", where));
  if (config.model_specs_size() == 0) {
    return Status::InvalidArgument(where + ": model_specs: at least one model spec is required");
  }
  std::set<std::string> model_names;
  int baselines = 0;
  for (int i = 0; i < config.model_specs_size(); ++i) {
    const tfma::ModelSpec& spec = config.model_specs(i);
    const std::string at = where + ": " + Index("model_specs", i);
    if (spec.label_key().empty()) {
      if (spec.label_keys_size() > 0) {
        return Status::Unimplemented(at +
                                     ".label_keys: multi-output models are not supported; "
                                     "set label_key");
      }
      return Status::InvalidArgument(at + ": label_key is not set");
    }
    if (!spec.model_type().empty()) {
      bool known = false;
      std::string list;
      for (std::string_view t : KnownModelTypes()) {
        known = known || t == spec.model_type();
        list += (list.empty() ? "" : ", ") + std::string(t);
      }
      if (!known) {
        return Status::InvalidArgument(at + ".model_type: unknown model type \"" +
                                       spec.model_type() + "\" (known: " + list + ")");
      }
    }
    if (spec.prediction_keys_size() > 0 || spec.example_weight_keys_size() > 0) {
      return Status::Unimplemented(at +
                                   ": prediction_keys / example_weight_keys (multi-output) "
                                   "are not supported");
    }
    if (spec.preprocessing_function_names_size() > 0) {
      return Status::Unimplemented(at +
                                   ".preprocessing_function_names: preprocessing signatures "
                                   "are not supported; evaluate on transformed examples");
    }
    if (!model_names.insert(spec.name()).second) {
      return Status::InvalidArgument(at + ".name: model name \"" + spec.name() + "\" used twice");
    }
    baselines += spec.is_baseline() ? 1 : 0;
  }
  if (baselines > 1) {
    return Status::InvalidArgument(where + ": model_specs: " + std::to_string(baselines) +
                                   " specs have is_baseline set; at most one may");
  }
  // Roles (eval/baseline.h): one candidate, at most one reference, at most one baseline.
  const int non_baselines = config.model_specs_size() - baselines;
  if (non_baselines > 2) {
    return Status::InvalidArgument(where + ": model_specs: " + std::to_string(non_baselines) +
                                   " specs without is_baseline; at most two may (the candidate "
                                   "and the reference model it was converted from)");
  }
  for (int i = 0; i < config.slicing_specs_size(); ++i) {
    RETURN_IF_ERROR(
        CheckSlicingSpec(config.slicing_specs(i), where + ": " + Index("slicing_specs", i)));
  }
  if (config.cross_slicing_specs_size() > 0) {
    return Status::Unimplemented(where + ": cross_slicing_specs are not supported");
  }
  const bool has_weights = !config.model_specs(0).example_weight_key().empty();
  for (int s = 0; s < config.metrics_specs_size(); ++s) {
    const tfma::MetricsSpec& ms = config.metrics_specs(s);
    const std::string at = where + ": " + Index("metrics_specs", s);
    RETURN_IF_ERROR(KeysOfMetricsSpec(ms, has_weights, at).status());
    if (!ms.query_key().empty()) {
      return Status::Unimplemented(at + ".query_key: query-based metrics are not supported");
    }
    if (ms.output_names_size() > 0 || ms.output_weights_size() > 0) {
      return Status::Unimplemented(at + ".output_names: multi-output models are not supported");
    }
    if (ms.cross_slice_thresholds_size() > 0) {
      return Status::Unimplemented(
          at + ".cross_slice_thresholds: cross-slice thresholds are not supported");
    }
    for (int n = 0; n < ms.model_names_size(); ++n) {
      if (!model_names.count(ms.model_names(n))) {
        return Status::InvalidArgument(Index(at + ".model_names", n) +
                                       ": no model spec is named \"" + ms.model_names(n) + "\"");
      }
    }
    std::set<std::string> metric_names;
    std::set<std::string> plot_names;
    for (int m = 0; m < ms.metrics_size(); ++m) {
      const tfma::MetricConfig& mc = ms.metrics(m);
      const std::string mat = at + "." + Index("metrics", m);
      ASSIGN_OR_RETURN(ResolvedMetric metric, ResolveMetric(mc, mat));
      const std::string& name = metric.options.name;
      if (!metric_names.insert(name).second) {
        return Status::InvalidArgument(mat + ": metric name \"" + name +
                                       "\" appears twice in this metrics spec");
      }
      if (metric.def->needs_reference && ReferenceSpec(config) == nullptr) {
        return Status::InvalidArgument(
            mat + ": " + std::string(metric.def->class_name) +
            " compares the candidate with a reference model: add a second model spec without "
            "is_baseline (the model the candidate was converted from)");
      }
      if (metric.def->plot) {
        plot_names.insert(name);
        if (mc.has_threshold() || mc.per_slice_thresholds_size() > 0) {
          return Status::InvalidArgument(mat + ": " + std::string(metric.def->class_name) +
                                         " is a plot; a plot has no value to threshold");
        }
      }
      if (mc.has_threshold()) RETURN_IF_ERROR(CheckThreshold(mc.threshold(), mat + ".threshold"));
      if (mc.cross_slice_thresholds_size() > 0) {
        return Status::Unimplemented(
            mat + ".cross_slice_thresholds: cross-slice thresholds are not supported");
      }
      for (int p = 0; p < mc.per_slice_thresholds_size(); ++p) {
        const std::string pat = mat + "." + Index("per_slice_thresholds", p);
        const auto& pst = mc.per_slice_thresholds(p);
        if (!pst.has_threshold()) return Status::InvalidArgument(pat + ": threshold is not set");
        RETURN_IF_ERROR(CheckThreshold(pst.threshold(), pat + ".threshold"));
        for (int q = 0; q < pst.slicing_specs_size(); ++q) {
          RETURN_IF_ERROR(
              CheckSlicingSpec(pst.slicing_specs(q), pat + "." + Index("slicing_specs", q)));
        }
      }
    }
    // A threshold on a metric this spec does not compute could only fail
    // ("Metric not found.") after the model was trained: refuse it now.
    auto computed = [&](const std::string& name, const std::string& field) -> Status {
      if (plot_names.count(name)) {
        return Status::InvalidArgument(field + ": \"" + name +
                                       "\" is a plot; a plot has no value to threshold");
      }
      if (metric_names.count(name)) return Status::OK();
      std::string list;
      for (const std::string& n : metric_names) list += (list.empty() ? "" : ", ") + n;
      return Status::InvalidArgument(field + ": threshold on metric \"" + name +
                                     "\", which this metrics spec does not compute (computed: " +
                                     (list.empty() ? "none" : list) + ")");
    };
    for (const auto& [name, threshold] : ms.thresholds()) {
      const std::string tat = at + ".thresholds[\"" + name + "\"]";
      RETURN_IF_ERROR(computed(name, tat));
      RETURN_IF_ERROR(CheckThreshold(threshold, tat));
    }
    for (const auto& [name, list] : ms.per_slice_thresholds()) {
      RETURN_IF_ERROR(computed(name, at + ".per_slice_thresholds[\"" + name + "\"]"));
      for (int p = 0; p < list.thresholds_size(); ++p) {
        const std::string pat =
            at + ".per_slice_thresholds[\"" + name + "\"]." + Index("thresholds", p);
        RETURN_IF_ERROR(CheckThreshold(list.thresholds(p).threshold(), pat + ".threshold"));
      }
    }
  }
  if (config.options().compute_confidence_intervals().value() &&
      config.options().confidence_intervals().method() ==
          tfma::ConfidenceIntervalOptions::JACKKNIFE) {
    return Status::Unimplemented(where +
                                 ": options.confidence_intervals.method JACKKNIFE is not "
                                 "supported; use POISSON_BOOTSTRAP (the default)");
  }
  if (config.options().has_min_slice_size() && config.options().min_slice_size().value() < 0) {
    return Status::InvalidArgument(where + ": options.min_slice_size must be >= 0");
  }
  static const std::set<std::string> kOutputs = {"metrics", "plots", "validations",
                                                 "eval_config.json", "report.html"};
  for (const std::string& out : config.options().disabled_outputs().values()) {
    if (!kOutputs.count(out)) {
      return Status::InvalidArgument(where + ": options.disabled_outputs: unknown output \"" + out +
                                     "\" (known: metrics, plots, validations, eval_config.json, "
                                     "report.html)");
    }
  }
  return Status::OK();
}

StatusOr<tfma::EvalConfig> ParseEvalConfigText(std::string_view text, std::string_view where) {
  tfma::EvalConfig config;
  RETURN_IF_ERROR(io::ParseTextProto(text, where, &config));
  RETURN_IF_ERROR(ValidateEvalConfig(config, where));
  return config;
}

StatusOr<tfma::EvalConfig> ParseEvalConfigJson(std::string_view json, std::string_view where) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  tfma::EvalConfig config;
  // eval_config.json holds an EvalRun; a bare EvalConfig is accepted too.
  const bool is_run = IsEvalRunJson(json);
  google::protobuf::util::Status st;
  if (is_run) {
    tfma::EvalRun run;
    st = google::protobuf::util::JsonStringToMessage(std::string(json), &run, options);
    if (st.ok()) config = run.eval_config();
  } else {
    st = google::protobuf::util::JsonStringToMessage(std::string(json), &config, options);
  }
  if (!st.ok()) {
    return Status::InvalidArgument(std::string(where) +
                                   ": invalid JSON EvalConfig: " + std::string(st.message()));
  }
  RETURN_IF_ERROR(ValidateEvalConfig(config, where));
  return config;
}

StatusOr<tfma::EvalConfig> ReadEvalConfig(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path, kMaxEvalConfigBytes));
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && text[first] == '{') return ParseEvalConfigJson(text, path);
  return ParseEvalConfigText(text, path);
}

std::string EvalConfigToText(const tfma::EvalConfig& config) {
  std::string out;
  google::protobuf::TextFormat::PrintToString(config, &out);
  return out;
}

StatusOr<std::string> EvalConfigToJson(const tfma::EvalConfig& config) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = false;
  std::string out;
  auto st = google::protobuf::util::MessageToJsonString(config, &out, options);
  if (!st.ok()) return Status::Internal("EvalConfig to JSON: " + std::string(st.message()));
  return out;
}

}  // namespace edgepipe::eval
