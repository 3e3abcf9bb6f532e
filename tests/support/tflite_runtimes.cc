#include "tests/support/tflite_runtimes.h"

#include <stdlib.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>

#include "src/core/files.h"
#include "tests/support/subprocess.h"

#ifndef EDGEPIPE_ARMNN_RUN
#error "EDGEPIPE_ARMNN_RUN (path of the armnn_run executable) must be defined"
#endif

namespace edgepipe::testing {
namespace {

using nlohmann::json;

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// The harness command for `runtime`, reading `model` and `spec`. Node scripts
// run as NodeCommand() runs them (NODE_PATH at the repository's
// node_modules), under `timeout` so a hung runtime cannot hang the test.
std::string HarnessCommand(TfliteRuntime runtime, const std::string& model, const std::string& spec,
                           int timeout_seconds) {
  const std::string repo = EDGEPIPE_SOURCE_DIR;
  const std::string timeout = "timeout -k 10 " + std::to_string(timeout_seconds) + " ";
  const std::string args = ShellQuote(model) + " " + ShellQuote(spec);
  switch (runtime) {
    case TfliteRuntime::kLiteRtJs:
    case TfliteRuntime::kTfjsTflite: {
      const char* script =
          runtime == TfliteRuntime::kLiteRtJs ? "litert_run.js" : "tfjs_tflite_run.js";
      return "NODE_PATH=" + ShellQuote(repo + "/node_modules") + " " + timeout + "node " +
             ShellQuote(repo + "/tests/js/" + script) + " " + args;
    }
    case TfliteRuntime::kArmNN:
      return timeout + ShellQuote(EDGEPIPE_ARMNN_RUN) + " " + args;
  }
  return "false";
}

// The lines of a harness's stderr worth putting in a Status: its own error
// line if there is one, else the last few lines that are not runtime chatter.
std::string ErrorLines(const std::string& stderr_text) {
  std::vector<std::string> kept;
  std::istringstream in(stderr_text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line.starts_with("INFO:") || line.starts_with("WARNING:")) continue;
    if (line.starts_with("litert_run.js:") || line.starts_with("tfjs_tflite_run.js:") ||
        line.starts_with("armnn_run:") || line.starts_with("onnxruntime_run.js:")) {
      return line;
    }
    kept.push_back(line);
  }
  std::string out;
  for (size_t i = kept.size() > 5 ? kept.size() - 5 : 0; i < kept.size(); ++i) {
    if (!out.empty()) out += " | ";
    out += kept[i].substr(0, 500);
  }
  return out.empty() ? "(no error message)" : out;
}

// A temporary directory removed when this goes out of scope.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "edgepipe-tflite-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    if (!path_.empty()) (void)RemoveAll(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

StatusOr<float> JsonNumber(const json& v) {
  if (v.is_number()) return static_cast<float>(v.get<double>());
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s == "NaN") return std::numeric_limits<float>::quiet_NaN();
    if (s == "Infinity") return std::numeric_limits<float>::infinity();
    if (s == "-Infinity") return -std::numeric_limits<float>::infinity();
  }
  return Status::Corruption("value " + v.dump() + " is not a number");
}

StatusOr<std::vector<std::vector<RuntimeOutput>>> ParseHarnessOutput(const std::string& text) {
  std::vector<std::vector<RuntimeOutput>> runs;
  try {
    const json doc = json::parse(text);
    for (const json& run : doc.at("runs")) {
      std::vector<RuntimeOutput> outputs;
      for (const json& out : run.at("outputs")) {
        RuntimeOutput o;
        o.name = out.at("name").get<std::string>();
        o.shape = out.at("shape").get<std::vector<int64_t>>();
        o.dtype = out.at("dtype").get<std::string>();
        const json& values = out.at("values");
        o.values.reserve(values.size());
        for (const json& v : values) {
          ASSIGN_OR_RETURN(float f, JsonNumber(v));
          o.values.push_back(f);
        }
        if (static_cast<int64_t>(o.values.size()) != NumElements(o.shape)) {
          return Status::Corruption("output \"" + o.name +
                                    "\": " + std::to_string(o.values.size()) +
                                    " values for shape " + ShapeToString(o.shape));
        }
        outputs.push_back(std::move(o));
      }
      runs.push_back(std::move(outputs));
    }
  } catch (const json::exception& e) {
    return Status::Corruption(std::string("harness output is not the expected JSON: ") + e.what());
  }
  return runs;
}

// Rows [begin, begin + rows) of dimension 0 of `t`.
Tensor SliceRows(const Tensor& t, int64_t begin, int64_t rows) {
  Shape shape = t.shape();
  const size_t row_bytes = t.num_bytes() / static_cast<size_t>(shape[0]);
  shape[0] = rows;
  Tensor out(t.dtype(), shape);
  std::memcpy(out.raw_data(),
              static_cast<const uint8_t*>(t.raw_data()) + static_cast<size_t>(begin) * row_bytes,
              static_cast<size_t>(rows) * row_bytes);
  return out;
}

}  // namespace

const char* TfliteRuntimeName(TfliteRuntime runtime) {
  switch (runtime) {
    case TfliteRuntime::kLiteRtJs:
      return "litert.js";
    case TfliteRuntime::kTfjsTflite:
      return "tfjs-tflite";
    case TfliteRuntime::kArmNN:
      return "armnn";
  }
  return "unknown";
}

namespace {

// Runs `invocations` through the harness that `command(model, spec)` starts
// (stderr is redirected here); `runtime` names it in errors.
StatusOr<std::vector<std::vector<RuntimeOutput>>> RunHarness(
    const std::string& runtime,
    const std::function<std::string(const std::string&, const std::string&)>& command_for,
    const std::string& model_path, const std::vector<std::vector<Tensor>>& invocations,
    int timeout_seconds) {
  const std::string context = runtime + ": " + model_path;
  if (!PathExists(model_path)) return Status::NotFound(context + ": no such file");
  TempDir dir;
  if (dir.path().empty()) return Status::IOError(context + ": cannot create a temporary directory");

  // One data file with every tensor's bytes; the spec points into it.
  std::string data;
  json runs = json::array();
  for (const std::vector<Tensor>& inputs : invocations) {
    json spec_inputs = json::array();
    for (const Tensor& t : inputs) {
      spec_inputs.push_back(
          {{"dtype", DTypeName(t.dtype())}, {"shape", t.shape()}, {"offset", data.size()}});
      data.append(static_cast<const char*>(t.raw_data()), t.num_bytes());
    }
    runs.push_back({{"inputs", spec_inputs}});
  }
  const std::string spec_path = JoinPath(dir.path(), "spec.json");
  RETURN_IF_ERROR(WriteFileAtomic(JoinPath(dir.path(), "inputs.bin"), data));
  RETURN_IF_ERROR(WriteFileAtomic(spec_path, json{{"data", "inputs.bin"}, {"runs", runs}}.dump()));

  const std::string stderr_path = JoinPath(dir.path(), "stderr.txt");
  const std::string command =
      command_for(std::filesystem::absolute(model_path).string(), spec_path) + " 2>" +
      ShellQuote(stderr_path);
  const CommandResult result = RunCommand(command);
  if (result.exit_code != 0) {
    if (result.exit_code == 124 || result.exit_code == 137) {
      return Status::Internal(context + ": timed out after " + std::to_string(timeout_seconds) +
                              " s");
    }
    StatusOr<std::string> err = ReadFile(stderr_path);
    return Status::Internal(context + ": exit code " + std::to_string(result.exit_code) + ": " +
                            ErrorLines(err.ok() ? err.value() : ""));
  }
  StatusOr<std::vector<std::vector<RuntimeOutput>>> parsed = ParseHarnessOutput(result.out);
  if (!parsed.ok()) return parsed.status().WithContext(context);
  if (parsed.value().size() != invocations.size()) {
    return Status::Corruption(context + ": " + std::to_string(parsed.value().size()) +
                              " runs in the output, expected " +
                              std::to_string(invocations.size()));
  }
  return parsed;
}

}  // namespace

StatusOr<std::vector<std::vector<RuntimeOutput>>> RunInvocationsInTfliteRuntime(
    TfliteRuntime runtime, const std::string& model_path,
    const std::vector<std::vector<Tensor>>& invocations, int timeout_seconds) {
  return RunHarness(
      TfliteRuntimeName(runtime),
      [&](const std::string& model, const std::string& spec) {
        return HarnessCommand(runtime, model, spec, timeout_seconds);
      },
      model_path, invocations, timeout_seconds);
}

StatusOr<std::vector<RuntimeOutput>> RunInOnnxRuntime(const std::string& model_path,
                                                      const std::vector<Tensor>& inputs,
                                                      int timeout_seconds) {
  const std::string repo = EDGEPIPE_SOURCE_DIR;
  ASSIGN_OR_RETURN(auto runs, RunHarness(
                                  "onnxruntime",
                                  [&](const std::string& model, const std::string& spec) {
                                    return "NODE_PATH=" + ShellQuote(repo + "/node_modules") +
                                           " timeout -k 10 " + std::to_string(timeout_seconds) +
                                           " node " +
                                           ShellQuote(repo + "/tests/js/onnxruntime_run.js") + " " +
                                           ShellQuote(model) + " " + ShellQuote(spec);
                                  },
                                  model_path, {inputs}, timeout_seconds));
  return std::move(runs[0]);
}

StatusOr<std::vector<RuntimeOutput>> RunInTfliteRuntime(TfliteRuntime runtime,
                                                        const std::string& model_path,
                                                        const std::vector<Tensor>& inputs,
                                                        const RuntimeRunOptions& options) {
  const std::string context = std::string(TfliteRuntimeName(runtime)) + ": " + model_path;
  const int64_t rows = options.rows_per_invocation;
  if (rows < 0) return Status::InvalidArgument(context + ": rows_per_invocation < 0");
  if (rows == 0 || inputs.empty()) {
    ASSIGN_OR_RETURN(auto runs, RunInvocationsInTfliteRuntime(runtime, model_path, {inputs},
                                                              options.timeout_seconds));
    return std::move(runs[0]);
  }

  const int64_t total = inputs[0].rank() >= 1 ? inputs[0].dim(0) : -1;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].rank() < 1 || inputs[i].dim(0) != total) {
      return Status::InvalidArgument(context + ": input " + std::to_string(i) + " has shape " +
                                     ShapeToString(inputs[i].shape()) +
                                     "; to split into invocations every input needs the same "
                                     "dimension 0 (" +
                                     std::to_string(total) + ")");
    }
  }
  if (total <= 0 || total % rows != 0) {
    return Status::InvalidArgument(context + ": dimension 0 is " + std::to_string(total) +
                                   ", not a positive multiple of rows_per_invocation " +
                                   std::to_string(rows));
  }
  std::vector<std::vector<Tensor>> invocations;
  for (int64_t begin = 0; begin < total; begin += rows) {
    std::vector<Tensor> slice;
    for (const Tensor& t : inputs) slice.push_back(SliceRows(t, begin, rows));
    invocations.push_back(std::move(slice));
  }
  ASSIGN_OR_RETURN(auto runs, RunInvocationsInTfliteRuntime(runtime, model_path, invocations,
                                                            options.timeout_seconds));

  // Concatenate each output along dimension 0.
  std::vector<RuntimeOutput> merged = runs[0];
  for (size_t r = 1; r < runs.size(); ++r) {
    if (runs[r].size() != merged.size()) {
      return Status::Corruption(context + ": invocation " + std::to_string(r) + " has " +
                                std::to_string(runs[r].size()) + " outputs, the first has " +
                                std::to_string(merged.size()));
    }
    for (size_t o = 0; o < merged.size(); ++o) {
      const RuntimeOutput& next = runs[r][o];
      if (next.shape != runs[0][o].shape || next.dtype != merged[o].dtype) {
        return Status::Corruption(context + ": output " + std::to_string(o) + " of invocation " +
                                  std::to_string(r) + " is " + next.dtype + " " +
                                  ShapeToString(next.shape) + ", the first is " + runs[0][o].dtype +
                                  " " + ShapeToString(runs[0][o].shape));
      }
      merged[o].values.insert(merged[o].values.end(), next.values.begin(), next.values.end());
    }
  }
  for (size_t o = 0; o < merged.size(); ++o) {
    if (merged[o].shape.empty()) {
      merged[o].shape = {static_cast<int64_t>(runs.size())};
    } else {
      merged[o].shape[0] *= static_cast<int64_t>(runs.size());
    }
  }
  return merged;
}

}  // namespace edgepipe::testing
