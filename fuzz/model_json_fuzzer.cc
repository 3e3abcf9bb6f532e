// libFuzzer target for the TF.js layers model loader (nn::LoadAnyModel):
// the input is model.json and weights.bin joined by kModelSeparator
// (fuzz_support.h), written into a scratch model directory.
//
// Checked on every input (saving.h):
//   - LoadAnyModel returns a built model or one clear error "<dir>/...";
//   - a model that loads runs Predict on one all-zero example (each input at
//     its declared shape) without a crash and returns one row of the
//     declared output shape. Predict is skipped for a model beyond kBudget
//     (parameters and activations): the load itself is what is fuzzed, and
//     a valid but big model would only make runs slow.
// Seeds: `fuzz_corpus model_json` (our own SaveModel output: Sequential and
// functional models over every layer kind the loader reads).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "src/core/tensor.h"
#include "src/nn/model.h"
#include "src/nn/saving.h"

namespace {

using edgepipe::Shape;
using edgepipe::Tensor;
namespace fz = edgepipe::fuzz;
namespace nn = edgepipe::nn;

constexpr int64_t kBudget = int64_t{1} << 18;  // floats, per the two sums below

int64_t Elements(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d < 0 ? 1 : d;
  return n;
}

bool WithinBudget(const nn::Model& model) {
  if (model.num_params() > kBudget) return false;
  int64_t activations = 0;
  for (int id : model.input_tensors()) activations += Elements(model.tensor_shape(id));
  for (size_t i = 0; i < model.layers().size(); ++i) {
    activations += Elements(model.tensor_shape(model.node_output(i)));
    if (activations > kBudget) return false;
  }
  return true;
}

void CheckPredict(nn::Model& model) {
  std::vector<Tensor> inputs;
  for (int id : model.input_tensors()) {
    Shape shape = model.tensor_shape(id);
    shape.insert(shape.begin(), 1);
    inputs.emplace_back(edgepipe::DType::kFloat32, shape);
  }
  std::vector<const Tensor*> ptrs;
  for (const Tensor& t : inputs) ptrs.push_back(&t);
  auto out = model.Predict(ptrs, /*batch_size=*/1);
  fz::Require(out.ok(), "a loaded model refuses Predict on zeros of its own input shape");
  Shape want = model.output_shape();
  want[0] = 1;
  fz::Require(out->shape() == want, "Predict returned a shape other than output_shape()");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto [model_json, weights] =
      fz::SplitModelInput(std::string_view(reinterpret_cast<const char*>(data), size));
  const fz::ScratchDir& dir = fz::ScratchDir::Get();
  dir.Write(nn::kModelJsonName, model_json);
  dir.Write(nn::kWeightsBinName, weights);
  auto model = nn::LoadAnyModel(dir.path());
  if (!model.ok()) {
    fz::CheckClearError(model.status(), dir.path() + "/", "LoadAnyModel");
    return 0;
  }
  if (WithinBudget(**model)) CheckPredict(**model);
  return 0;
}
