// Seeds of eval_config_fuzzer: valid EvalConfigs rendered by our own
// EvalConfigToText and EvalConfigToJson, plus one EvalRun as WriteEvalResult
// writes eval_config.json. Every config is checked by ParseEvalConfigText
// first, so a seed that stops validating fails here, not silently.
#include <google/protobuf/util/json_util.h>

#include <string>
#include <vector>

#include "fuzz/corpus.h"
#include "src/eval/config.h"

namespace edgepipe::fuzz {
namespace {

// TFX's MNIST config, a tf_lite candidate against a baseline with every kind
// of slice and threshold, and one with per-slice thresholds and options.
constexpr const char* kConfigs[][2] = {
    {"mnist", R"pb(
       model_specs { label_key: "image_class" }
       slicing_specs {}
       metrics_specs {
         metrics {
           class_name: "SparseCategoricalAccuracy"
           threshold { value_threshold { lower_bound { value: 0.8 } } }
         }
         metrics { class_name: "ExampleCount" }
       }
     )pb"},
    {"lite_vs_baseline", R"pb(
       model_specs { name: "candidate" label_key: "label" model_type: "tf_lite" }
       model_specs { name: "baseline" label_key: "label" model_type: "tf_keras" is_baseline: true }
       slicing_specs {}
       slicing_specs { feature_keys: "digit" }
       slicing_specs { feature_values { key: "digit" value: "3" } }
       metrics_specs {
         model_names: "candidate"
         metrics {
           class_name: "SparseCategoricalAccuracy"
           threshold {
             value_threshold {
               lower_bound { value: 0.5 }
               upper_bound { value: 1 }
             }
             change_threshold {
               direction: HIGHER_IS_BETTER
               absolute { value: -1e-10 }
             }
           }
         }
         metrics { class_name: "SparseTopKCategoricalAccuracy" config: '"k": 3' }
         metrics { class_name: "SparseCategoricalCrossentropy" config: '"from_logits": true' }
       }
     )pb"},
    {"weighted_per_slice", R"pb(
       model_specs { label_key: "y" example_weight_key: "w" }
       slicing_specs { feature_keys: "a" feature_keys: "b" }
       metrics_specs {
         metrics {
           class_name: "WeightedExampleCount"
           per_slice_thresholds {
             slicing_specs { feature_keys: "a" }
             threshold { value_threshold { lower_bound { value: 10 } } }
           }
         }
         thresholds {
           key: "weighted_example_count"
           value { value_threshold { upper_bound { value: 1e9 } } }
         }
       }
       options {
         min_slice_size { value: 2 }
         disabled_outputs { values: "report.html" }
       }
     )pb"},
};

}  // namespace

Status WriteEvalConfigSeeds(const std::string& dir) {
  for (const auto& [name, text] : kConfigs) {
    ASSIGN_OR_RETURN(eval::tfma::EvalConfig config, eval::ParseEvalConfigText(text, name));
    RETURN_IF_ERROR(WriteSeed(dir, std::string(name) + ".pbtxt", eval::EvalConfigToText(config)));
    ASSIGN_OR_RETURN(std::string json, eval::EvalConfigToJson(config));
    RETURN_IF_ERROR(WriteSeed(dir, std::string(name) + ".json", json));
  }
  // eval_config.json: an EvalRun, with the options WriteEvalResult uses.
  ASSIGN_OR_RETURN(eval::tfma::EvalConfig config,
                   eval::ParseEvalConfigText(kConfigs[0][1], "mnist"));
  eval::tfma::EvalRun run;
  *run.mutable_eval_config() = config;
  run.set_version("edgepipe");
  run.set_data_location("Split-eval/data_tfrecord-00000-of-00001.gz");
  run.set_file_format("tfrecords");
  (*run.mutable_model_locations())["candidate"] = "Trainer/model/3/Format-Serving";
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(run, &json, options).ok()) {
    return Status::Internal("EvalRun to JSON failed");
  }
  return WriteSeed(dir, "eval_run.json", json);
}

}  // namespace edgepipe::fuzz
