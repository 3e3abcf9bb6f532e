#include "src/lite/rewriter.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <random>

#include "src/core/files.h"
#include "src/lite/converter.h"
#include "src/nn/model.h"
#include "src/nn/saving.h"

namespace edgepipe::lite {

const char* ModelTypeName(ModelType type) {
  switch (type) {
    case ModelType::kAnyModel:
      return "ANY_MODEL";
    case ModelType::kSavedModel:
      return "SAVED_MODEL";
    case ModelType::kTFLiteModel:
      return "TFLITE_MODEL";
    case ModelType::kTFJSModel:
      return "TFJS_MODEL";
  }
  return "?";
}

const char* OptimizeName(Optimize o) {
  switch (o) {
    case Optimize::kDefault:
      return "DEFAULT";
    case Optimize::kOptimizeForSize:
      return "OPTIMIZE_FOR_SIZE";
    case Optimize::kOptimizeForLatency:
      return "OPTIMIZE_FOR_LATENCY";
    case Optimize::kExperimentalSparsity:
      return "EXPERIMENTAL_SPARSITY";
  }
  return "?";
}

namespace {

constexpr char kOptionPrefix[] = "TFLiteRewriter option '";

Status OptionError(bool unimplemented, const std::string& option, const std::string& what) {
  std::string msg = kOptionPrefix + option + "': " + what;
  return unimplemented ? Status::Unimplemented(msg) : Status::InvalidArgument(msg);
}

// TFLiteRewriterOptions::test_only_weight_noise: a deliberately unfaithful
// conversion, reproducible (a fixed-seed generator).
Status AddWeightNoise(float noise, nn::Model& model) {
  std::mt19937 generator(20261206);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<std::pair<std::string, Tensor>> weights = model.GetWeights();
  for (auto& [name, tensor] : weights) {
    if (tensor.dtype() != DType::kFloat32) continue;
    float* w = tensor.data<float>();
    float largest = 0.0f;
    for (int64_t i = 0; i < tensor.num_elements(); ++i)
      largest = std::max(largest, std::fabs(w[i]));
    for (int64_t i = 0; i < tensor.num_elements(); ++i)
      w[i] += noise * largest * uniform(generator);
  }
  return model.SetWeights(weights);
}

class TFLiteRewriter : public BaseRewriter {
 public:
  explicit TFLiteRewriter(TFLiteRewriterOptions options) : options_(std::move(options)) {}
  const std::string& name() const override { return options_.name; }

  Status PerformRewrite(const ModelDescription& original,
                        const ModelDescription& rewritten) const override {
    const std::string who = "TFLiteRewriter '" + options_.name + "'";
    if (original.model_type != ModelType::kSavedModel &&
        original.model_type != ModelType::kAnyModel) {
      return Status::InvalidArgument(who + ": original model must be SAVED_MODEL, got " +
                                     ModelTypeName(original.model_type));
    }
    if (rewritten.model_type != ModelType::kTFLiteModel &&
        rewritten.model_type != ModelType::kAnyModel) {
      return Status::InvalidArgument(who + ": rewritten model type must be TFLITE_MODEL, got " +
                                     ModelTypeName(rewritten.model_type));
    }
    // Sequential and functional saved models alike.
    ASSIGN_OR_RETURN(std::unique_ptr<nn::Model> model, nn::LoadAnyModel(original.path));
    // edgepipe saved models carry exactly one signature, serving_default.
    if (options_.signature_key != "serving_default") {
      return Status::NotFound(std::string(kOptionPrefix) + "signature_key': signature '" +
                              options_.signature_key + "' not in " + original.path +
                              " (available: 'serving_default')");
    }
    if (options_.test_only_weight_noise > 0.0f) {
      RETURN_IF_ERROR(AddWeightNoise(options_.test_only_weight_noise, *model));
    }
    ASSIGN_OR_RETURN(ConverterOptions converter_options, ConverterOptionsFor(options_));
    StatusOr<std::string> bytes = ConvertModel(*model, converter_options);
    if (!bytes.ok()) return bytes.status().WithContext(original.path);
    RETURN_IF_ERROR(CreateDirectories(rewritten.path));
    return WriteFileAtomic(JoinPath(rewritten.path, options_.filename), *bytes);
  }

 private:
  TFLiteRewriterOptions options_;
};

bool IsIoType(DType t) { return t == DType::kFloat32 || t == DType::kInt8 || t == DType::kUInt8; }

}  // namespace

StatusOr<ConverterOptions> ConverterOptionsFor(const TFLiteRewriterOptions& o) {
  if (o.filename.empty() || o.filename.find('/') != std::string::npos || o.filename == "." ||
      o.filename == "..") {
    return OptionError(false, "filename", "'" + o.filename + "' is not a plain file name");
  }
  if (o.signature_key.empty()) return OptionError(false, "signature_key", "must not be empty");
  if (!(o.test_only_weight_noise >= 0.0f && o.test_only_weight_noise <= 10.0f)) {
    return OptionError(false, "test_only_weight_noise",
                       "must be in [0, 10], got " + std::to_string(o.test_only_weight_noise));
  }
  const bool optimize = !o.quantization_optimizations.empty();
  const bool full = o.quantization_enable_full_integer;
  bool want_f16 = false, want_int8 = false;
  for (DType t : o.quantization_supported_types) {
    if (t == DType::kFloat16) {
      want_f16 = true;
    } else if (t == DType::kInt8) {
      want_int8 = true;
    } else {
      return OptionError(
          false, "quantization_supported_types",
          std::string("type ") + DTypeName(t) + " is not a quantization target (float16, int8)");
    }
  }
  for (const auto& [key, type] : {std::pair{"inference_input_type", o.inference_input_type},
                                  std::pair{"inference_output_type", o.inference_output_type}}) {
    if (!IsIoType(type)) {
      return OptionError(false, key,
                         std::string(DTypeName(type)) + " is not one of float32, int8, uint8");
    }
    if (type != DType::kFloat32 && !full) {
      return OptionError(false, key,
                         std::string(DTypeName(type)) +
                             " model I/O needs quantization_enable_full_integer (without it the "
                             "model keeps float32 I/O)");
    }
  }
  // Contradictions first: TF silently ignores these combinations.
  if (!optimize && !o.quantization_supported_types.empty()) {
    return OptionError(false, "quantization_supported_types",
                       "given without quantization_optimizations (it would be ignored)");
  }
  if (!optimize && full) {
    return OptionError(false, "quantization_enable_full_integer",
                       "set without quantization_optimizations (it would be ignored)");
  }
  if (!optimize && o.representative_dataset) {
    return OptionError(false, "representative_dataset",
                       "given without quantization_optimizations (it would be ignored)");
  }
  if (full && !o.representative_dataset) {
    return OptionError(false, "quantization_enable_full_integer",
                       "full-integer quantization needs a representative_dataset");
  }
  if (!full && o.representative_dataset) {
    return OptionError(false, "representative_dataset",
                       "given without quantization_enable_full_integer (it would be ignored)");
  }
  if (want_f16 && want_int8) {
    return OptionError(false, "quantization_supported_types",
                       "[float16, int8] asks for two different quantizations; pick one");
  }
  if (want_f16 && full) {
    return OptionError(false, "quantization_enable_full_integer",
                       "contradicts quantization_supported_types=[float16] (float16 weights "
                       "keep float activations)");
  }
  if (want_int8 && !full) {
    return OptionError(false, "quantization_supported_types",
                       "[int8] means integer-only quantization: it needs "
                       "quantization_enable_full_integer and a representative_dataset");
  }
  for (Optimize opt : o.quantization_optimizations) {
    if (opt == Optimize::kExperimentalSparsity) {
      return OptionError(true, "quantization_optimizations",
                         "EXPERIMENTAL_SPARSITY is not supported (sparse weights are not written)");
    }
  }
  ConverterOptions c;
  c.signature_key = o.signature_key;
  c.quantization = !optimize  ? QuantizationMode::kNone
                   : full     ? QuantizationMode::kFullInteger
                   : want_f16 ? QuantizationMode::kFloat16
                              : QuantizationMode::kDynamicRange;
  if (full) c.representative_dataset = o.representative_dataset;
  c.inference_input_type = o.inference_input_type;
  c.inference_output_type = o.inference_output_type;
  return c;
}

StatusOr<TFLiteRewriterOptions> ParseTFLiteRewriterOptions(std::string_view json_text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(std::string("TFLiteRewriter options: invalid JSON: ") +
                                   e.what());
  }
  if (!j.is_object())
    return Status::InvalidArgument("TFLiteRewriter options: expected a JSON object");
  TFLiteRewriterOptions o;
  auto bad = [](const std::string& key, const std::string& want) {
    return OptionError(false, key, "expected " + want);
  };
  for (const auto& [key, value] : j.items()) {
    if (key == "name" || key == "filename" || key == "signature_key") {
      if (!value.is_string()) return bad(key, "a string");
      std::string s = value.get<std::string>();
      (key == "name" ? o.name : key == "filename" ? o.filename : o.signature_key) = std::move(s);
    } else if (key == "quantization_enable_full_integer") {
      if (!value.is_boolean()) return bad(key, "true or false");
      o.quantization_enable_full_integer = value.get<bool>();
    } else if (key == "quantization_optimizations") {
      if (!value.is_array()) return bad(key, "a list of DEFAULT, OPTIMIZE_FOR_SIZE, ...");
      for (const auto& v : value) {
        bool found = false;
        for (Optimize opt : {Optimize::kDefault, Optimize::kOptimizeForSize,
                             Optimize::kOptimizeForLatency, Optimize::kExperimentalSparsity}) {
          if (v.is_string() && v.get<std::string>() == OptimizeName(opt)) {
            o.quantization_optimizations.push_back(opt);
            found = true;
          }
        }
        if (!found)
          return bad(key,
                     "values among DEFAULT, OPTIMIZE_FOR_SIZE, OPTIMIZE_FOR_LATENCY, "
                     "EXPERIMENTAL_SPARSITY, got " +
                         v.dump());
      }
    } else if (key == "quantization_supported_types") {
      if (!value.is_array()) return bad(key, "a list of dtype names");
      for (const auto& v : value) {
        bool found = false;
        for (DType t : {DType::kFloat32, DType::kFloat16, DType::kInt32, DType::kInt64,
                        DType::kInt8, DType::kUInt8}) {
          if (v.is_string() && v.get<std::string>() == DTypeName(t)) {
            o.quantization_supported_types.push_back(t);
            found = true;
          }
        }
        if (!found) return bad(key, "dtype names (float16, int8), got " + v.dump());
      }
    } else if (key == "inference_input_type" || key == "inference_output_type") {
      DType* slot =
          key == "inference_input_type" ? &o.inference_input_type : &o.inference_output_type;
      bool found = false;
      for (DType t : {DType::kFloat32, DType::kInt8, DType::kUInt8}) {
        if (value.is_string() && value.get<std::string>() == DTypeName(t)) {
          *slot = t;
          found = true;
        }
      }
      if (!found) return bad(key, "one of float32, int8, uint8, got " + value.dump());
    } else if (key == "test_only_weight_noise") {
      if (!value.is_number()) return bad(key, "a number in [0, 10]");
      o.test_only_weight_noise = value.get<float>();
    } else if (key == "representative_dataset") {
      return OptionError(false, key,
                         "cannot be given as JSON; pass a RepresentativeDataset in code");
    } else {
      return Status::InvalidArgument(std::string(kOptionPrefix) + key +
                                     "' is unknown (known: name, filename, "
                                     "quantization_optimizations, quantization_supported_types, "
                                     "quantization_enable_full_integer, representative_dataset, "
                                     "signature_key, inference_input_type, "
                                     "inference_output_type, test_only_weight_noise)");
    }
  }
  return o;
}

namespace rewriter_factory {
StatusOr<std::unique_ptr<BaseRewriter>> CreateRewriter(RewriterType type,
                                                       TFLiteRewriterOptions options) {
  if (type != RewriterType::kTFLiteRewriter) {
    return Status::InvalidArgument("unknown rewriter type " +
                                   std::to_string(static_cast<int>(type)));
  }
  RETURN_IF_ERROR(ConverterOptionsFor(options).status());
  return std::unique_ptr<BaseRewriter>(new TFLiteRewriter(std::move(options)));
}
}  // namespace rewriter_factory

namespace converters {
Status RewriteSavedModel(const std::string& src, const std::string& dst,
                         const BaseRewriter& rewriter, ModelType rewritten_model_type) {
  if (src.empty() || dst.empty()) {
    return Status::InvalidArgument("RewriteSavedModel: source and destination must be given");
  }
  if (src == dst) {
    return Status::InvalidArgument("RewriteSavedModel: source and destination are both " + src);
  }
  if (!IsDirectory(src)) {
    return Status::NotFound(src + ": saved model directory does not exist");
  }
  return rewriter.PerformRewrite({ModelType::kSavedModel, src}, {rewritten_model_type, dst});
}
}  // namespace converters

}  // namespace edgepipe::lite
