// `edgepipe onnx export MODEL_DIR OUT.onnx`: a saved model (or a Model
// artifact holding Format-Serving/) written as ONNX opset 13
// (src/onnx/onnx_export.h does the work).
#include <cstdio>
#include <memory>
#include <string>

#include "src/cli/command_registry.h"
#include "src/onnx/onnx_export.h"

namespace edgepipe::cli {

namespace {

Status Export(const std::string& model_dir, const std::string& out) {
  ASSIGN_OR_RETURN(int64_t bytes, onnx::ExportSavedModelToOnnx(model_dir, out));
  std::printf("%s: %lld bytes, ONNX opset %lld\n", out.c_str(), static_cast<long long>(bytes),
              static_cast<long long>(onnx::kOnnxOpset));
  return Status::OK();
}

}  // namespace

void RegisterOnnxCommands(CLI::App& app) {
  CLI::App* onnx = app.add_subcommand("onnx", "ONNX export (for native runtimes: onnxruntime)");
  onnx->require_subcommand(1);
  CLI::App* cmd = onnx->add_subcommand(
      "export", "Export a saved model (model.json + weights.bin) to ONNX (opset 13, NHWC inputs)");
  auto model_dir = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  cmd->add_option("MODEL_DIR", *model_dir,
                  "Saved model folder, or a Model artifact holding Format-Serving/")
      ->required();
  cmd->add_option("OUT", *out, "The .onnx file to write")->required();
  cmd->callback([model_dir, out] { SetCommandStatus(Export(*model_dir, *out)); });
}

}  // namespace edgepipe::cli
