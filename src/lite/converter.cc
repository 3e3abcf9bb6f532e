#include "src/lite/converter.h"

#include <utility>

#include "src/lite/calibration.h"
#include "src/lite/converter_graph.h"
#include "src/lite/converter_ops/tflite_emitter.h"

namespace edgepipe::lite {

const char* QuantizationModeName(QuantizationMode mode) {
  switch (mode) {
    case QuantizationMode::kNone:
      return "none";
    case QuantizationMode::kDynamicRange:
      return "dynamic_range";
    case QuantizationMode::kFloat16:
      return "float16";
    case QuantizationMode::kFullInteger:
      return "full_integer";
  }
  return "?";
}

namespace {

Status ValidateOptions(const ConverterOptions& o) {
  if (o.signature_key.empty()) return Status::InvalidArgument("converter: signature_key is empty");
  const bool full = o.quantization == QuantizationMode::kFullInteger;
  for (const auto& [what, type] : {std::pair{"inference_input_type", o.inference_input_type},
                                   std::pair{"inference_output_type", o.inference_output_type}}) {
    if (type != DType::kFloat32 && type != DType::kInt8 && type != DType::kUInt8) {
      return Status::InvalidArgument(std::string("converter: ") + what + " " + DTypeName(type) +
                                     " is not one of float32, int8, uint8");
    }
    if (type != DType::kFloat32 && !full) {
      return Status::InvalidArgument(std::string("converter: ") + what + " " + DTypeName(type) +
                                     " needs full-integer quantization (mode is " +
                                     QuantizationModeName(o.quantization) + ")");
    }
  }
  if (full && !o.representative_dataset) {
    return Status::InvalidArgument(
        "converter: full-integer quantization needs a representative_dataset");
  }
  if (!full && o.representative_dataset) {
    return Status::InvalidArgument(std::string("converter: representative_dataset given in mode ") +
                                   QuantizationModeName(o.quantization) + " (it would be ignored)");
  }
  if (o.dynamic_range_min_elements < 0) {
    return Status::InvalidArgument("converter: dynamic_range_min_elements < 0");
  }
  return Status::OK();
}

}  // namespace

StatusOr<std::string> ConvertToTFLite(const InferenceGraph& graph,
                                      const ConverterOptions& options) {
  RETURN_IF_ERROR(ValidateOptions(options));
  ASSIGN_OR_RETURN(LoweredGraph lowered, LowerGraph(graph));
  std::vector<TensorRange> ranges;
  if (options.quantization == QuantizationMode::kFullInteger) {
    ASSIGN_OR_RETURN(CalibrationResult calibration,
                     Calibrate(lowered, options.representative_dataset));
    ranges = std::move(calibration.ranges);
  }
  TfliteEmitter emitter(lowered, options, std::move(ranges));
  return emitter.Run();
}

}  // namespace edgepipe::lite
