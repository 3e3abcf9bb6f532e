// Model rewriters, mirroring TFX's tfx.components.trainer.rewriting API:
//
//   ASSIGN_OR_RETURN(auto rewriter, lite::rewriter_factory::CreateRewriter(
//       lite::RewriterType::kTFLiteRewriter,
//       lite::TFLiteRewriterOptions{.name = "tflite_rewriter"}));
//   RETURN_IF_ERROR(lite::converters::RewriteSavedModel(
//       serving_model_dir, tflite_dir, *rewriter, lite::ModelType::kTFLiteModel));
//   // -> <tflite_dir>/tflite
//
// Unlike TFX, no option is ever silently dropped: an unknown, unsupported or
// contradictory option is an error naming it (CreateRewriter validates the
// options up front; ParseTFLiteRewriterOptions also rejects unknown keys).
//
// Quantization modes (TF converter meanings; converter.h has the details):
//   optimizations=[DEFAULT]                         -> dynamic range (int8 weights)
//   + supported_types=[float16]                     -> float16 weights
//   + enable_full_integer + representative_dataset  -> full integer int8
//     (supported_types=[int8] may be added; inference_input_type /
//     inference_output_type pick float32 (default), int8 or uint8 I/O).
// OPTIMIZE_FOR_SIZE / OPTIMIZE_FOR_LATENCY are TF's deprecated aliases of
// DEFAULT and mean the same; EXPERIMENTAL_SPARSITY is Unimplemented.
//
// Rewriters are immutable after creation and may be shared across threads;
// PerformRewrite reads its source and writes its destination file atomically
// (temp + rename), so a failed or killed rewrite leaves no partial file.
#ifndef EDGEPIPE_LITE_REWRITER_H_
#define EDGEPIPE_LITE_REWRITER_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/core/status.h"
#include "src/core/tensor.h"
#include "src/lite/converter.h"

namespace edgepipe::lite {

enum class RewriterType { kTFLiteRewriter };

// TFX rewriting.ModelType.
enum class ModelType { kAnyModel, kSavedModel, kTFLiteModel, kTFJSModel };
const char* ModelTypeName(ModelType type);  // "SAVED_MODEL", "TFLITE_MODEL", ...

// tf.lite.Optimize.
enum class Optimize { kDefault, kOptimizeForSize, kOptimizeForLatency, kExperimentalSparsity };
const char* OptimizeName(Optimize o);  // "DEFAULT", ...

// RepresentativeDataset (TF's representative_dataset generator) is declared in
// converter.h; calibration.h builds one from training examples.

struct TFLiteRewriterOptions {
  std::string name;                 // rewriter name (logs, errors)
  std::string filename = "tflite";  // file written in the destination directory
  // Default member initializers everywhere, so designated initializers
  // ({.name = "x"}) compile warning-free under -Wextra.
  std::vector<Optimize> quantization_optimizations = {};
  std::vector<DType> quantization_supported_types = {};
  bool quantization_enable_full_integer = false;
  RepresentativeDataset representative_dataset = {};  // empty = none
  std::string signature_key = "serving_default";
  // Not TFX rewriter fields (TFX passes them as converter attributes):
  // full-integer model input/output type, float32 (QUANTIZE/DEQUANTIZE
  // inside the model), int8 or uint8.
  DType inference_input_type = DType::kFloat32;
  DType inference_output_type = DType::kFloat32;
  // For tests only (the Evaluator's fidelity gate must be seen to refuse a
  // bad conversion): before converting, every weight w of the model becomes
  // w + noise * max|W| * u, u uniform in [-1, 1] from a fixed seed, W its
  // tensor. 0 (the default) converts faithfully. Must be in [0, 10].
  float test_only_weight_noise = 0.0f;
};

// Options from a JSON object with the field names above
// ({"name": "x", "quantization_optimizations": ["DEFAULT"], ...}; types by
// dtype name, e.g. "float16", also for inference_input_type /
// inference_output_type). InvalidArgument names any unknown key or bad value;
// representative_dataset cannot be given in JSON.
StatusOr<TFLiteRewriterOptions> ParseTFLiteRewriterOptions(std::string_view json_text);

// TFX ModelDescription: a model's type and its path (a directory).
struct ModelDescription {
  ModelType model_type = ModelType::kAnyModel;
  std::string path;
};

class BaseRewriter {
 public:
  virtual ~BaseRewriter() = default;
  virtual const std::string& name() const = 0;
  // Reads `original`, writes `rewritten`. Validates both descriptions first.
  virtual Status PerformRewrite(const ModelDescription& original,
                                const ModelDescription& rewritten) const = 0;
};

// The converter options the rewriter options mean (mode, dataset, I/O types).
// InvalidArgument for contradictory options (e.g. full integer without a
// representative dataset, float16 with full integer, supported types without
// optimizations, a dataset without full integer, int8 I/O without full
// integer, an empty or path-like filename); Unimplemented for
// EXPERIMENTAL_SPARSITY. Each message starts "TFLiteRewriter option '<name>'".
StatusOr<ConverterOptions> ConverterOptionsFor(const TFLiteRewriterOptions& options);

namespace rewriter_factory {
// Validates `options` (ConverterOptionsFor) and makes the rewriter.
StatusOr<std::unique_ptr<BaseRewriter>> CreateRewriter(RewriterType type,
                                                       TFLiteRewriterOptions options);
}  // namespace rewriter_factory

namespace converters {
// Rewrites the saved model in `src` (an edgepipe saved model directory:
// model.json + weights.bin) into `dst` (created if needed) with `rewriter`.
// `rewritten_model_type` must be what the rewriter produces (kTFLiteModel for
// the TFLite rewriter), else InvalidArgument.
Status RewriteSavedModel(const std::string& src, const std::string& dst,
                         const BaseRewriter& rewriter,
                         ModelType rewritten_model_type = ModelType::kSavedModel);
}  // namespace converters

}  // namespace edgepipe::lite

#endif  // EDGEPIPE_LITE_REWRITER_H_
