// Seeds of model_json_fuzzer: small models saved by our own SaveModel, their
// model.json and weights.bin joined as JoinModelInput (fuzz_support.h)
// does. Between them they use every layer class the loader reads, in a
// Sequential and in a functional (two-input, branching) topology.
#include <unistd.h>

#include <memory>
#include <string>

#include "fuzz/corpus.h"
#include "fuzz/fuzz_support.h"
#include "src/nn/conv.h"
#include "src/nn/dense.h"
#include "src/nn/dropout.h"
#include "src/nn/model.h"
#include "src/nn/normalization.h"
#include "src/nn/pooling.h"
#include "src/nn/relu.h"
#include "src/nn/reshaping.h"
#include "src/nn/saving.h"

namespace edgepipe::fuzz {
namespace {

// Saves `model` into a scratch directory and writes the joined seed.
Status SaveSeed(const nn::Model& model, const std::string& dir, const std::string& name) {
  const std::string model_dir = JoinPath(dir, ".save-" + name + "-" + std::to_string(::getpid()));
  Status st = nn::SaveModel(model, model_dir);
  StatusOr<std::string> json = st.ok() ? ReadFile(JoinPath(model_dir, nn::kModelJsonName)) : st;
  StatusOr<std::string> weights = st.ok() ? ReadFile(JoinPath(model_dir, nn::kWeightsBinName)) : st;
  RETURN_IF_ERROR(RemoveAll(model_dir));
  if (!json.ok()) return json.status().WithContext(name);
  if (!weights.ok()) return weights.status().WithContext(name);
  return WriteSeed(dir, name + ".model", JoinModelInput(*json, *weights));
}

// [4] -> dense relu -> dropout -> dense -> relu -> dense softmax.
Status Mlp(const std::string& dir) {
  nn::Sequential m("mlp");
  RETURN_IF_ERROR(m.Add(std::make_unique<nn::Dense>(5, nn::Activation::kRelu)));
  RETURN_IF_ERROR(m.Add(std::make_unique<nn::Dropout>(0.25f)));
  RETURN_IF_ERROR(m.Add(std::make_unique<nn::Dense>(4)));
  RETURN_IF_ERROR(m.Add(std::make_unique<nn::ReLU>()));
  RETURN_IF_ERROR(m.Add(std::make_unique<nn::Dense>(3, nn::Activation::kSoftmax)));
  RETURN_IF_ERROR(m.Build(4, /*seed=*/1));
  m.set_input_name("features");
  m.user_metadata()["label_key"] = "label";
  return SaveSeed(m, dir, "mlp");
}

// [5, 5, 1] image classifier through every spatial layer.
Status Cnn(const std::string& dir) {
  nn::Sequential m("cnn");
  RETURN_IF_ERROR(m.Add(std::make_unique<nn::Rescaling>(1.0f / 255, -0.5f)));
  RETURN_IF_ERROR(m.Add(std::make_unique<nn::ZeroPadding2D>()));
  RETURN_IF_ERROR(m.Add(std::make_unique<nn::Conv2D>(
      nn::Conv2DOptions{.filters = 2, .kernel_size = {3, 3}, .strides = {1, 1}})));
  RETURN_IF_ERROR(m.Add(std::make_unique<nn::BatchNormalization>()));
  RETURN_IF_ERROR(m.Add(std::make_unique<nn::ReLU>(6.0f)));
  RETURN_IF_ERROR(m.Add(std::make_unique<nn::DepthwiseConv2D>(
      nn::DepthwiseConv2DOptions{.padding = "same", .depth_multiplier = 2})));
  RETURN_IF_ERROR(m.Add(std::make_unique<nn::MaxPooling2D>()));
  RETURN_IF_ERROR(m.Add(std::make_unique<nn::AveragePooling2D>(
      nn::Pooling2DOptions{.pool_size = {1, 1}, .padding = "same"})));
  RETURN_IF_ERROR(m.Add(std::make_unique<nn::Flatten>()));
  RETURN_IF_ERROR(m.Add(std::make_unique<nn::Reshape>(Shape{2, -1})));
  RETURN_IF_ERROR(m.Add(std::make_unique<nn::Flatten>()));
  RETURN_IF_ERROR(m.Add(std::make_unique<nn::Dense>(3, nn::Activation::kTanh)));
  RETURN_IF_ERROR(m.Build(Shape{5, 5, 1}, /*seed=*/2));
  return SaveSeed(m, dir, "cnn");
}

// Two inputs: image [4, 4, 2] -> normalization -> conv -> residual add ->
// global average pooling; side [3] -> dense; concatenate -> dense.
Status Functional(const std::string& dir) {
  nn::Model m("residual");
  ASSIGN_OR_RETURN(nn::SymbolicTensor image, m.Input({4, 4, 2}, "image"));
  ASSIGN_OR_RETURN(nn::SymbolicTensor side, m.Input({3}, "side"));
  ASSIGN_OR_RETURN(nn::SymbolicTensor n,
                   m.Call(std::make_unique<nn::Normalization>(std::vector<float>{0.5f, -1.0f},
                                                              std::vector<float>{2.0f, 0.25f}),
                          image));
  ASSIGN_OR_RETURN(
      nn::SymbolicTensor c,
      m.Call(std::make_unique<nn::Conv2D>(nn::Conv2DOptions{.filters = 2, .padding = "same"}), n));
  ASSIGN_OR_RETURN(nn::SymbolicTensor sum, m.Call(std::make_unique<nn::Add>(), {n, c}));
  ASSIGN_OR_RETURN(nn::SymbolicTensor pooled,
                   m.Call(std::make_unique<nn::GlobalAveragePooling2D>(), sum));
  ASSIGN_OR_RETURN(nn::SymbolicTensor s,
                   m.Call(std::make_unique<nn::Dense>(2, nn::Activation::kSigmoid), side));
  ASSIGN_OR_RETURN(nn::SymbolicTensor cat,
                   m.Call(std::make_unique<nn::Concatenate>(), {pooled, s}));
  ASSIGN_OR_RETURN(nn::SymbolicTensor act,
                   m.Call(std::make_unique<nn::ActivationLayer>(nn::Activation::kRelu), cat));
  ASSIGN_OR_RETURN(nn::SymbolicTensor out, m.Call(std::make_unique<nn::Dense>(3), act));
  RETURN_IF_ERROR(m.Build({image, side}, {out}, /*seed=*/3));
  return SaveSeed(m, dir, "functional");
}

}  // namespace

Status WriteModelJsonSeeds(const std::string& dir) {
  RETURN_IF_ERROR(CreateDirectories(dir));
  RETURN_IF_ERROR(Mlp(dir));
  RETURN_IF_ERROR(Cnn(dir));
  return Functional(dir);
}

}  // namespace edgepipe::fuzz
