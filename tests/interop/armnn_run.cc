// armnn_run: runs a .tflite model with Arm NN 20.08 (TfLiteParser + CpuRef
// backend) and prints its outputs as JSON. Test-only: edgepipe's tests compare
// our interpreter with it.
//
// Usage:
//   armnn_run MODEL.tflite SPEC.json
//   armnn_run MODEL.tflite IN0.bin [IN1.bin ...]
// The spec and the JSON on stdout have the same form as tests/js/litert_run.js
// ("runtime": "armnn"). Errors: one line on stderr and exit code 1.
//
// What Arm NN does with shapes: it builds the network for the declared input
// shapes (a [1, 784] input stays [1, 784]; it has no resize). Each run's
// inputs must therefore have the declared element count; a spec shape with the
// same count (e.g. [784]) is accepted and the declared shape is used. Outputs
// are reported with the shapes Arm NN's network gives them.
#include <armnn/ArmNN.hpp>
#include <armnn/Exceptions.hpp>
#include <armnn/Utils.hpp>
#include <armnnTfLiteParser/ITfLiteParser.hpp>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using nlohmann::json;

// Thrown for our own input errors; main() turns it into exit code 1.
struct HarnessError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::vector<uint8_t> ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw HarnessError(path + ": cannot open");
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

// Our dtype names (as in the JSON) for Arm NN's data types.
const char* DTypeName(armnn::DataType type) {
  switch (type) {
    case armnn::DataType::Float32:
      return "float32";
    case armnn::DataType::Float16:
      return "float16";
    case armnn::DataType::QAsymmU8:
      return "uint8";
    case armnn::DataType::QAsymmS8:
    case armnn::DataType::QSymmS8:
      return "int8";
    case armnn::DataType::QSymmS16:
      return "int16";
    case armnn::DataType::Signed32:
      return "int32";
    case armnn::DataType::Boolean:
      return "bool";
    default:
      return "unsupported";
  }
}

json ValuesToJson(const armnn::TensorInfo& info, const std::vector<uint8_t>& bytes) {
  json values = json::array();
  const size_t n = info.GetNumElements();
  auto push_float = [&values](double v) {
    if (std::isnan(v)) {
      values.push_back("NaN");
    } else if (std::isinf(v)) {
      values.push_back(v > 0 ? "Infinity" : "-Infinity");
    } else {
      values.push_back(v);
    }
  };
  for (size_t i = 0; i < n; ++i) {
    switch (info.GetDataType()) {
      case armnn::DataType::Float32: {
        float v;
        std::memcpy(&v, bytes.data() + 4 * i, 4);
        push_float(v);
        break;
      }
      case armnn::DataType::QAsymmU8:
      case armnn::DataType::Boolean:
        values.push_back(bytes[i]);
        break;
      case armnn::DataType::QAsymmS8:
      case armnn::DataType::QSymmS8:
        values.push_back(static_cast<int8_t>(bytes[i]));
        break;
      case armnn::DataType::QSymmS16: {
        int16_t v;
        std::memcpy(&v, bytes.data() + 2 * i, 2);
        values.push_back(v);
        break;
      }
      case armnn::DataType::Signed32: {
        int32_t v;
        std::memcpy(&v, bytes.data() + 4 * i, 4);
        values.push_back(v);
        break;
      }
      default:
        throw HarnessError(std::string("output of unsupported Arm NN data type ") +
                           armnn::GetDataTypeName(info.GetDataType()));
    }
  }
  return values;
}

// Encodes inline JSON numbers as the bytes of `info`'s data type.
std::vector<uint8_t> ValuesToBytes(const json& values, const armnn::TensorInfo& info,
                                   const std::string& where) {
  std::vector<uint8_t> bytes(info.GetNumBytes());
  for (size_t i = 0; i < values.size(); ++i) {
    const double v = values[i].get<double>();
    switch (info.GetDataType()) {
      case armnn::DataType::Float32: {
        float f = static_cast<float>(v);
        std::memcpy(bytes.data() + 4 * i, &f, 4);
        break;
      }
      case armnn::DataType::QAsymmU8:
      case armnn::DataType::Boolean:
        bytes[i] = static_cast<uint8_t>(v);
        break;
      case armnn::DataType::QAsymmS8:
      case armnn::DataType::QSymmS8:
        bytes[i] = static_cast<uint8_t>(static_cast<int8_t>(v));
        break;
      case armnn::DataType::Signed32: {
        int32_t x = static_cast<int32_t>(v);
        std::memcpy(bytes.data() + 4 * i, &x, 4);
        break;
      }
      default:
        throw HarnessError(where + ": inline values of this input's type are not supported");
    }
  }
  return bytes;
}

struct Binding {
  std::string name;
  armnn::BindingPointInfo info;
};

// Reads every run's inputs as bytes in the declared types. A spec input must
// name the same dtype as the model and the declared element count.
std::vector<std::vector<std::vector<uint8_t>>> ReadRuns(const std::vector<std::string>& args,
                                                        const std::vector<Binding>& inputs) {
  std::vector<std::vector<std::vector<uint8_t>>> runs;
  if (args.size() == 1 && args[0].size() > 5 && args[0].ends_with(".json")) {
    const std::string& spec_path = args[0];
    const std::vector<uint8_t> spec_bytes = ReadBytes(spec_path);
    json spec = json::parse(spec_bytes.begin(), spec_bytes.end());
    std::vector<uint8_t> data;
    if (spec.contains("data")) {
      std::filesystem::path data_path = spec["data"].get<std::string>();
      if (data_path.is_relative())
        data_path = std::filesystem::path(spec_path).parent_path() / data_path;
      data = ReadBytes(data_path.string());
    }
    const json& spec_runs = spec.at("runs");
    for (size_t r = 0; r < spec_runs.size(); ++r) {
      const json& spec_inputs = spec_runs[r].at("inputs");
      if (spec_inputs.size() != inputs.size()) {
        throw HarnessError(spec_path + ": runs[" + std::to_string(r) +
                           "]: " + std::to_string(spec_inputs.size()) + " inputs, the model has " +
                           std::to_string(inputs.size()));
      }
      std::vector<std::vector<uint8_t>> run;
      for (size_t i = 0; i < spec_inputs.size(); ++i) {
        const json& input = spec_inputs[i];
        const armnn::TensorInfo& info = inputs[i].info.second;
        const std::string where =
            spec_path + ": runs[" + std::to_string(r) + "].inputs[" + std::to_string(i) + "]";
        const std::string dtype = input.at("dtype").get<std::string>();
        if (dtype != DTypeName(info.GetDataType())) {
          throw HarnessError(where + ": dtype " + dtype + ", the model's input \"" +
                             inputs[i].name + "\" is " + DTypeName(info.GetDataType()));
        }
        int64_t count = 1;
        for (const json& d : input.at("shape")) count *= d.get<int64_t>();
        if (count != static_cast<int64_t>(info.GetNumElements())) {
          throw HarnessError(where + ": " + std::to_string(count) +
                             " elements, the model's input \"" + inputs[i].name +
                             "\" is declared with " + std::to_string(info.GetNumElements()) +
                             " (Arm NN runs the declared shape; send one example per run)");
        }
        if (input.contains("values")) {
          if (input["values"].size() != info.GetNumElements()) {
            throw HarnessError(where + ": " + std::to_string(input["values"].size()) +
                               " values, expected " + std::to_string(info.GetNumElements()));
          }
          run.push_back(ValuesToBytes(input["values"], info, where));
        } else {
          const uint64_t offset = input.value("offset", uint64_t{0});
          if (offset > data.size() || data.size() - offset < info.GetNumBytes()) {
            throw HarnessError(where + ": bytes [" + std::to_string(offset) + ", " +
                               std::to_string(offset + info.GetNumBytes()) +
                               ") past the end of the data file (" + std::to_string(data.size()) +
                               " bytes)");
          }
          run.emplace_back(data.begin() + static_cast<std::ptrdiff_t>(offset),
                           data.begin() + static_cast<std::ptrdiff_t>(offset + info.GetNumBytes()));
        }
      }
      runs.push_back(std::move(run));
    }
    return runs;
  }
  if (args.size() != inputs.size()) {
    throw HarnessError("model has " + std::to_string(inputs.size()) + " inputs but " +
                       std::to_string(args.size()) + " .bin files were given");
  }
  std::vector<std::vector<uint8_t>> run;
  for (size_t i = 0; i < args.size(); ++i) {
    std::vector<uint8_t> bytes = ReadBytes(args[i]);
    if (bytes.size() != inputs[i].info.second.GetNumBytes()) {
      throw HarnessError(args[i] + ": " + std::to_string(bytes.size()) + " bytes, expected " +
                         std::to_string(inputs[i].info.second.GetNumBytes()));
    }
    run.push_back(std::move(bytes));
  }
  runs.push_back(std::move(run));
  return runs;
}

int Run(const std::string& model_path, const std::vector<std::string>& args) {
  // Arm NN logs to stdout when enabled; stdout carries our JSON.
  armnn::ConfigureLogging(false, false, armnn::LogSeverity::Fatal);

  auto parser = armnnTfLiteParser::ITfLiteParser::Create();
  armnn::INetworkPtr network = parser->CreateNetworkFromBinaryFile(model_path.c_str());
  if (!network) throw HarnessError("TfLiteParser returned no network");
  if (parser->GetSubgraphCount() != 1) {
    throw HarnessError("model has " + std::to_string(parser->GetSubgraphCount()) +
                       " subgraphs, expected 1");
  }
  std::vector<Binding> inputs, outputs;
  for (const std::string& name : parser->GetSubgraphInputTensorNames(0)) {
    inputs.push_back({name, parser->GetNetworkInputBindingInfo(0, name)});
  }
  for (const std::string& name : parser->GetSubgraphOutputTensorNames(0)) {
    outputs.push_back({name, parser->GetNetworkOutputBindingInfo(0, name)});
  }

  armnn::IRuntimePtr runtime = armnn::IRuntime::Create(armnn::IRuntime::CreationOptions());
  std::vector<std::string> messages;
  armnn::IOptimizedNetworkPtr optimized = armnn::Optimize(
      *network, {armnn::Compute::CpuRef}, runtime->GetDeviceSpec(), armnn::OptimizerOptions(),
      armnn::Optional<std::vector<std::string>&>(messages));
  if (!optimized) {
    std::string all;
    for (const std::string& m : messages) all += " " + m;
    throw HarnessError("Optimize for CpuRef failed:" + all);
  }
  armnn::NetworkId network_id;
  std::string load_error;
  if (runtime->LoadNetwork(network_id, std::move(optimized), load_error) !=
      armnn::Status::Success) {
    throw HarnessError("LoadNetwork failed: " + load_error);
  }

  const std::vector<std::vector<std::vector<uint8_t>>> runs = ReadRuns(args, inputs);
  json result_runs = json::array();
  for (size_t r = 0; r < runs.size(); ++r) {
    armnn::InputTensors input_tensors;
    for (size_t i = 0; i < inputs.size(); ++i) {
      input_tensors.emplace_back(inputs[i].info.first,
                                 armnn::ConstTensor(inputs[i].info.second, runs[r][i].data()));
    }
    std::vector<std::vector<uint8_t>> output_bytes(outputs.size());
    armnn::OutputTensors output_tensors;
    for (size_t o = 0; o < outputs.size(); ++o) {
      output_bytes[o].resize(outputs[o].info.second.GetNumBytes());
      output_tensors.emplace_back(outputs[o].info.first,
                                  armnn::Tensor(outputs[o].info.second, output_bytes[o].data()));
    }
    if (runtime->EnqueueWorkload(network_id, input_tensors, output_tensors) !=
        armnn::Status::Success) {
      throw HarnessError("EnqueueWorkload failed for runs[" + std::to_string(r) + "]");
    }
    json outs = json::array();
    for (size_t o = 0; o < outputs.size(); ++o) {
      const armnn::TensorInfo& info = outputs[o].info.second;
      json shape = json::array();
      for (unsigned d = 0; d < info.GetNumDimensions(); ++d) shape.push_back(info.GetShape()[d]);
      outs.push_back({{"name", outputs[o].name},
                      {"shape", shape},
                      {"dtype", DTypeName(info.GetDataType())},
                      {"values", ValuesToJson(info, output_bytes[o])}});
    }
    result_runs.push_back({{"outputs", outs}});
  }
  std::string out = json{{"runtime", "armnn"}, {"runs", result_runs}}.dump();
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fputc('\n', stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: armnn_run MODEL.tflite SPEC.json | IN0.bin [IN1.bin ...]\n");
    return 2;
  }
  const std::string model_path = argv[1];
  try {
    return Run(model_path, std::vector<std::string>(argv + 2, argv + argc));
  } catch (const std::exception& e) {
    // armnn::Exception, nlohmann::json errors and our own all derive from it.
    std::fprintf(stderr, "armnn_run: %s: %s\n", model_path.c_str(), e.what());
    return 1;
  }
}
