// The project's MNIST model, converted by our TFLite rewriter, must give the
// same outputs in our interpreter as in LiteRT.js, tfjs-tflite and Arm NN.
//
// The TFX MNIST MLP (784 -> 64 relu -> dropout -> 64 relu -> dropout -> 10)
// is trained briefly, on the real digits in data/mnist if prepare_data.sh has
// made them, else on deterministic synthetic digits; then saved, rewritten to
// .tflite and run on 100 inputs everywhere. Agreement: |ours - theirs| <=
// 1e-5 * |theirs| + 1e-6 for every logit.
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
#include "src/lite/interpreter.h"
#include "src/lite/rewriter.h"
#include "src/nn/model.h"
#include "src/nn/saving.h"
#include "tests/support/tflite_runtimes.h"

namespace edgepipe::testing {
namespace {

constexpr int64_t kTrainExamples = 1000;
constexpr int64_t kCompareExamples = 100;
constexpr double kRelTolerance = 1e-5;
constexpr double kAbsTolerance = 1e-6;

struct Digits {
  Tensor x;  // float32 [N, 784] in [0, 1]
  Tensor y;  // int32 [N]
};

// The first `n` real digits, or nothing if data/mnist is absent.
StatusOr<Digits> RealDigits(int64_t n) {
  const std::string dir = std::string(EDGEPIPE_SOURCE_DIR) + "/data/mnist";
  ASSIGN_OR_RETURN(Tensor images, io::ReadIdx(dir + "/images-idx3-ubyte.gz"));
  ASSIGN_OR_RETURN(Tensor labels, io::ReadIdx(dir + "/labels-idx1-ubyte.gz"));
  if (images.dtype() != DType::kUInt8 || images.rank() != 3 || images.dim(0) < n ||
      images.dim(1) * images.dim(2) != 784 || labels.dtype() != DType::kUInt8 ||
      labels.dim(0) < n) {
    return Status::Corruption(dir + ": unexpected MNIST IDX shapes");
  }
  Digits d{Tensor(DType::kFloat32, {n, 784}), Tensor(DType::kInt32, {n})};
  for (int64_t i = 0; i < n * 784; ++i) d.x.data<float>()[i] = images.data<uint8_t>()[i] / 255.0f;
  for (int64_t i = 0; i < n; ++i) d.y.data<int32_t>()[i] = labels.data<uint8_t>()[i];
  return d;
}

// Deterministic stand-in: uniform pixels, label = argmax of a fixed random
// projection, so the model has something learnable.
Digits SyntheticDigits(int64_t n) {
  uint64_t state = 0x9E3779B97F4A7C15ull;
  auto next = [&state]() {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<float>((state >> 40) & 0xFFFFFF) / 16777216.0f;
  };
  std::vector<float> projection(784 * 10);
  for (float& p : projection) p = next() - 0.5f;
  Digits d{Tensor(DType::kFloat32, {n, 784}), Tensor(DType::kInt32, {n})};
  for (int64_t i = 0; i < n; ++i) {
    float* row = d.x.data<float>() + i * 784;
    for (int j = 0; j < 784; ++j) row[j] = next();
    int best = 0;
    float best_score = -1e30f;
    for (int c = 0; c < 10; ++c) {
      float s = 0;
      for (int j = 0; j < 784; ++j) s += row[j] * projection[static_cast<size_t>(j * 10 + c)];
      if (s > best_score) best_score = s, best = c;
    }
    d.y.data<int32_t>()[i] = best;
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

class MnistTfliteInteropTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "edgepipe-mnist-interop-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = new std::string(pattern);

    StatusOr<Digits> real = RealDigits(kTrainExamples + kCompareExamples);
    real_data_ = real.ok();
    Digits all =
        real.ok() ? std::move(real).value() : SyntheticDigits(kTrainExamples + kCompareExamples);

    nn::Sequential model("mnist");
    ASSERT_TRUE(model.Add(std::make_unique<nn::Dense>(64, nn::Activation::kRelu)).ok());
    ASSERT_TRUE(model.Add(std::make_unique<nn::Dropout>(0.2f)).ok());
    ASSERT_TRUE(model.Add(std::make_unique<nn::Dense>(64, nn::Activation::kRelu)).ok());
    ASSERT_TRUE(model.Add(std::make_unique<nn::Dropout>(0.2f)).ok());
    ASSERT_TRUE(model.Add(std::make_unique<nn::Dense>(10)).ok());
    ASSERT_TRUE(model.Build(784, /*seed=*/42).ok());
    model.set_input_name("image_floats");
    nn::CompileOptions compile;
    compile.optimizer = nn::RMSprop({.learning_rate = 0.0015f});
    ASSERT_TRUE(model.Compile(std::move(compile)).ok());
    nn::FitOptions fit;
    fit.batch_size = 40;
    fit.steps = 200;
    fit.seed = 7;
    fit.verbose = 0;
    auto history = model.Fit(Rows(all.x, 0, kTrainExamples), Rows(all.y, 0, kTrainExamples), fit);
    ASSERT_TRUE(history.ok()) << history.status().ToString();

    const std::string serving = JoinPath(*dir_, "serving_model");
    const std::string tflite_dir = JoinPath(*dir_, "tflite_model");
    Status saved = nn::SaveModel(model, serving);
    ASSERT_TRUE(saved.ok()) << saved.ToString();
    lite::TFLiteRewriterOptions rewriter_options;
    rewriter_options.name = "tflite_rewriter";
    auto rewriter = lite::rewriter_factory::CreateRewriter(lite::RewriterType::kTFLiteRewriter,
                                                           std::move(rewriter_options));
    ASSERT_TRUE(rewriter.ok()) << rewriter.status().ToString();
    Status rewritten = lite::converters::RewriteSavedModel(serving, tflite_dir, *rewriter.value(),
                                                           lite::ModelType::kTFLiteModel);
    ASSERT_TRUE(rewritten.ok()) << rewritten.ToString();
    model_path_ = new std::string(JoinPath(tflite_dir, "tflite"));
    inputs_ = new Tensor(Rows(all.x, kTrainExamples, kCompareExamples));

    auto interpreter = lite::Interpreter::FromFile(*model_path_);
    ASSERT_TRUE(interpreter.ok()) << interpreter.status().ToString();
    auto ours = interpreter.value()->Run(*inputs_);
    ASSERT_TRUE(ours.ok()) << ours.status().ToString();
    ours_ = new Tensor(std::move(ours).value());
  }

  static void TearDownTestSuite() {
    if (dir_ != nullptr) (void)RemoveAll(*dir_);
    delete dir_;
    delete model_path_;
    delete inputs_;
    delete ours_;
    dir_ = model_path_ = nullptr;
    inputs_ = ours_ = nullptr;
  }

  void ExpectAgreement(TfliteRuntime runtime) {
    ASSERT_NE(ours_, nullptr) << "suite setup failed";
    ASSERT_EQ(ours_->dtype(), DType::kFloat32);
    ASSERT_EQ(ours_->shape(), (Shape{kCompareExamples, 10}));
    auto theirs = RunInTfliteRuntime(runtime, *model_path_, {*inputs_});
    ASSERT_TRUE(theirs.ok()) << theirs.status().ToString();
    ASSERT_EQ(theirs.value().size(), 1u);
    const RuntimeOutput& out = theirs.value()[0];
    EXPECT_EQ(out.dtype, "float32");
    ASSERT_EQ(out.shape, (std::vector<int64_t>{kCompareExamples, 10}));
    double max_abs = 0, max_rel = 0;
    int failures = 0;
    for (int64_t i = 0; i < kCompareExamples * 10; ++i) {
      const double a = ours_->data<float>()[i];
      const double b = out.values[static_cast<size_t>(i)];
      const double diff = std::abs(a - b);
      max_abs = std::max(max_abs, diff);
      if (b != 0) max_rel = std::max(max_rel, diff / std::abs(b));
      if (diff > kRelTolerance * std::abs(b) + kAbsTolerance && ++failures <= 10) {
        ADD_FAILURE() << TfliteRuntimeName(runtime) << ": example " << i / 10 << " logit " << i % 10
                      << ": ours " << a << ", theirs " << b;
      }
    }
    EXPECT_EQ(failures, 0);
    RecordProperty("max_abs_diff", std::to_string(max_abs));
    RecordProperty("max_rel_diff", std::to_string(max_rel));
    std::printf("%s vs ours (%s data): max |diff| %.3g, max rel %.3g over %lld logits\n",
                TfliteRuntimeName(runtime), real_data_ ? "real" : "synthetic", max_abs, max_rel,
                static_cast<long long>(kCompareExamples * 10));
  }

  static std::string* dir_;
  static std::string* model_path_;
  static Tensor* inputs_;
  static Tensor* ours_;
  static bool real_data_;
};

std::string* MnistTfliteInteropTest::dir_ = nullptr;
std::string* MnistTfliteInteropTest::model_path_ = nullptr;
Tensor* MnistTfliteInteropTest::inputs_ = nullptr;
Tensor* MnistTfliteInteropTest::ours_ = nullptr;
bool MnistTfliteInteropTest::real_data_ = false;

TEST_F(MnistTfliteInteropTest, LiteRtJsAgrees) { ExpectAgreement(TfliteRuntime::kLiteRtJs); }
TEST_F(MnistTfliteInteropTest, TfjsTfliteAgrees) { ExpectAgreement(TfliteRuntime::kTfjsTflite); }
TEST_F(MnistTfliteInteropTest, ArmNNAgrees) { ExpectAgreement(TfliteRuntime::kArmNN); }

}  // namespace
}  // namespace edgepipe::testing
