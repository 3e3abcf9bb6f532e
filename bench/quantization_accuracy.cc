// Accuracy and size cost of post-training quantization on the TFX MNIST MLP:
// trains 784 -> 64 relu -> 64 relu -> 10 on data/mnist (first 8,000 digits),
// converts it to float32, dynamic-range, float16 and full-integer int8 (float
// I/O, 500 training digits as the representative dataset), runs the other
// 2,000 digits through our interpreter and prints accuracy and file size.
//
//   build/bench/quantization_accuracy [data/mnist]
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>

#include "src/io/idx.h"
#include "src/lite/calibration.h"
#include "src/lite/converter.h"
#include "src/lite/interpreter.h"
#include "src/nn/model.h"

namespace {

using edgepipe::DType;
using edgepipe::Shape;
using edgepipe::Status;
using edgepipe::StatusOr;
using edgepipe::Tensor;

constexpr int64_t kTrain = 8000;
constexpr int64_t kTest = 2000;

Tensor Rows(const Tensor& t, int64_t begin, int64_t count) {
  Shape shape = t.shape();
  const size_t row_bytes = t.num_bytes() / static_cast<size_t>(shape[0]);
  shape[0] = count;
  Tensor out(t.dtype(), shape);
  std::memcpy(out.raw_data(), static_cast<const uint8_t*>(t.raw_data()) + begin * row_bytes,
              count * row_bytes);
  return out;
}

double Accuracy(const Tensor& logits, const Tensor& labels) {
  int64_t correct = 0;
  for (int64_t r = 0; r < labels.dim(0); ++r) {
    const float* row = logits.data<float>() + r * 10;
    correct += std::max_element(row, row + 10) - row == labels.data<int32_t>()[r];
  }
  return 100.0 * static_cast<double>(correct) / static_cast<double>(labels.dim(0));
}

Status Run(const std::string& dir) {
  ASSIGN_OR_RETURN(Tensor images, edgepipe::io::ReadIdx(dir + "/images-idx3-ubyte.gz"));
  ASSIGN_OR_RETURN(Tensor labels_u8, edgepipe::io::ReadIdx(dir + "/labels-idx1-ubyte.gz"));
  if (images.dtype() != DType::kUInt8 || images.dim(0) < kTrain + kTest ||
      images.num_elements() / images.dim(0) != 784 || labels_u8.dim(0) < kTrain + kTest) {
    return Status::InvalidArgument(dir + ": expected >= 10,000 MNIST digits of 28x28");
  }
  const int64_t n = kTrain + kTest;
  Tensor x(DType::kFloat32, {n, 784});
  Tensor y(DType::kInt32, {n});
  for (int64_t i = 0; i < n * 784; ++i) x.data<float>()[i] = images.data<uint8_t>()[i] / 255.0f;
  for (int64_t i = 0; i < n; ++i) y.data<int32_t>()[i] = labels_u8.data<uint8_t>()[i];
  const Tensor train_x = Rows(x, 0, kTrain), train_y = Rows(y, 0, kTrain);
  const Tensor test_x = Rows(x, kTrain, kTest), test_y = Rows(y, kTrain, kTest);

  edgepipe::nn::Sequential model("mnist");
  RETURN_IF_ERROR(
      model.Add(std::make_unique<edgepipe::nn::Dense>(64, edgepipe::nn::Activation::kRelu)));
  RETURN_IF_ERROR(model.Add(std::make_unique<edgepipe::nn::Dropout>(0.2f)));
  RETURN_IF_ERROR(
      model.Add(std::make_unique<edgepipe::nn::Dense>(64, edgepipe::nn::Activation::kRelu)));
  RETURN_IF_ERROR(model.Add(std::make_unique<edgepipe::nn::Dropout>(0.2f)));
  RETURN_IF_ERROR(model.Add(std::make_unique<edgepipe::nn::Dense>(10)));
  RETURN_IF_ERROR(model.Build(784, 42));
  model.set_input_name("image_floats");
  edgepipe::nn::CompileOptions compile;
  compile.optimizer = edgepipe::nn::RMSprop({.learning_rate = 0.0015f});
  RETURN_IF_ERROR(model.Compile(std::move(compile)));
  edgepipe::nn::FitOptions fit;
  fit.batch_size = 40;
  fit.epochs = 10;
  fit.seed = 7;
  fit.verbose = 0;
  ASSIGN_OR_RETURN(auto history, model.Fit(train_x, train_y, fit));
  (void)history;
  ASSIGN_OR_RETURN(Tensor nn_logits, model.Predict(test_x));
  std::printf("trained on %lld digits, testing on %lld\n", static_cast<long long>(kTrain),
              static_cast<long long>(kTest));
  std::printf("%-28s %10s %12s %8s\n", "model", "accuracy", "bytes", "ratio");
  std::printf("%-28s %9.2f%% %12s %8s\n", "nn (full precision)", Accuracy(nn_logits, test_y), "-",
              "-");

  size_t float_bytes = 0;
  double float_acc = 0;
  for (auto mode :
       {edgepipe::lite::QuantizationMode::kNone, edgepipe::lite::QuantizationMode::kDynamicRange,
        edgepipe::lite::QuantizationMode::kFloat16,
        edgepipe::lite::QuantizationMode::kFullInteger}) {
    edgepipe::lite::ConverterOptions o;
    o.quantization = mode;
    if (mode == edgepipe::lite::QuantizationMode::kFullInteger) {
      ASSIGN_OR_RETURN(o.representative_dataset,
                       edgepipe::lite::RepresentativeDatasetFromTensor(train_x, 500));
    }
    ASSIGN_OR_RETURN(std::string bytes, edgepipe::lite::ConvertSequential(model, o));
    ASSIGN_OR_RETURN(auto interp, edgepipe::lite::Interpreter::FromBuffer(
                                      bytes, edgepipe::lite::QuantizationModeName(mode)));
    ASSIGN_OR_RETURN(Tensor logits, interp->Run(test_x));
    const double acc = Accuracy(logits, test_y);
    if (mode == edgepipe::lite::QuantizationMode::kNone)
      float_bytes = bytes.size(), float_acc = acc;
    std::printf("%-28s %9.2f%% %12zu %7.2fx   (%+.2f points vs float tflite)\n",
                (std::string("tflite ") + edgepipe::lite::QuantizationModeName(mode)).c_str(), acc,
                bytes.size(), static_cast<double>(float_bytes) / static_cast<double>(bytes.size()),
                acc - float_acc);
  }
  return Status::OK();
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : std::string(EDGEPIPE_SOURCE_DIR) + "/data/mnist";
  Status s = Run(dir);
  if (!s.ok()) {
    std::fprintf(stderr, "quantization_accuracy: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
