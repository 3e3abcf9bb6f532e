// make_bench_models OUT_DIR [MNIST_DIR]: writes the .tflite files that
// bench/lite_vs_litert.sh times in `edgepipe lite bench` and LiteRT.js:
//
//   mnist_mlp_{float,int8}.tflite     the TFX MNIST MLP (784 -> 64 relu -> 64
//                                      relu -> 10), trained here with nn for 2
//                                      epochs on 8,000 digits of MNIST_DIR
//                                      (default data/mnist), converted by our
//                                      converter;
//   fashion_cnn_{float,int8}.tflite   the Keras Fashion-MNIST tutorial CNN
//                                      (28x28x1: Conv 32 3x3 relu, MaxPool 2,
//                                      Conv 64 3x3 relu, MaxPool 2, Flatten,
//                                      Dense 128 relu, Dense 10);
//   penguin_float.tflite              TFX's penguin model (four scalar inputs,
//                                      Concatenate, Normalization, Dense 8, 8,
//                                      3; random weights): a multi-input model;
//   *_float.onnx                      the float models exported to ONNX
//                                      (src/onnx) for onnxruntime
//                                      (bench/onnx_vs_litert.sh);
//   mobilenet_{float,int8}.tflite     issue 3's MobileNet-style model
//                                      (src/examples/fashion_mnist): 28x28x1,
//                                      Conv 16 3x3/2 + BN + relu6, two
//                                      depthwise-separable blocks (DW 3x3/1 and
//                                      /2 + BN + relu6, 1x1 to 32 and 64 + BN +
//                                      relu6), global mean, Dense 10.
//
// Both CNNs are as in src/examples/fashion_mnist but built directly as
// lite::InferenceGraphs with random (He-scaled) weights: latency does not
// depend on the values, and the converter's nn adapter did not read
// convolutional models when this was written. int8 = full
// integer with float I/O (QUANTIZE/DEQUANTIZE inside, as LiteRT.js needs),
// calibrated on 200 training digits (MLP) or 64 random inputs (the others).
//
// Prints one line per file; exit code 1 with the error otherwise.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "src/core/files.h"
#include "src/core/status.h"
#include "src/core/tensor.h"
#include "src/io/idx.h"
#include "src/lite/calibration.h"
#include "src/lite/converter.h"
#include "src/nn/dense.h"
#include "src/nn/model.h"
#include "src/nn/normalization.h"
#include "src/nn/reshaping.h"
#include "src/onnx/onnx_export.h"

namespace {

using edgepipe::DType;
using edgepipe::Shape;
using edgepipe::Status;
using edgepipe::StatusOr;
using edgepipe::Tensor;
namespace lite = edgepipe::lite;
namespace nn = edgepipe::nn;

constexpr int64_t kTrain = 8000;

Tensor Uniform(Shape shape, std::mt19937& rng, float lo, float hi) {
  std::uniform_real_distribution<float> dist(lo, hi);
  Tensor t(DType::kFloat32, std::move(shape));
  for (int64_t i = 0; i < t.num_elements(); ++i) t.data<float>()[i] = dist(rng);
  return t;
}

// He-uniform kernel with `fan_in` inputs per output.
Tensor HeKernel(Shape shape, int64_t fan_in, std::mt19937& rng) {
  const float limit = std::sqrt(6.0f / static_cast<float>(fan_in));
  return Uniform(std::move(shape), rng, -limit, limit);
}

lite::BatchNormOp RandomBatchNorm(const std::string& name, int64_t c, std::mt19937& rng) {
  return {name, Uniform({c}, rng, 0.8f, 1.2f), Uniform({c}, rng, -0.1f, 0.1f),
          Uniform({c}, rng, -0.1f, 0.1f), Uniform({c}, rng, 0.5f, 1.5f)};
}

lite::InferenceGraph FashionCnn(uint32_t seed) {
  std::mt19937 rng(seed);
  lite::InferenceGraph g;
  g.model_name = "fashion_cnn";
  g.input_name = "image";
  g.input_shape = {-1, 28, 28, 1};
  g.ops.push_back(lite::Conv2DOp{.name = "conv2d",
                                 .kernel = HeKernel({3, 3, 1, 32}, 9, rng),
                                 .bias = Uniform({32}, rng, -0.05f, 0.05f),
                                 .activation = lite::FusedActivation::kRelu});  // 26x26x32
  g.ops.push_back(lite::Pool2DOp{"max_pooling2d"});                             // 13x13x32
  g.ops.push_back(lite::Conv2DOp{.name = "conv2d_1",
                                 .kernel = HeKernel({3, 3, 32, 64}, 9 * 32, rng),
                                 .bias = Uniform({64}, rng, -0.05f, 0.05f),
                                 .activation = lite::FusedActivation::kRelu});  // 11x11x64
  g.ops.push_back(lite::Pool2DOp{"max_pooling2d_1"});                           // 5x5x64
  g.ops.push_back(lite::ReshapeOp{"flatten", {-1}});                            // 1600
  g.ops.push_back(lite::DenseOp{"dense", HeKernel({1600, 128}, 1600, rng),
                                Uniform({128}, rng, -0.05f, 0.05f), lite::FusedActivation::kRelu});
  g.ops.push_back(
      lite::DenseOp{"dense_1", HeKernel({128, 10}, 128, rng), Uniform({10}, rng, -0.05f, 0.05f)});
  return g;
}

lite::InferenceGraph MobileNet(uint32_t seed) {
  std::mt19937 rng(seed);
  lite::InferenceGraph g;
  g.model_name = "fashion_mobilenet";
  g.input_name = "image";
  g.input_shape = {-1, 28, 28, 1};
  int64_t c = 16;
  g.ops.push_back(lite::Conv2DOp{.name = "conv2d",
                                 .kernel = HeKernel({3, 3, 1, c}, 9, rng),
                                 .bias = Uniform({c}, rng, 0, 0),  // use_bias = false
                                 .stride_h = 2,
                                 .stride_w = 2,
                                 .padding = lite::Padding::kSame});  // 14x14x16
  g.ops.push_back(RandomBatchNorm("batch_normalization", c, rng));
  g.ops.push_back(lite::ActivationOp{"re_lu", lite::ActivationKind::kRelu6});
  int b = 1;
  for (const auto& [stride, filters] : {std::pair<int, int64_t>{1, 32}, {2, 64}}) {
    const std::string id = std::to_string(b++);
    g.ops.push_back(lite::DepthwiseConv2DOp{.name = "depthwise_conv2d_" + id,
                                            .kernel = HeKernel({3, 3, c, 1}, 9, rng),
                                            .bias = Uniform({c}, rng, 0, 0),
                                            .stride_h = stride,
                                            .stride_w = stride,
                                            .padding = lite::Padding::kSame});
    g.ops.push_back(RandomBatchNorm("batch_normalization_dw" + id, c, rng));
    g.ops.push_back(lite::ActivationOp{"re_lu_dw" + id, lite::ActivationKind::kRelu6});
    g.ops.push_back(lite::Conv2DOp{.name = "conv2d_pw" + id,
                                   .kernel = HeKernel({1, 1, c, filters}, c, rng),
                                   .bias = Uniform({filters}, rng, 0, 0)});
    g.ops.push_back(RandomBatchNorm("batch_normalization_pw" + id, filters, rng));
    g.ops.push_back(lite::ActivationOp{"re_lu_pw" + id, lite::ActivationKind::kRelu6});
    c = filters;
  }  // 7x7x64
  g.ops.push_back(lite::MeanOp{"global_average_pooling2d"});
  g.ops.push_back(
      lite::DenseOp{"dense", HeKernel({c, 10}, c, rng), Uniform({10}, rng, -0.05f, 0.05f)});
  return g;
}

StatusOr<nn::Sequential*> TrainMnistMlp(const std::string& mnist_dir, nn::Sequential& model,
                                        Tensor& train_x) {
  ASSIGN_OR_RETURN(Tensor images, edgepipe::io::ReadIdx(mnist_dir + "/images-idx3-ubyte.gz"));
  ASSIGN_OR_RETURN(Tensor labels, edgepipe::io::ReadIdx(mnist_dir + "/labels-idx1-ubyte.gz"));
  if (images.dtype() != DType::kUInt8 || images.dim(0) < kTrain ||
      images.num_elements() / images.dim(0) != 784 || labels.dim(0) < kTrain) {
    return Status::InvalidArgument(mnist_dir + ": expected >= 8,000 MNIST digits of 28x28");
  }
  train_x = Tensor(DType::kFloat32, {kTrain, 784});
  Tensor y(DType::kInt32, {kTrain});
  for (int64_t i = 0; i < kTrain * 784; ++i) {
    train_x.data<float>()[i] = images.data<uint8_t>()[i] / 255.0f;
  }
  for (int64_t i = 0; i < kTrain; ++i) y.data<int32_t>()[i] = labels.data<uint8_t>()[i];
  RETURN_IF_ERROR(model.Add(std::make_unique<nn::Dense>(64, nn::Activation::kRelu)));
  RETURN_IF_ERROR(model.Add(std::make_unique<nn::Dropout>(0.2f)));
  RETURN_IF_ERROR(model.Add(std::make_unique<nn::Dense>(64, nn::Activation::kRelu)));
  RETURN_IF_ERROR(model.Add(std::make_unique<nn::Dropout>(0.2f)));
  RETURN_IF_ERROR(model.Add(std::make_unique<nn::Dense>(10)));
  RETURN_IF_ERROR(model.Build(784, 42));
  model.set_input_name("image_floats");
  nn::CompileOptions compile;
  compile.optimizer = nn::RMSprop({.learning_rate = 0.0015f});
  RETURN_IF_ERROR(model.Compile(std::move(compile)));
  nn::FitOptions fit;
  fit.batch_size = 40;
  fit.epochs = 2;
  fit.seed = 7;
  fit.verbose = 0;
  ASSIGN_OR_RETURN(auto history, model.Fit(train_x, y, fit));
  (void)history;
  return &model;
}

// TFX's penguin model: four scalar inputs, Concatenate, Normalization, Dense
// 8 relu, Dense 8 relu, Dense 3 (random weights).
StatusOr<std::unique_ptr<nn::Model>> Penguin() {
  auto model = std::make_unique<nn::Model>("penguin");
  std::vector<nn::SymbolicTensor> ins;
  for (const char* name :
       {"culmen_length_mm", "culmen_depth_mm", "flipper_length_mm", "body_mass_g"}) {
    ASSIGN_OR_RETURN(nn::SymbolicTensor in, model->Input({1}, name));
    ins.push_back(in);
  }
  ASSIGN_OR_RETURN(auto x, model->Call(std::make_unique<nn::Concatenate>(), ins));
  ASSIGN_OR_RETURN(
      x, model->Call(std::make_unique<nn::Normalization>(std::vector<float>{44, 17, 200, 4200},
                                                         std::vector<float>{30, 4, 200, 640000}),
                     x));
  for (int i = 0; i < 2; ++i) {
    ASSIGN_OR_RETURN(x, model->Call(std::make_unique<nn::Dense>(nn::DenseOptions{
                                        .units = 8, .activation = nn::Activation::kRelu}),
                                    x));
  }
  ASSIGN_OR_RETURN(x, model->Call(std::make_unique<nn::Dense>(3), x));
  RETURN_IF_ERROR(model->Build(ins, {x}, 7));
  return model;
}

Status Write(const std::string& dir, const std::string& name, const std::string& bytes,
             const char* extension = ".tflite") {
  const std::string path = edgepipe::JoinPath(dir, name + extension);
  RETURN_IF_ERROR(edgepipe::WriteFileAtomic(path, bytes));
  std::printf("%s: %zu bytes\n", path.c_str(), bytes.size());
  return Status::OK();
}

lite::ConverterOptions Int8Options(lite::RepresentativeDataset dataset) {
  lite::ConverterOptions o;
  o.quantization = lite::QuantizationMode::kFullInteger;
  o.representative_dataset = std::move(dataset);
  return o;  // float32 I/O (the default): LiteRT.js refuses int8 model I/O
}

Status Run(const std::string& out_dir, const std::string& mnist_dir) {
  RETURN_IF_ERROR(edgepipe::CreateDirectories(out_dir));

  nn::Sequential mlp("mnist");
  Tensor train_x;
  ASSIGN_OR_RETURN(nn::Sequential * trained, TrainMnistMlp(mnist_dir, mlp, train_x));
  ASSIGN_OR_RETURN(std::string mlp_float, lite::ConvertSequential(*trained));
  RETURN_IF_ERROR(Write(out_dir, "mnist_mlp_float", mlp_float));
  ASSIGN_OR_RETURN(std::string mlp_onnx, edgepipe::onnx::ExportModelToOnnx(*trained));
  RETURN_IF_ERROR(Write(out_dir, "mnist_mlp_float", mlp_onnx, ".onnx"));
  ASSIGN_OR_RETURN(auto digits, lite::RepresentativeDatasetFromTensor(train_x, 200));
  ASSIGN_OR_RETURN(std::string mlp_int8, lite::ConvertSequential(*trained, Int8Options(digits)));
  RETURN_IF_ERROR(Write(out_dir, "mnist_mlp_int8", mlp_int8));

  struct Graph {
    const char* name;
    lite::InferenceGraph graph;
    Shape sample_shape;
  };
  const Graph graphs[] = {{"fashion_cnn", FashionCnn(11), {28, 28, 1}},
                          {"mobilenet", MobileNet(12), {28, 28, 1}}};
  for (const Graph& g : graphs) {
    ASSIGN_OR_RETURN(std::string f, lite::ConvertToTFLite(g.graph));
    RETURN_IF_ERROR(Write(out_dir, std::string(g.name) + "_float", f));
    ASSIGN_OR_RETURN(std::string o, edgepipe::onnx::ExportGraphToOnnx(g.graph));
    RETURN_IF_ERROR(Write(out_dir, std::string(g.name) + "_float", o, ".onnx"));
    // Inputs in [0, 1), like scaled pixels.
    std::mt19937 rng(99);
    Shape shape = g.sample_shape;
    shape.insert(shape.begin(), 64);
    const Tensor samples = Uniform(shape, rng, 0.0f, 1.0f);
    ASSIGN_OR_RETURN(auto dataset, lite::RepresentativeDatasetFromTensor(samples, 64));
    ASSIGN_OR_RETURN(std::string q, lite::ConvertToTFLite(g.graph, Int8Options(dataset)));
    RETURN_IF_ERROR(Write(out_dir, std::string(g.name) + "_int8", q));
  }

  // The penguin model (multi-input functional), float only.
  ASSIGN_OR_RETURN(std::unique_ptr<nn::Model> penguin, Penguin());
  ASSIGN_OR_RETURN(std::string penguin_float, lite::ConvertModel(*penguin));
  RETURN_IF_ERROR(Write(out_dir, "penguin_float", penguin_float));
  ASSIGN_OR_RETURN(std::string penguin_onnx, edgepipe::onnx::ExportModelToOnnx(*penguin));
  RETURN_IF_ERROR(Write(out_dir, "penguin_float", penguin_onnx, ".onnx"));
  return Status::OK();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s OUT_DIR [MNIST_DIR]\n", argv[0]);
    return 2;
  }
  const std::string mnist = argc > 2 ? argv[2] : std::string(EDGEPIPE_SOURCE_DIR) + "/data/mnist";
  const Status s = Run(argv[1], mnist);
  if (!s.ok()) {
    std::fprintf(stderr, "make_bench_models: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
