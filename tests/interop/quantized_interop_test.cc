// Quantized MNIST MLPs written by our converter agree with real TFLite
// runtimes: the TFX MNIST MLP (784 -> 64 relu -> 64 relu -> 10), trained
// briefly on data/mnist (synthetic digits if absent), converted in dynamic-
// range, float16 and full-integer mode and run in tfjs-tflite, Arm NN (int8)
// and our interpreter. Rules: float outputs |a - b| <= 1e-5 |b| + 1e-5;
// int8 outputs differ by at most 1.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "src/core/files.h"
#include "src/io/idx.h"
#include "src/lite/calibration.h"
#include "src/lite/converter.h"
#include "src/lite/interpreter.h"
#include "src/lite/schema/schema_generated.h"
#include "src/nn/model.h"
#include "tests/support/tflite_runtimes.h"

namespace edgepipe::testing {
namespace {

constexpr int64_t kTrain = 2000;
constexpr int64_t kCompare = 100;

struct Digits {
  Tensor x;  // float32 [N, 784]
  Tensor y;  // int32 [N]
};

Digits LoadDigits(int64_t n, bool* real) {
  const std::string dir = std::string(EDGEPIPE_SOURCE_DIR) + "/data/mnist";
  auto images = io::ReadIdx(dir + "/images-idx3-ubyte.gz");
  auto labels = io::ReadIdx(dir + "/labels-idx1-ubyte.gz");
  Digits d{Tensor(DType::kFloat32, {n, 784}), Tensor(DType::kInt32, {n})};
  *real = images.ok() && labels.ok() && images->dtype() == DType::kUInt8 && images->dim(0) >= n &&
          images->num_elements() / images->dim(0) == 784 && labels->dim(0) >= n;
  uint64_t state = 42;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < 784; ++j) {
      float v;
      if (*real) {
        v = images->data<uint8_t>()[i * 784 + j] / 255.0f;
      } else {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        v = static_cast<float>((state >> 40) & 0xFF) / 255.0f;
      }
      d.x.data<float>()[i * 784 + j] = v;
    }
    d.y.data<int32_t>()[i] = *real ? labels->data<uint8_t>()[i] : static_cast<int32_t>(i % 10);
  }
  return d;
}

Tensor Rows(const Tensor& t, int64_t begin, int64_t count) {
  Shape shape = t.shape();
  const size_t row_bytes = t.num_bytes() / static_cast<size_t>(shape[0]);
  shape[0] = count;
  Tensor out(t.dtype(), shape);
  std::memcpy(out.raw_data(), static_cast<const uint8_t*>(t.raw_data()) + begin * row_bytes,
              count * row_bytes);
  return out;
}

struct IoParams {
  float in_scale = 0, out_scale = 0;
  int64_t in_zp = 0, out_zp = 0;
};

IoParams ReadIoParams(const std::string& bytes) {
  const auto* m = lite::schema::GetModel(bytes.data());
  const auto* sg = m->subgraphs()->Get(0);
  const auto* in = sg->tensors()->Get(static_cast<uint32_t>(sg->inputs()->Get(0)));
  const auto* out = sg->tensors()->Get(static_cast<uint32_t>(sg->outputs()->Get(0)));
  return {in->quantization()->scale()->Get(0), out->quantization()->scale()->Get(0),
          in->quantization()->zero_point()->Get(0), out->quantization()->zero_point()->Get(0)};
}

class QuantizedInteropTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "edgepipe-quant-interop-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = new std::string(pattern);
    Digits all = LoadDigits(kTrain + kCompare, &real_);
    model_ = new nn::Sequential("mnist");
    ASSERT_TRUE(model_->Add(std::make_unique<nn::Dense>(64, nn::Activation::kRelu)).ok());
    ASSERT_TRUE(model_->Add(std::make_unique<nn::Dropout>(0.2f)).ok());
    ASSERT_TRUE(model_->Add(std::make_unique<nn::Dense>(64, nn::Activation::kRelu)).ok());
    ASSERT_TRUE(model_->Add(std::make_unique<nn::Dropout>(0.2f)).ok());
    ASSERT_TRUE(model_->Add(std::make_unique<nn::Dense>(10)).ok());
    ASSERT_TRUE(model_->Build(784, 42).ok());
    model_->set_input_name("image_floats");
    nn::CompileOptions compile;
    compile.optimizer = nn::RMSprop({.learning_rate = 0.0015f});
    ASSERT_TRUE(model_->Compile(std::move(compile)).ok());
    nn::FitOptions fit;
    fit.batch_size = 40;
    fit.steps = 300;
    fit.seed = 7;
    fit.verbose = 0;
    ASSERT_TRUE(model_->Fit(Rows(all.x, 0, kTrain), Rows(all.y, 0, kTrain), fit).ok());
    train_x_ = new Tensor(Rows(all.x, 0, kTrain));
    inputs_ = new Tensor(Rows(all.x, kTrain, kCompare));
  }
  static void TearDownTestSuite() {
    if (dir_ != nullptr) (void)RemoveAll(*dir_);
    delete dir_;
    delete model_;
    delete train_x_;
    delete inputs_;
  }

  // Converts in `options` mode and writes the file; returns its path.
  static std::string Write(const std::string& name, lite::ConverterOptions options,
                           std::string* bytes_out = nullptr) {
    auto bytes = lite::ConvertSequential(*model_, options);
    EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
    if (!bytes.ok()) return "";
    const std::string path = JoinPath(*dir_, name + ".tflite");
    EXPECT_TRUE(WriteFileAtomic(path, *bytes).ok());
    if (bytes_out != nullptr) *bytes_out = *bytes;
    return path;
  }

  static lite::ConverterOptions FullInteger(DType io) {
    lite::ConverterOptions o;
    o.quantization = lite::QuantizationMode::kFullInteger;
    o.representative_dataset = *lite::RepresentativeDatasetFromTensor(*train_x_, 200);
    o.inference_input_type = io;
    o.inference_output_type = io;
    return o;
  }

  // Our interpreter's output, or nullopt (with the reason printed) if it
  // cannot load the model yet.
  static std::optional<Tensor> Ours(const std::string& path, const Tensor& input) {
    auto interp = lite::Interpreter::FromFile(path);
    if (!interp.ok()) {
      std::printf("our interpreter cannot load %s yet: %s\n", path.c_str(),
                  interp.status().ToString().c_str());
      return std::nullopt;
    }
    auto out = (*interp)->Run(input);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    if (!out.ok()) return std::nullopt;
    return std::move(out).value();
  }

  static void ExpectFloatClose(const std::vector<float>& a, const std::vector<float>& b,
                               const char* what) {
    ASSERT_EQ(a.size(), b.size()) << what;
    int failures = 0;
    double max_diff = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      const double diff = std::abs(static_cast<double>(a[i]) - b[i]);
      max_diff = std::max(max_diff, diff);
      if (diff > 1e-5 * std::abs(b[i]) + 1e-5 && ++failures <= 5) {
        ADD_FAILURE() << what << ": value " << i << ": " << a[i] << " vs " << b[i];
      }
    }
    std::printf("%s: max |diff| %.3g over %zu values\n", what, max_diff, a.size());
  }

  static void ExpectWithinOne(const std::vector<float>& a, const std::vector<float>& b,
                              const char* what) {
    ASSERT_EQ(a.size(), b.size()) << what;
    int failures = 0, differ = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      if (a[i] != b[i]) ++differ;
      if (std::abs(a[i] - b[i]) > 1.0f && ++failures <= 5) {
        ADD_FAILURE() << what << ": value " << i << ": " << a[i] << " vs " << b[i];
      }
    }
    std::printf("%s: %d of %zu int8 values differ (by 1)\n", what, differ, a.size());
  }

  static std::vector<float> Values(const Tensor& t) {
    std::vector<float> v(static_cast<size_t>(t.num_elements()));
    for (int64_t i = 0; i < t.num_elements(); ++i) {
      v[static_cast<size_t>(i)] =
          t.dtype() == DType::kInt8 ? static_cast<float>(t.data<int8_t>()[i]) : t.data<float>()[i];
    }
    return v;
  }

  static std::string* dir_;
  static nn::Sequential* model_;
  static Tensor* train_x_;
  static Tensor* inputs_;
  static bool real_;
};

std::string* QuantizedInteropTest::dir_ = nullptr;
nn::Sequential* QuantizedInteropTest::model_ = nullptr;
Tensor* QuantizedInteropTest::train_x_ = nullptr;
Tensor* QuantizedInteropTest::inputs_ = nullptr;
bool QuantizedInteropTest::real_ = false;

TEST_F(QuantizedInteropTest, Float16AgreesWithTfjsTflite) {
  lite::ConverterOptions o;
  o.quantization = lite::QuantizationMode::kFloat16;
  const std::string path = Write("float16", o);
  auto theirs = RunInTfjsTflite(path, {*inputs_});
  ASSERT_TRUE(theirs.ok()) << theirs.status().ToString();
  // float16 weights: close to the float model's logits.
  auto logits = model_->Predict(*inputs_);
  ASSERT_TRUE(logits.ok());
  int argmax_same = 0;
  for (int64_t r = 0; r < kCompare; ++r) {
    const float* a = logits->data<float>() + r * 10;
    const float* b = (*theirs)[0].values.data() + r * 10;
    argmax_same += std::max_element(a, a + 10) - a == std::max_element(b, b + 10) - b;
  }
  EXPECT_GE(argmax_same, kCompare * 98 / 100);
  if (auto ours = Ours(path, *inputs_)) {
    ExpectFloatClose(Values(*ours), (*theirs)[0].values, "float16: ours vs tfjs-tflite");
  }
}

TEST_F(QuantizedInteropTest, DynamicRangeAgreesWithTfjsTflite) {
  lite::ConverterOptions o;
  o.quantization = lite::QuantizationMode::kDynamicRange;
  const std::string path = Write("dynamic", o);
  auto theirs = RunInTfjsTflite(path, {*inputs_});
  ASSERT_TRUE(theirs.ok()) << theirs.status().ToString();
  auto logits = model_->Predict(*inputs_);
  ASSERT_TRUE(logits.ok());
  int argmax_same = 0;
  for (int64_t r = 0; r < kCompare; ++r) {
    const float* a = logits->data<float>() + r * 10;
    const float* b = (*theirs)[0].values.data() + r * 10;
    argmax_same += std::max_element(a, a + 10) - a == std::max_element(b, b + 10) - b;
  }
  EXPECT_GE(argmax_same, kCompare * 95 / 100);
  if (auto ours = Ours(path, *inputs_)) {
    ExpectFloatClose(Values(*ours), (*theirs)[0].values, "dynamic: ours vs tfjs-tflite");
  }
}

TEST_F(QuantizedInteropTest, FullIntegerInt8IoAgreesWithTfjsTfliteAndArmNN) {
  std::string bytes;
  const std::string path = Write("int8", FullInteger(DType::kInt8), &bytes);
  ASSERT_FALSE(bytes.empty());
  const IoParams io = ReadIoParams(bytes);
  Tensor q(DType::kInt8, inputs_->shape());
  for (int64_t i = 0; i < q.num_elements(); ++i) {
    const double v = std::round(inputs_->data<float>()[i] / io.in_scale) + io.in_zp;
    q.data<int8_t>()[i] = static_cast<int8_t>(std::clamp(v, -128.0, 127.0));
  }
  auto tfjs = RunInTfjsTflite(path, {q});
  ASSERT_TRUE(tfjs.ok()) << tfjs.status().ToString();
  EXPECT_EQ((*tfjs)[0].dtype, "int8");
  auto armnn = RunInArmNN(path, {q});
  if (armnn.ok()) {
    ExpectWithinOne((*armnn)[0].values, (*tfjs)[0].values, "int8: Arm NN vs tfjs-tflite");
  } else {
    ADD_FAILURE() << "Arm NN: " << armnn.status().ToString();
  }
  if (auto ours = Ours(path, q)) {
    ExpectWithinOne(Values(*ours), (*tfjs)[0].values, "int8: ours vs tfjs-tflite");
  }
  // Dequantized int8 logits pick the float model's class.
  auto logits = model_->Predict(*inputs_);
  ASSERT_TRUE(logits.ok());
  int argmax_same = 0;
  for (int64_t r = 0; r < kCompare; ++r) {
    const float* a = logits->data<float>() + r * 10;
    const float* b = (*tfjs)[0].values.data() + r * 10;
    argmax_same += std::max_element(a, a + 10) - a == std::max_element(b, b + 10) - b;
  }
  EXPECT_GE(argmax_same, kCompare * 95 / 100);
}

TEST_F(QuantizedInteropTest, FullIntegerFloatIoAgreesWithTfjsTflite) {
  const std::string path = Write("int8_float_io", FullInteger(DType::kFloat32));
  auto tfjs = RunInTfjsTflite(path, {*inputs_});
  ASSERT_TRUE(tfjs.ok()) << tfjs.status().ToString();
  EXPECT_EQ((*tfjs)[0].dtype, "float32");
  auto litert = RunInLiteRtJs(path, {*inputs_});
  ASSERT_TRUE(litert.ok()) << litert.status().ToString();
  // Both dequantize the same int8 values: equal within one output step.
  std::string bytes;
  Write("int8_io", FullInteger(DType::kInt8), &bytes);
  const float step = ReadIoParams(bytes).out_scale;
  for (size_t i = 0; i < (*tfjs)[0].values.size(); ++i) {
    EXPECT_LE(std::abs((*tfjs)[0].values[i] - (*litert)[0].values[i]), step * 1.001f) << i;
  }
  if (auto ours = Ours(path, *inputs_)) {
    const std::vector<float> v = Values(*ours);
    for (size_t i = 0; i < v.size(); ++i) {
      EXPECT_LE(std::abs(v[i] - (*tfjs)[0].values[i]), step * 1.001f) << i;
    }
  }
}

}  // namespace
}  // namespace edgepipe::testing
