// EvalModel adapters for the two model formats a Trainer exports.
//
//   model_type "tf_lite"  -> <model_uri>/Format-Serving/tflite, run with
//                            lite::Interpreter through the signature
//                            (ModelSpec.signature_name, default "serving_default");
//                            the batch dimension is resized per batch.
//   anything else         -> <model_uri>/Format-Serving/ in the TF.js layers
//   ("", tf_keras, tf_js,    format (model.json + weights.bin), loaded with
//    tf_generic)             nn::LoadModel.
//   tf_estimator          -> Unimplemented.
// If <model_uri>/Format-Serving does not exist, <model_uri> itself is tried
// (so a Format-Serving directory can be passed directly). A full-model spec
// whose serving folder holds only a .tflite reads <model_uri>/Format-TFMA
// (TFX's eval_model_dir) instead: where a lite Trainer's run_fn keeps the
// model it converted, so that the Evaluator can evaluate it as the
// reference model of the conversion (eval/baseline.h). A missing file is
// NotFound naming the path and the model_type that expected it.
//
// The input feature is the model's serving input name (signature input key
// for TFLite, Sequential::input_name() for the full model), e.g. "image_floats".
//
// The returned model owns everything it needs; it is not thread-safe (one per
// thread).
#ifndef EDGEPIPE_EVAL_MODEL_LOADER_H_
#define EDGEPIPE_EVAL_MODEL_LOADER_H_

#include <memory>
#include <string>

#include "src/core/status.h"
#include "src/eval/evaluator.h"
#include "src/eval/proto/config.pb.h"

namespace edgepipe::eval {

inline constexpr char kFormatServingDir[] = "Format-Serving";
inline constexpr char kTfliteFileName[] = "tflite";
inline constexpr char kEvalModelDir[] = "Format-TFMA";

// The folder a model's serving files are read from: <model_uri>/Format-Serving,
// or <model_uri> itself when it has no such folder (see above).
std::string ServingModelDir(const std::string& model_uri);

// The folder LoadEvalModel reads `spec`'s model from (the rules above).
std::string ModelDirFor(const std::string& model_uri, const tfma::ModelSpec& spec);

StatusOr<std::unique_ptr<EvalModel>> LoadEvalModel(const std::string& model_uri,
                                                   const tfma::ModelSpec& spec);

}  // namespace edgepipe::eval

#endif  // EDGEPIPE_EVAL_MODEL_LOADER_H_
