// `edgepipe lite inspect | predict | convert | bench`: the TFLite layer
// (lite/inspect.h, lite/interpreter.h, lite/rewriter.h, lite/bench.h) from the
// command line.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "src/cli/command_registry.h"
#include "src/core/files.h"
#include "src/core/parallel.h"
#include "src/core/tensor.h"
#include "src/data/examples.h"
#include "src/io/example.h"
#include "src/io/image.h"
#include "src/io/npy.h"
#include "src/io/tfrecord.h"
#include "src/lite/bench.h"
#include "src/lite/calibration.h"
#include "src/lite/inspect.h"
#include "src/lite/interpreter.h"
#include "src/lite/rewriter.h"
#include "src/lite/schema_util.h"

namespace edgepipe::cli {

namespace {

constexpr char kDefaultSignatureKey[] = "serving_default";
constexpr char kDefaultFeature[] = "image_floats";  // TFX MNIST's input feature

// ---- inspect ------------------------------------------------------------------

nlohmann::json SummaryJson(const lite::ModelSummary& s) {
  nlohmann::json tensors = nlohmann::json::array();
  for (const auto& t : s.tensors) {
    tensors.push_back({{"index", t.index},
                       {"name", t.name},
                       {"shape", t.shape},
                       {"shape_signature", t.shape_signature},
                       {"type", t.type},
                       {"bytes", t.bytes},
                       {"constant", t.constant}});
  }
  nlohmann::json ops = nlohmann::json::array();
  for (const auto& o : s.operators) {
    ops.push_back({{"index", o.index},
                   {"op", o.op},
                   {"version", o.version},
                   {"inputs", o.inputs},
                   {"outputs", o.outputs},
                   {"options", o.options},
                   {"macs", o.macs}});
  }
  nlohmann::json metadata = nlohmann::json::object();
  for (const auto& [k, v] : s.metadata) metadata[k] = v;
  return {{"name", s.name},
          {"schema_version", s.schema_version},
          {"file_bytes", s.file_bytes},
          {"description", s.description},
          {"signature_keys", s.signature_keys},
          {"inputs", s.inputs},
          {"outputs", s.outputs},
          {"num_parameters", s.num_parameters},
          {"parameter_bytes", s.parameter_bytes},
          {"macs", s.macs},
          {"arena_bytes", s.arena_bytes},
          {"tensors", tensors},
          {"operators", ops},
          {"metadata", metadata}};
}

Status Inspect(const std::string& path, bool json) {
  ASSIGN_OR_RETURN(lite::ModelSummary summary, lite::InspectFile(path));
  if (json) {
    std::printf("%s\n", SummaryJson(summary).dump(2).c_str());
  } else {
    std::printf("%s", lite::FormatSummary(summary).c_str());
  }
  return Status::OK();
}

// ---- predict ------------------------------------------------------------------

struct PredictFlags {
  std::string model;
  std::string examples;
  std::string input_json;
  std::string input_file;           // .json (as --input) or .npy
  std::vector<std::string> images;  // PNG/JPEG files, one example each
  std::string image_range = "0,1";  // float inputs: pixel 0..255 mapped onto this range
  bool quantize_inputs = false;     // int8/uint8 inputs: quantize the given floats
  int64_t limit = -1;
  std::string feature = kDefaultFeature;
  std::string signature_key = kDefaultSignatureKey;
};

// A model input or output: its name (the signature's key, or the tensor's
// name without signatures) and its position among the interpreter's inputs
// or outputs.
struct NamedTensor {
  std::string name;
  int position = 0;
};

struct ModelIo {
  std::vector<NamedTensor> inputs;
  std::vector<NamedTensor> outputs;
  std::vector<int64_t> input_elements;  // per example (dims after the batch)
  // Per input: its type, its dims after the batch, and for int8/uint8 its
  // quantization (real = scale * (q - zero_point)).
  std::vector<lite::schema::TensorType> input_types;
  std::vector<std::vector<int32_t>> input_dims;
  std::vector<float> input_scales;
  std::vector<int32_t> input_zero_points;
};

StatusOr<ModelIo> ResolveIo(const lite::Interpreter& interp, const std::string& signature_key) {
  ModelIo io;
  const auto* defs = interp.model().signature_defs();
  if (defs != nullptr && defs->size() > 0) {
    const lite::schema::SignatureDef* def = nullptr;
    for (const auto* d : *defs) {
      if (d->signature_key() != nullptr && d->signature_key()->str() == signature_key) def = d;
    }
    // GetInputIndex names the missing key and the available ones.
    if (def == nullptr) return interp.GetInputIndex(signature_key, "").status();
    for (const auto* m : *def->inputs()) {
      ASSIGN_OR_RETURN(int pos, interp.GetInputIndex(signature_key, m->name()->str()));
      io.inputs.push_back({m->name()->str(), pos});
    }
    for (const auto* m : *def->outputs()) {
      ASSIGN_OR_RETURN(int pos, interp.GetOutputIndex(signature_key, m->name()->str()));
      io.outputs.push_back({m->name()->str(), pos});
    }
  } else {
    for (int i = 0; i < interp.num_inputs(); ++i)
      io.inputs.push_back({interp.input_info(i).name, i});
    for (int i = 0; i < interp.num_outputs(); ++i) {
      io.outputs.push_back({interp.output_info(i).name, i});
    }
  }
  for (const auto& in : io.inputs) {
    lite::TensorInfo info = interp.input_info(in.position);
    if (info.type != lite::schema::TensorType_FLOAT32 &&
        info.type != lite::schema::TensorType_INT8 && info.type != lite::schema::TensorType_UINT8) {
      return Status::Unimplemented(interp.name() + ": input '" + in.name + "' is " +
                                   lite::schema::EnumNameTensorType(info.type) +
                                   "; lite predict feeds float32, int8 and uint8 inputs");
    }
    int64_t n = 1;
    for (size_t d = 1; d < info.shape.size(); ++d) n *= info.shape[d];
    io.input_elements.push_back(n);
    io.input_types.push_back(info.type);
    io.input_dims.emplace_back(info.shape.begin() + (info.shape.empty() ? 0 : 1), info.shape.end());
    float scale = 0;
    int32_t zero_point = 0;
    const auto* tensor = interp.model().subgraphs()->Get(0)->tensors()->Get(info.tensor_index);
    if (const auto* q = tensor->quantization();
        q != nullptr && q->scale() != nullptr && q->scale()->size() == 1) {
      scale = q->scale()->Get(0);
      if (q->zero_point() != nullptr && q->zero_point()->size() == 1) {
        zero_point = static_cast<int32_t>(q->zero_point()->Get(0));
      }
    }
    if (info.type != lite::schema::TensorType_FLOAT32 && !(scale > 0)) {
      return Status::InvalidArgument(interp.name() + ": input '" + in.name + "' is " +
                                     lite::schema::EnumNameTensorType(info.type) +
                                     " without a per-tensor quantization scale");
    }
    io.input_scales.push_back(scale);
    io.input_zero_points.push_back(zero_point);
  }
  return io;
}

// The double whose shortest decimal form is the float's shortest round-trip
// form, so JSON shows 0.1 rather than the 0.10000000149011612 it widens to.
double ShortestDouble(float v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  if (ec != std::errc()) return v;
  *end = '\0';
  return std::strtod(buf, nullptr);
}

// One example's output line: {"index": i, "outputs": {name: [...]}, "argmax": k}
// with argmax over the first output's values. A NaN or infinite value (JSON
// has neither; nlohmann would print null) is InvalidArgument naming the
// example and the output.
StatusOr<nlohmann::json> OutputLine(const lite::Interpreter& interp, const ModelIo& io,
                                    int64_t index) {
  nlohmann::json outputs = nlohmann::json::object();
  int64_t argmax = -1;
  for (size_t o = 0; o < io.outputs.size(); ++o) {
    lite::TensorView view = interp.output(io.outputs[o].position);
    std::vector<double> values;
    switch (view.type) {
      case lite::schema::TensorType_FLOAT32:
        for (float v : view.values<float>()) values.push_back(v);
        break;
      case lite::schema::TensorType_INT8:
        for (int8_t v : view.values<int8_t>()) values.push_back(v);
        break;
      case lite::schema::TensorType_UINT8:
        for (uint8_t v : view.values<uint8_t>()) values.push_back(v);
        break;
      case lite::schema::TensorType_INT32:
        for (int32_t v : view.values<int32_t>()) values.push_back(v);
        break;
      case lite::schema::TensorType_INT64:
        for (int64_t v : view.values<int64_t>()) values.push_back(static_cast<double>(v));
        break;
      default:
        return Status::Unimplemented(interp.name() + ": output '" + io.outputs[o].name +
                                     "' has type " + lite::schema::EnumNameTensorType(view.type) +
                                     ", which lite predict cannot print");
    }
    for (size_t i = 0; i < values.size(); ++i) {
      if (std::isfinite(values[i])) continue;
      return Status::InvalidArgument(interp.name() + ": example " + std::to_string(index) +
                                     ": output '" + io.outputs[o].name + "' element " +
                                     std::to_string(i) + " is " +
                                     (std::isnan(values[i]) ? "NaN"
                                      : values[i] > 0       ? "+inf"
                                                            : "-inf") +
                                     " (expected finite values)");
    }
    if (o == 0 && !values.empty()) {
      argmax = 0;
      for (size_t i = 1; i < values.size(); ++i) {
        if (values[i] > values[argmax]) argmax = static_cast<int64_t>(i);
      }
    }
    if (view.type == lite::schema::TensorType_FLOAT32) {
      // Print as float (shortest round-trip of the float), not as the
      // double it widens to.
      nlohmann::json arr = nlohmann::json::array();
      for (float v : view.values<float>()) arr.push_back(ShortestDouble(v));
      outputs[io.outputs[o].name] = std::move(arr);
    } else {
      outputs[io.outputs[o].name] = values;
    }
  }
  return nlohmann::json{{"outputs", outputs}, {"argmax", argmax}, {"index", index}};
}

// Sets input values (one example per input, already sized) and invokes. A
// float32 input takes the values as they are; an int8/uint8 input takes them
// as its quantized integers (which must be integers in its range), or with
// `quantize` quantizes them with the input's scale and zero point.
Status RunOne(lite::Interpreter& interp, const ModelIo& io,
              const std::vector<std::vector<float>>& inputs, bool quantize = false) {
  for (size_t i = 0; i < io.inputs.size(); ++i) {
    const lite::schema::TensorType type = io.input_types[i];
    if (type == lite::schema::TensorType_FLOAT32) {
      RETURN_IF_ERROR(interp.SetInput(io.inputs[i].position, inputs[i].data(),
                                      inputs[i].size() * sizeof(float)));
      continue;
    }
    const bool is_int8 = type == lite::schema::TensorType_INT8;
    const float lo = is_int8 ? -128.0f : 0.0f, hi = is_int8 ? 127.0f : 255.0f;
    std::vector<uint8_t> bytes(inputs[i].size());
    for (size_t k = 0; k < inputs[i].size(); ++k) {
      float v = inputs[i][k];
      if (quantize) {
        v = std::clamp(
            std::nearbyint(v / io.input_scales[i]) + static_cast<float>(io.input_zero_points[i]),
            lo, hi);
      } else if (!(v >= lo && v <= hi && v == std::floor(v))) {
        return Status::InvalidArgument(
            "input '" + io.inputs[i].name + "' is " + (is_int8 ? "int8" : "uint8") + ": value " +
            std::to_string(k) + " (" + std::to_string(v) + ") is not an integer in [" +
            std::to_string(static_cast<int>(lo)) + ", " + std::to_string(static_cast<int>(hi)) +
            "] (give quantized values, or floats with --quantize-inputs)");
      }
      bytes[k] = is_int8 ? static_cast<uint8_t>(static_cast<int8_t>(v)) : static_cast<uint8_t>(v);
    }
    RETURN_IF_ERROR(interp.SetInput(io.inputs[i].position, bytes.data(), bytes.size()));
  }
  return interp.Invoke();
}

StatusOr<std::vector<float>> FeatureValues(const tensorflow::Example& example,
                                           const std::string& feature, int64_t expected,
                                           const std::string& where) {
  const auto& features = example.features().feature();
  auto it = features.find(feature);
  if (it == features.end()) {
    std::string names;
    for (const auto& [name, f] : features) names += (names.empty() ? "" : ", ") + name;
    return Status::InvalidArgument(where + ": no feature '" + feature + "' (features: " + names +
                                   ")");
  }
  std::vector<float> values;
  if (it->second.has_float_list()) {
    values.assign(it->second.float_list().value().begin(), it->second.float_list().value().end());
  } else if (it->second.has_int64_list()) {
    for (int64_t v : it->second.int64_list().value()) values.push_back(static_cast<float>(v));
  } else {
    return Status::InvalidArgument(where + ": feature '" + feature +
                                   "' is not a float_list or int64_list");
  }
  if (static_cast<int64_t>(values.size()) != expected) {
    return Status::InvalidArgument(where + ": feature '" + feature + "': expected " +
                                   std::to_string(expected) + " values, got " +
                                   std::to_string(values.size()));
  }
  return values;
}

Status PredictExamples(lite::Interpreter& interp, const ModelIo& io, const PredictFlags& flags) {
  // A single-input model reads --feature; a multi-input one reads each input
  // from the feature of the same name.
  std::vector<std::string> features;
  for (const auto& in : io.inputs)
    features.push_back(io.inputs.size() == 1 ? flags.feature : in.name);
  ASSIGN_OR_RETURN(auto reader, io::TFRecordReader::Open(flags.examples));
  std::string record;
  for (int64_t i = 0; flags.limit < 0 || i < flags.limit; ++i) {
    uint64_t offset = reader->offset();
    ASSIGN_OR_RETURN(bool more, reader->ReadRecord(&record));
    if (!more) break;
    std::string where = flags.examples + ": offset " + std::to_string(offset);
    ASSIGN_OR_RETURN(tensorflow::Example example, io::ParseExample(record, where));
    std::vector<std::vector<float>> inputs;
    for (size_t k = 0; k < io.inputs.size(); ++k) {
      ASSIGN_OR_RETURN(auto values,
                       FeatureValues(example, features[k], io.input_elements[k], where));
      inputs.push_back(std::move(values));
    }
    RETURN_IF_ERROR(RunOne(interp, io, inputs));
    ASSIGN_OR_RETURN(nlohmann::json line, OutputLine(interp, io, i));
    std::printf("%s\n", line.dump().c_str());
  }
  return Status::OK();
}

// --input: [v, ...] (one example), [[v, ...], ...] (several), or
// {"<input name>": either of those} for models with several inputs.
StatusOr<std::vector<std::vector<std::vector<float>>>> ParseJsonInput(const std::string& text,
                                                                      const ModelIo& io) {
  constexpr char kWhere[] = "--input";
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status::InvalidArgument(std::string(kWhere) + ": not valid JSON");
  auto rows_of = [&](const nlohmann::json& v,
                     const std::string& name) -> StatusOr<std::vector<std::vector<float>>> {
    std::vector<std::vector<float>> rows;
    if (!v.is_array() || v.empty()) {
      return Status::InvalidArgument(std::string(kWhere) + ": input '" + name +
                                     "': expected a non-empty array of numbers or of arrays");
    }
    const bool nested = v[0].is_array();
    for (size_t r = 0; r < (nested ? v.size() : 1); ++r) {
      const nlohmann::json& row = nested ? v[r] : v;
      std::vector<float> values;
      for (size_t c = 0; c < (row.is_array() ? row.size() : 0); ++c) {
        if (!row[c].is_number()) {
          return Status::InvalidArgument(std::string(kWhere) + ": input '" + name + "' row " +
                                         std::to_string(r) + " element " + std::to_string(c) +
                                         ": expected a number");
        }
        values.push_back(row[c].get<float>());
      }
      if (!row.is_array()) {
        return Status::InvalidArgument(std::string(kWhere) + ": input '" + name + "' row " +
                                       std::to_string(r) + ": expected an array");
      }
      rows.push_back(std::move(values));
    }
    return rows;
  };
  std::vector<std::vector<std::vector<float>>> per_input;  // [input][example][value]
  if (doc.is_object()) {
    for (const auto& in : io.inputs) {
      if (!doc.contains(in.name)) {
        return Status::InvalidArgument(std::string(kWhere) + ": no value for input '" + in.name +
                                       "'");
      }
      ASSIGN_OR_RETURN(auto rows, rows_of(doc[in.name], in.name));
      per_input.push_back(std::move(rows));
    }
  } else {
    if (io.inputs.size() != 1) {
      return Status::InvalidArgument(std::string(kWhere) + ": the model has " +
                                     std::to_string(io.inputs.size()) +
                                     " inputs; give an object {\"<input name>\": [...]}");
    }
    ASSIGN_OR_RETURN(auto rows, rows_of(doc, io.inputs[0].name));
    per_input.push_back(std::move(rows));
  }
  const size_t n = per_input[0].size();
  std::vector<std::vector<std::vector<float>>> examples(n);  // [example][input][value]
  for (size_t k = 0; k < per_input.size(); ++k) {
    if (per_input[k].size() != n) {
      return Status::InvalidArgument(std::string(kWhere) + ": input '" + io.inputs[k].name +
                                     "' has " + std::to_string(per_input[k].size()) +
                                     " examples, input '" + io.inputs[0].name + "' has " +
                                     std::to_string(n));
    }
    for (size_t e = 0; e < n; ++e) {
      if (static_cast<int64_t>(per_input[k][e].size()) != io.input_elements[k]) {
        return Status::InvalidArgument(std::string(kWhere) + ": input '" + io.inputs[k].name +
                                       "' example " + std::to_string(e) + ": expected " +
                                       std::to_string(io.input_elements[k]) + " values, got " +
                                       std::to_string(per_input[k][e].size()));
      }
      examples[e].push_back(std::move(per_input[k][e]));
    }
  }
  return examples;
}

// Examples from a .npy array: the model's one input, [N, dims...] for N
// examples or [dims...] for one; values as stored (int8/uint8 arrays are
// quantized values for an int8/uint8 input).
StatusOr<std::vector<std::vector<std::vector<float>>>> NpyInput(const std::string& path,
                                                                const ModelIo& io) {
  if (io.inputs.size() != 1) {
    return Status::InvalidArgument(path +
                                   ": a .npy file feeds a model with one input; this one has " +
                                   std::to_string(io.inputs.size()) + " (use JSON)");
  }
  ASSIGN_OR_RETURN(Tensor array, io::ReadNpy(path));
  const int64_t per_example = io.input_elements[0];
  const int64_t total = array.num_elements();
  if (per_example < 1 || total % per_example != 0 || total == 0) {
    return Status::InvalidArgument(path + ": shape " + ShapeToString(array.shape()) + " holds " +
                                   std::to_string(total) + " values, not a multiple of the " +
                                   std::to_string(per_example) + " of input '" + io.inputs[0].name +
                                   "'");
  }
  std::vector<std::vector<std::vector<float>>> examples(static_cast<size_t>(total / per_example));
  for (size_t e = 0; e < examples.size(); ++e) {
    std::vector<float> values(static_cast<size_t>(per_example));
    for (int64_t k = 0; k < per_example; ++k) {
      const int64_t at = static_cast<int64_t>(e) * per_example + k;
      switch (array.dtype()) {
        case DType::kFloat32:
          values[static_cast<size_t>(k)] = array.data<float>()[at];
          break;
        case DType::kInt8:
          values[static_cast<size_t>(k)] = array.data<int8_t>()[at];
          break;
        case DType::kUInt8:
          values[static_cast<size_t>(k)] = array.data<uint8_t>()[at];
          break;
        case DType::kInt32:
          values[static_cast<size_t>(k)] = static_cast<float>(array.data<int32_t>()[at]);
          break;
        default:
          values[static_cast<size_t>(k)] = static_cast<float>(array.data<int64_t>()[at]);
      }
    }
    examples[e].push_back(std::move(values));
  }
  return examples;
}

// An image file as one example of the model's one input: [H, W, C] (C 1 or 3)
// or a flat square grayscale [H*W] (MNIST's 784), resized to it. Pixels go
// to a float input mapped onto `range` (lo,hi), to a uint8 input as they
// are, to an int8 input minus 128.
StatusOr<std::vector<std::vector<float>>> ImageInput(const std::string& path, const ModelIo& io,
                                                     const std::string& range) {
  if (io.inputs.size() != 1) {
    return Status::InvalidArgument(path + ": an image feeds a model with one input; this one has " +
                                   std::to_string(io.inputs.size()));
  }
  const std::vector<int32_t>& dims = io.input_dims[0];
  int64_t height = 0, width = 0, channels = 0;
  if (dims.size() == 3 && (dims[2] == 1 || dims[2] == 3)) {
    height = dims[0], width = dims[1], channels = dims[2];
  } else if (dims.size() == 1) {
    const auto side = static_cast<int64_t>(std::lround(std::sqrt(static_cast<double>(dims[0]))));
    if (side * side == dims[0]) height = width = side, channels = 1;
  }
  if (height < 1 || width < 1) {
    std::string shape;
    for (int32_t d : dims) shape += (shape.empty() ? "" : ", ") + std::to_string(d);
    return Status::InvalidArgument(path + ": input '" + io.inputs[0].name + "' has shape [batch, " +
                                   shape + "], not an image ([H, W, 1|3] or a square H*W)");
  }
  // --image-range LO,HI.
  double lo = 0, hi = 1;
  const size_t comma = range.find(',');
  auto number = [](std::string_view text, double* v) {
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *v);
    return ec == std::errc() && ptr == text.data() + text.size() && std::isfinite(*v);
  };
  if (comma == std::string::npos || !number(std::string_view(range).substr(0, comma), &lo) ||
      !number(std::string_view(range).substr(comma + 1), &hi) || !(lo < hi)) {
    return Status::InvalidArgument("--image-range " + range +
                                   ": expected LO,HI with LO < HI (e.g. 0,1 or -1,1)");
  }
  ASSIGN_OR_RETURN(io::Image image, io::ReadImage(path, static_cast<int>(channels)));
  if (image.height != height || image.width != width) {
    image = io::ResizeBilinear(image, height, width);
  }
  std::vector<float> values(image.pixels.size());
  for (size_t k = 0; k < values.size(); ++k) {
    const float p = image.pixels[k];
    switch (io.input_types[0]) {
      case lite::schema::TensorType_UINT8:
        values[k] = p;
        break;
      case lite::schema::TensorType_INT8:
        values[k] = p - 128.0f;
        break;
      default:
        values[k] = static_cast<float>(lo + (hi - lo) * p / 255.0);
    }
  }
  return std::vector<std::vector<float>>{std::move(values)};
}

Status Predict(const PredictFlags& flags) {
  const int sources = !flags.examples.empty() + !flags.input_json.empty() +
                      !flags.input_file.empty() + !flags.images.empty();
  if (sources != 1) {
    return Status::InvalidArgument(flags.model +
                                   ": lite predict needs exactly one of --examples, --input, "
                                   "--input-file or --image");
  }
  ASSIGN_OR_RETURN(auto interp, lite::Interpreter::FromFile(flags.model));
  RETURN_IF_ERROR(interp->ResizeInputBatch(1));
  ASSIGN_OR_RETURN(ModelIo io, ResolveIo(*interp, flags.signature_key));
  if (!flags.examples.empty()) return PredictExamples(*interp, io, flags);
  std::vector<std::vector<std::vector<float>>> examples;  // [example][input][value]
  bool quantize = flags.quantize_inputs;
  if (!flags.images.empty()) {
    for (const std::string& image : flags.images) {
      ASSIGN_OR_RETURN(auto example, ImageInput(image, io, flags.image_range));
      examples.push_back(std::move(example));
    }
    quantize = false;  // pixels are already the integer inputs
  } else if (!flags.input_file.empty() &&
             std::filesystem::path(flags.input_file).extension() == ".npy") {
    ASSIGN_OR_RETURN(examples, NpyInput(flags.input_file, io));
  } else {
    std::string text = flags.input_json;
    if (!flags.input_file.empty()) {
      ASSIGN_OR_RETURN(text, ReadFile(flags.input_file, uint64_t{1} << 30));
    }
    auto parsed = ParseJsonInput(text, io);
    if (!parsed.ok() && !flags.input_file.empty()) {
      return parsed.status().WithContext(flags.input_file);
    }
    ASSIGN_OR_RETURN(examples, std::move(parsed));
  }
  for (size_t e = 0; e < examples.size(); ++e) {
    RETURN_IF_ERROR(RunOne(*interp, io, examples[e], quantize)
                        .WithContext(flags.model + ": example " + std::to_string(e)));
    ASSIGN_OR_RETURN(nlohmann::json line, OutputLine(*interp, io, static_cast<int64_t>(e)));
    std::printf("%s\n", line.dump().c_str());
  }
  return Status::OK();
}

// ---- convert ------------------------------------------------------------------

struct ConvertFlags {
  std::string model_dir;
  std::string out;
  std::string quantize = "none";
  std::string representative_examples;
  std::string feature = kDefaultFeature;
  int64_t representative_count = 100;
  std::string signature_key = kDefaultSignatureKey;
  std::string inference_type = "float32";  // int8: the model's input and output types
};

// TF's representative_dataset over a TFRecord of tf.Examples: the first
// `count` values of the float feature `feature`, one [1, n] sample each. n is
// the feature's length in the first record (ReadExamples then requires it of
// every record).
StatusOr<lite::RepresentativeDataset> ExamplesDataset(const std::string& path,
                                                      const std::string& feature, int64_t count) {
  ASSIGN_OR_RETURN(auto reader, io::TFRecordReader::Open(path));
  std::string record;
  ASSIGN_OR_RETURN(bool any, reader->ReadRecord(&record));
  if (!any) return Status::InvalidArgument(path + ": no examples for the representative dataset");
  ASSIGN_OR_RETURN(tensorflow::Example first, io::ParseExample(record, path + ": offset 0"));
  auto it = first.features().feature().find(feature);
  if (it == first.features().feature().end() || !it->second.has_float_list()) {
    return Status::InvalidArgument(path + ": offset 0: no float feature '" + feature + "'");
  }
  const int64_t length = it->second.float_list().value_size();
  ASSIGN_OR_RETURN(data::ExampleTable table,
                   data::ReadExamples({path}, {{.name = feature, .length = length}}));
  return lite::RepresentativeDatasetFromTable(table, feature, std::min(count, table.num_examples));
}

Status Convert(const ConvertFlags& flags) {
  namespace fs = std::filesystem;
  // The Trainer's Model artifact keeps the saved model in Format-Serving/;
  // accept the artifact's uri as well as that folder.
  std::string src = flags.model_dir;
  if (IsDirectory(JoinPath(src, "Format-Serving"))) src = JoinPath(src, "Format-Serving");
  fs::path out(flags.out);
  std::string dst = out.parent_path().empty() ? "." : out.parent_path().string();

  lite::TFLiteRewriterOptions options{.name = "edgepipe lite convert",
                                      .filename = out.filename().string(),
                                      .signature_key = flags.signature_key};
  if (flags.quantize == "float16") {
    options.quantization_optimizations = {lite::Optimize::kDefault};
    options.quantization_supported_types = {DType::kFloat16};
  } else if (flags.quantize == "dynamic") {
    options.quantization_optimizations = {lite::Optimize::kDefault};
  } else if (flags.quantize == "int8") {
    options.quantization_optimizations = {lite::Optimize::kDefault};
    options.quantization_enable_full_integer = true;
  }
  for (DType t : {DType::kFloat32, DType::kInt8, DType::kUInt8}) {
    if (flags.inference_type == DTypeName(t)) {
      options.inference_input_type = options.inference_output_type = t;
    }
  }
  if (!flags.representative_examples.empty()) {
    ASSIGN_OR_RETURN(
        options.representative_dataset,
        ExamplesDataset(flags.representative_examples, flags.feature, flags.representative_count));
  }
  ASSIGN_OR_RETURN(auto rewriter, lite::rewriter_factory::CreateRewriter(
                                      lite::RewriterType::kTFLiteRewriter, std::move(options)));
  RETURN_IF_ERROR(
      lite::converters::RewriteSavedModel(src, dst, *rewriter, lite::ModelType::kTFLiteModel));
  // Only the size: the interpreter need not run every quantized op to
  // convert (`lite inspect` does that).
  std::string written = JoinPath(dst, out.filename().string());
  std::error_code ec;
  const uintmax_t bytes = fs::file_size(written, ec);
  std::printf("%s: %ju bytes, quantize %s\n", written.c_str(), ec ? uintmax_t{0} : bytes,
              flags.quantize.c_str());
  return Status::OK();
}

// ---- bench --------------------------------------------------------------------

struct BenchFlags {
  std::string model;
  int runs = 100;
  int warmup = 10;
  int threads = 1;
  int64_t batch = 1;
  bool json = false;
  bool profile = false;
};

// The multiply-adds (batch 1) and output shape of operator `index` of the
// file, for the profile lines; 0 and "" when inspect has no such operator.
int64_t OperatorMacs(const lite::ModelSummary& summary, int index) {
  for (const lite::OperatorSummary& op : summary.operators) {
    if (op.index == index) return op.macs;
  }
  return 0;
}
std::string OperatorOutputShape(const lite::ModelSummary& summary, int index, int64_t batch) {
  for (const lite::OperatorSummary& op : summary.operators) {
    if (op.index != index || op.outputs.empty() || op.outputs[0] < 0 ||
        static_cast<size_t>(op.outputs[0]) >= summary.tensors.size()) {
      continue;
    }
    std::vector<int32_t> dims = summary.tensors[static_cast<size_t>(op.outputs[0])].shape;
    if (!dims.empty()) dims[0] = static_cast<int32_t>(dims[0] * batch);
    return lite::DimsToString(dims);
  }
  return "";
}

Status Bench(const BenchFlags& flags) {
  lite::InterpreterOptions options;
  options.num_threads = flags.threads;
  ASSIGN_OR_RETURN(auto interp, lite::Interpreter::FromFile(flags.model, options));
  ASSIGN_OR_RETURN(lite::BenchResult r, lite::BenchmarkInvoke(*interp, {.runs = flags.runs,
                                                                        .warmup_runs = flags.warmup,
                                                                        .batch = flags.batch,
                                                                        .profile = flags.profile}));
  // The peak of this core, measured now (register-only loops, ~0.3 s), so
  // the rate is read against this machine as it is loaded at this moment.
  ASSIGN_OR_RETURN(lite::ModelSummary summary, lite::InspectFile(flags.model));
  const CpuPeak peak = MeasurePeak();
  const lite::ComputeRate rate = lite::RateAgainstPeak(summary, r, peak);
  if (flags.json) {
    nlohmann::json out = {{"model", flags.model},
                          {"macs", rate.macs},
                          {"int8_macs", rate.int8_macs},
                          {"rate_unit", rate.int8 ? "GMAC/s" : "GFLOP/s"},
                          {"rate", rate.rate},
                          {"peak", rate.peak},
                          {"percent_of_peak", rate.percent_of_peak},
                          {"peak_fp32_gflops", peak.fp32_gflops},
                          {"peak_int8_gmacs", peak.int8_gmacs},
                          {"isa", std::string(IsaName(SelectedIsa()))},
                          {"cpu_features", CpuFeaturesString(DetectCpuFeatures())},
                          {"batch", r.batch},
                          {"runs", r.runs},
                          {"warmup_runs", flags.warmup},
                          {"threads", flags.threads},
                          {"mean_us", r.mean_us},
                          {"median_us", r.median_us},
                          {"p90_us", r.p90_us},
                          {"min_us", r.min_us},
                          {"max_us", r.max_us},
                          {"examples_per_second", r.examples_per_second},
                          {"latencies_us", r.latencies_us}};
    if (flags.profile) {
      nlohmann::json ops = nlohmann::json::array(), kinds = nlohmann::json::array();
      for (const lite::OperatorTime& op : r.operators) {
        const int64_t macs = OperatorMacs(summary, op.index) * r.batch;
        ops.push_back(
            {{"index", op.index},
             {"op", op.name},
             {"median_us", op.median_us},
             {"percent", op.percent},
             {"macs", macs},
             {"output_shape", OperatorOutputShape(summary, op.index, r.batch)},
             {"gflops", op.median_us > 0 ? 2e-3 * static_cast<double>(macs) / op.median_us : 0.0}});
      }
      for (const lite::OperatorKindTime& k : r.kinds) {
        kinds.push_back({{"op", k.name},
                         {"count", k.count},
                         {"median_us", k.median_us},
                         {"percent", k.percent}});
      }
      out["profile"] = {
          {"invoke_median_us", r.profiled_invoke_us}, {"operators", ops}, {"kinds", kinds}};
    }
    std::printf("%s\n", out.dump(2).c_str());
    return Status::OK();
  }
  std::printf("%s: batch %lld, %d runs after %d warm-up, %d thread%s\n", flags.model.c_str(),
              static_cast<long long>(r.batch), r.runs, flags.warmup, flags.threads,
              flags.threads == 1 ? "" : "s");
  std::printf("latency (us): mean %.1f  median %.1f  p90 %.1f  min %.1f  max %.1f\n", r.mean_us,
              r.median_us, r.p90_us, r.min_us, r.max_us);
  std::printf("throughput: %.0f examples/s\n", r.examples_per_second);
  std::printf(
      "compute: %.2f M MACs/example (%.2f M int8): %.1f %s at the median = %.0f%% of "
      "this core's measured %s peak %.1f %s\n",
      static_cast<double>(rate.macs) / 1e6, static_cast<double>(rate.int8_macs) / 1e6, rate.rate,
      rate.int8 ? "GMAC/s" : "GFLOP/s", rate.percent_of_peak, rate.int8 ? "int8" : "fp32",
      rate.peak, rate.int8 ? "GMAC/s" : "GFLOP/s");
  std::printf("cpu: %s; kernels: %s; peak %s\n", CpuFeaturesString(DetectCpuFeatures()).c_str(),
              std::string(IsaName(SelectedIsa())).c_str(), CpuPeakString(peak).c_str());
  if (flags.profile) {
    double ops_us = 0;
    for (const lite::OperatorTime& op : r.operators) ops_us += op.median_us;
    std::printf("profile (%d more runs, median us): Invoke %.1f, sum of operators %.1f\n", r.runs,
                r.profiled_invoke_us, ops_us);
    std::printf("  %-24s %5s %9s %6s\n", "kind", "count", "us", "%");
    for (const lite::OperatorKindTime& k : r.kinds) {
      std::printf("  %-24s %5d %9.2f %5.1f%%\n", k.name.c_str(), k.count, k.median_us, k.percent);
    }
    std::printf("  %4s %-24s %9s %6s %8s  %s\n", "#", "operator", "us", "%", "GFLOP/s", "output");
    for (const lite::OperatorTime& op : r.operators) {
      const int64_t macs = OperatorMacs(summary, op.index) * r.batch;
      char gflops[32] = "-";
      if (macs > 0 && op.median_us > 0) {
        std::snprintf(gflops, sizeof(gflops), "%.1f",
                      2e-3 * static_cast<double>(macs) / op.median_us);
      }
      std::printf("  %4d %-24s %9.2f %5.1f%% %8s  %s\n", op.index, op.name.c_str(), op.median_us,
                  op.percent, gflops, OperatorOutputShape(summary, op.index, r.batch).c_str());
    }
  }
  return Status::OK();
}

}  // namespace

void RegisterLiteCommands(CLI::App& app) {
  CLI::App* lite = app.add_subcommand("lite", "TensorFlow Lite models: inspect, run, convert");
  lite->require_subcommand(1);
  {
    CLI::App* cmd = lite->add_subcommand(
        "inspect", "Tensors, operators, parameters, bytes, MACs and arena of a .tflite model");
    auto path = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    cmd->add_option("MODEL", *path, "A .tflite file")->required();
    cmd->add_flag("--json", *json, "Print JSON instead of text");
    cmd->callback([path, json] { SetCommandStatus(Inspect(*path, *json)); });
  }
  {
    CLI::App* cmd = lite->add_subcommand(
        "predict", "Run a .tflite model; one JSON line per example (outputs, argmax)");
    auto flags = std::make_shared<PredictFlags>();
    cmd->add_option("MODEL", flags->model, "A .tflite file")->required();
    auto* examples =
        cmd->add_option("--examples", flags->examples, "TFRecord[.gz] of tf.Example to predict");
    auto* input = cmd->add_option(
        "--input", flags->input_json,
        "JSON input: [v,...], [[v,...],...] or {\"<input name>\": ...} for several inputs");
    examples->excludes(input);
    cmd->add_option("--input-file", flags->input_file,
                    "Inputs from a file: .npy ([N, dims...] or [dims...]) or JSON as --input");
    cmd->add_option("--image", flags->images,
                    "PNG or JPEG image(s), one example each, resized to the model's input")
        ->check(CLI::ExistingFile);
    cmd->add_option("--image-range", flags->image_range,
                    "Float inputs: the range pixels 0..255 map onto (0,1 / -1,1 / 0,255)")
        ->capture_default_str();
    cmd->add_flag("--quantize-inputs", flags->quantize_inputs,
                  "int8/uint8 inputs: quantize the given floats with the input's scale and "
                  "zero point (default: the values are the quantized integers)");
    cmd->add_option("--limit", flags->limit, "How many examples (-1: all)")
        ->capture_default_str()
        ->check(AllOrAtLeastOne(kMaxExamples));
    cmd->add_option("--feature", flags->feature,
                    "Feature fed to a single-input model (several inputs: the feature named "
                    "like each input)")
        ->capture_default_str();
    cmd->add_option("--signature-key", flags->signature_key, "Signature to run")
        ->capture_default_str();
    cmd->callback([flags] { SetCommandStatus(Predict(*flags)); });
  }
  {
    CLI::App* cmd = lite->add_subcommand(
        "convert", "Convert a saved model (model.json + weights.bin) to .tflite (TFX rewriter)");
    auto flags = std::make_shared<ConvertFlags>();
    cmd->add_option("MODEL_DIR", flags->model_dir,
                    "Saved model folder, or a Model artifact holding Format-Serving/")
        ->required();
    cmd->add_option("OUT", flags->out, "The .tflite file to write")->required();
    cmd->add_option("--quantize", flags->quantize,
                    "none | float16 (DEFAULT + float16 types) | dynamic (DEFAULT) | int8 "
                    "(DEFAULT + full integer, needs --representative-examples)")
        ->check(CLI::IsMember({"none", "float16", "dynamic", "int8"}))
        ->capture_default_str();
    cmd->add_option("--representative-examples", flags->representative_examples,
                    "TFRecord[.gz] of tf.Example: the representative dataset");
    cmd->add_option("--feature", flags->feature, "Feature read from the representative examples")
        ->capture_default_str();
    cmd->add_option("--representative-count", flags->representative_count,
                    "Representative examples used at most")
        ->check(IntInRange(1, kMaxExamples))
        ->capture_default_str();
    cmd->add_option("--signature-key", flags->signature_key, "Signature key written")
        ->capture_default_str();
    cmd->add_option("--inference-type", flags->inference_type,
                    "The model's input and output type: float32, or with --quantize int8 also "
                    "int8 or uint8 (TF's inference_input_type / inference_output_type)")
        ->check(CLI::IsMember({"float32", "int8", "uint8"}))
        ->capture_default_str();
    cmd->callback([flags] { SetCommandStatus(Convert(*flags)); });
  }
  {
    CLI::App* cmd =
        lite->add_subcommand("bench", "Time Invoke: mean/median/p90 latency (us) and examples/s");
    auto flags = std::make_shared<BenchFlags>();
    cmd->add_option("MODEL", flags->model, "A .tflite file")->required();
    cmd->add_option("--runs", flags->runs, "Timed runs")
        ->check(IntInRange(1, kMaxRuns))
        ->capture_default_str();
    cmd->add_option("--warmup", flags->warmup, "Untimed runs first")
        ->check(IntInRange(0, kMaxRuns))
        ->capture_default_str();
    cmd->add_option("--threads", flags->threads,
                    "Compute threads during Invoke (oneDNN float GEMMs, int8 GEMM rows)")
        ->check(IntInRange(1, kMaxThreads))
        ->capture_default_str();
    cmd->add_option("--batch", flags->batch, "Examples per Invoke")
        ->check(IntInRange(1, kMaxBatch))
        ->capture_default_str();
    cmd->add_flag("--json", flags->json, "Print JSON instead of text");
    cmd->add_flag("--profile", flags->profile,
                  "Then as many runs again timing each operator: time per operator kind and per "
                  "operator (with its GFLOP/s and output shape)");
    cmd->callback([flags] { SetCommandStatus(Bench(*flags)); });
  }
}

}  // namespace edgepipe::cli
