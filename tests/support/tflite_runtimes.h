// Test-only: runs a .tflite file in the three real TFLite runtimes edgepipe is
// checked against, so tests can assert that our interpreter agrees with them.
//
//   LiteRT.js     tests/js/litert_run.js       (@litertjs/core 2.5.3, WASM + XNNPACK)
//   tfjs-tflite   tests/js/tfjs_tflite_run.js  (@tensorflow/tfjs-tflite 0.0.1-alpha.10)
//   Arm NN        tests/interop/armnn_run      (Arm NN 20.08 TfLiteParser, CpuRef)
// and, for edgepipe's ONNX export (src/onnx), one ONNX runtime:
//   onnxruntime   tests/js/onnxruntime_run.js  (onnxruntime-node 1.22.0, native CPU)
//
// Each call starts ONE process for the runtime, however many examples it is
// given: inputs go to a temporary directory (a JSON spec plus one binary file
// with the tensor bytes), every invocation runs inside that process, and the
// outputs come back as JSON on its stdout. The temporary directory is removed
// before returning.
//
// Batching: by default every input is split along dimension 0 into examples
// of `rows_per_invocation` rows (1), one model invocation per example, and each
// output is concatenated back along dimension 0. That is what a model declared
// with batch 1 (e.g. [1, 784]) needs: tfjs-tflite and Arm NN cannot resize
// inputs. With rows_per_invocation = 0 the inputs are passed as given, in one
// invocation.
//
// dtypes: LiteRT.js takes float32, int32 and uint8 inputs only; tfjs-tflite
// and Arm NN also take int8. Output values are returned as float (exact for
// every integer type used here).
//
// Failure: a non-OK Status (Internal) naming the runtime, the exit code and
// the harness's error line; a runtime that does not finish within
// `timeout_seconds` is killed (coreutils `timeout`) and reported. Functions
// are thread-safe (each call uses its own temporary directory).
#ifndef EDGEPIPE_TESTS_SUPPORT_TFLITE_RUNTIMES_H_
#define EDGEPIPE_TESTS_SUPPORT_TFLITE_RUNTIMES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "src/core/status.h"
#include "src/core/tensor.h"

namespace edgepipe::testing {

enum class TfliteRuntime { kLiteRtJs, kTfjsTflite, kArmNN };

// "litert.js", "tfjs-tflite", "armnn" (as the harnesses report themselves).
const char* TfliteRuntimeName(TfliteRuntime runtime);

// One output tensor of a model, in the model's output order.
struct RuntimeOutput {
  std::string name;            // the tensor's name in the model
  std::vector<int64_t> shape;  // with the batch dimension concatenated
  std::string dtype;           // "float32", "int8", "uint8", "int32", ...
  std::vector<float> values;   // row-major
};

struct RuntimeRunOptions {
  // Rows of dimension 0 per model invocation; 0 = one invocation, inputs as given.
  int64_t rows_per_invocation = 1;
  int timeout_seconds = 600;
};

// Runs `inputs` (the model's inputs, in order) through `model_path` in one
// runtime; see the header comment for batching.
StatusOr<std::vector<RuntimeOutput>> RunInTfliteRuntime(TfliteRuntime runtime,
                                                        const std::string& model_path,
                                                        const std::vector<Tensor>& inputs,
                                                        const RuntimeRunOptions& options = {});

// Several independent invocations in one process: `invocations[i]` are the
// inputs of invocation i, passed as given; result[i] are its outputs.
StatusOr<std::vector<std::vector<RuntimeOutput>>> RunInvocationsInTfliteRuntime(
    TfliteRuntime runtime, const std::string& model_path,
    const std::vector<std::vector<Tensor>>& invocations, int timeout_seconds = 600);

inline StatusOr<std::vector<RuntimeOutput>> RunInLiteRtJs(const std::string& model_path,
                                                          const std::vector<Tensor>& inputs,
                                                          const RuntimeRunOptions& options = {}) {
  return RunInTfliteRuntime(TfliteRuntime::kLiteRtJs, model_path, inputs, options);
}
inline StatusOr<std::vector<RuntimeOutput>> RunInTfjsTflite(const std::string& model_path,
                                                            const std::vector<Tensor>& inputs,
                                                            const RuntimeRunOptions& options = {}) {
  return RunInTfliteRuntime(TfliteRuntime::kTfjsTflite, model_path, inputs, options);
}
inline StatusOr<std::vector<RuntimeOutput>> RunInArmNN(const std::string& model_path,
                                                       const std::vector<Tensor>& inputs,
                                                       const RuntimeRunOptions& options = {}) {
  return RunInTfliteRuntime(TfliteRuntime::kArmNN, model_path, inputs, options);
}

// Runs `inputs` (float32, the model's inputs in order, batch as given) through
// an .onnx model in onnxruntime-node, in one invocation.
StatusOr<std::vector<RuntimeOutput>> RunInOnnxRuntime(const std::string& model_path,
                                                      const std::vector<Tensor>& inputs,
                                                      int timeout_seconds = 600);

}  // namespace edgepipe::testing

#endif  // EDGEPIPE_TESTS_SUPPORT_TFLITE_RUNTIMES_H_
