// Issue 11: throughput of the Evaluator with TFMA's full metric set and plots
// on the MNIST tf_lite model, over the eval split of 10,000 real MNIST digits.
//
//   build/bench/eval_bench [MNIST_DIR] [--repeat N]
//
// MNIST_DIR (default data/mnist, made by scripts/prepare_data.sh) holds the
// IDX files of the 10,000 digits. The bench trains the TFX MNIST model
// (784 -> Dense 64 relu -> Dropout -> Dense 64 relu -> Dropout -> Dense 10
// logits, as src/examples/mnist) on the first 8,000 digits for one epoch,
// converts it to a .tflite with our converter, writes all 10,000 digits as a
// gzip TFRecord of tf.Examples (image_floats, image_class) like the MNIST
// pipeline's transformed eval split, and then measures, in one run:
//   interpreter only   LoadEvalModel(tf_lite) -> PredictInputs over the decoded
//                      digits in batches of 256 (no decoding, no metrics);
//   A  one slice       eval::Evaluate end to end (read, gunzip, parse,
//                      infer, metrics + plots), overall slice only;
//   B  ten slices + CI eval::Evaluate with slicing on image_class (10 slices,
//                      plus the overall one) and compute_confidence_intervals
//                      (Poisson bootstrap, 20 replicas);
//   C  with the source eval::Evaluate of the .tflite and the full model it
//                      was converted from in one pass (the lite Evaluator's
//                      fidelity gate: + PredictionAgreement and
//                      MaxAbsOutputDifference), one slice;
//   metrics only       Evaluator::AddBatch on precomputed predictions, for A
//                      and B, on the model's logits and on their softmax.
// It prints examples/s for each and the load average. One thread each.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "src/core/files.h"
#include "src/core/status.h"
#include "src/core/tensor.h"
#include "src/eval/config.h"
#include "src/eval/evaluator.h"
#include "src/eval/model_loader.h"
#include "src/io/example.pb.h"
#include "src/io/idx.h"
#include "src/io/tfrecord.h"
#include "src/lite/converter.h"
#include "src/nn/model.h"
#include "src/nn/saving.h"

namespace {

using edgepipe::DType;
using edgepipe::Status;
using edgepipe::StatusOr;
using edgepipe::Tensor;
namespace eval = edgepipe::eval;
namespace tfma = ::tensorflow_model_analysis;

constexpr int64_t kTrain = 8000;
constexpr int64_t kBatch = 256;

const char kMetrics[] = R"pb(
  metrics_specs {
    metrics { class_name: "ExampleCount" }
    metrics { class_name: "WeightedExampleCount" }
    metrics { class_name: "SparseCategoricalAccuracy" }
    metrics { class_name: "CategoricalAccuracy" }
    metrics { class_name: "SparseTopKCategoricalAccuracy" config: '"k": 3' }
    metrics { class_name: "SparseCategoricalCrossentropy" config: '"from_logits": true' }
    metrics { class_name: "BinaryAccuracy" }
    metrics { class_name: "AUC" }
    metrics { class_name: "AUCPrecisionRecall" }
    metrics { class_name: "Precision" }
    metrics { class_name: "Recall" }
    metrics { class_name: "F1Score" }
    metrics { class_name: "Specificity" }
    metrics { class_name: "TruePositives" }
    metrics { class_name: "TrueNegatives" }
    metrics { class_name: "FalsePositives" }
    metrics { class_name: "FalseNegatives" }
    metrics { class_name: "MeanLabel" }
    metrics { class_name: "MeanPrediction" }
    metrics { class_name: "Calibration" }
    metrics { class_name: "MeanSquaredError" }
    metrics { class_name: "MeanAbsoluteError" }
    metrics { class_name: "MultiClassConfusionMatrixPlot" }
    metrics { class_name: "ConfusionMatrixPlot" }
    metrics { class_name: "CalibrationPlot" }
  }
)pb";

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

std::string LoadAverage() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a + " " + b + " " + c;
}

// C: the .tflite (candidate) beside the full model it was converted from.
StatusOr<tfma::EvalConfig> FidelityConfig() {
  std::string text = std::string(R"pb(
                       model_specs { name: "lite" label_key: "image_class" model_type: "tf_lite" }
                       model_specs { name: "full" label_key: "image_class" model_type: "tf_keras" }
                       slicing_specs {}
                       metrics_specs {
                         metrics { class_name: "PredictionAgreement" }
                         metrics { class_name: "MaxAbsOutputDifference" }
                       }
                     )pb") +
                     kMetrics;
  return eval::ParseEvalConfigText(text, "eval_bench");
}

StatusOr<tfma::EvalConfig> Config(bool ten_slices_and_ci) {
  std::string text = std::string(R"pb(
                       model_specs { label_key: "image_class" model_type: "tf_lite" }
                       slicing_specs {}
                     )pb") +
                     kMetrics;
  if (ten_slices_and_ci) {
    text += R"pb(
      slicing_specs { feature_keys: "image_class" }
      options { compute_confidence_intervals { value: true } }
    )pb";
  }
  return eval::ParseEvalConfigText(text, "eval_bench");
}

Status Run(const std::string& mnist_dir, int repeat) {
  ASSIGN_OR_RETURN(Tensor images, edgepipe::io::ReadIdx(mnist_dir + "/images-idx3-ubyte.gz"));
  ASSIGN_OR_RETURN(Tensor labels, edgepipe::io::ReadIdx(mnist_dir + "/labels-idx1-ubyte.gz"));
  const int64_t n = images.dim(0);
  if (images.dtype() != DType::kUInt8 || n < kTrain || images.num_elements() / n != 784) {
    return Status::InvalidArgument(mnist_dir + ": expected >= 8,000 MNIST digits of 28x28");
  }
  Tensor x(DType::kFloat32, {n, 784});
  for (int64_t i = 0; i < n * 784; ++i) x.data<float>()[i] = images.data<uint8_t>()[i] / 255.0f;

  // The TFX MNIST model (logits), trained briefly so the metrics mean something.
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
  Tensor train_x(DType::kFloat32, {kTrain, 784});
  std::copy_n(x.data<float>(), kTrain * 784, train_x.data<float>());
  Tensor train_y(DType::kInt32, {kTrain});
  for (int64_t i = 0; i < kTrain; ++i) train_y.data<int32_t>()[i] = labels.data<uint8_t>()[i];
  edgepipe::nn::FitOptions fit;
  fit.batch_size = 40;
  fit.epochs = 1;
  fit.seed = 7;
  fit.verbose = 0;
  ASSIGN_OR_RETURN(auto history, model.Fit(train_x, train_y, fit));
  (void)history;

  // <tmp>/model/Format-Serving/tflite and <tmp>/Split-eval/data_tfrecord-...gz
  const std::string dir = "/tmp/edgepipe_eval_bench";
  RETURN_IF_ERROR(edgepipe::CreateDirectories(dir + "/model/Format-Serving"));
  RETURN_IF_ERROR(edgepipe::CreateDirectories(dir + "/Split-eval"));
  ASSIGN_OR_RETURN(std::string tflite, edgepipe::lite::ConvertSequential(model));
  RETURN_IF_ERROR(edgepipe::WriteFileAtomic(dir + "/model/Format-Serving/tflite", tflite));
  RETURN_IF_ERROR(edgepipe::nn::SaveModel(model, dir + "/model/Format-TFMA"));
  const std::string eval_file = dir + "/Split-eval/data_tfrecord-00000-of-00001.gz";
  {
    ASSIGN_OR_RETURN(auto writer, edgepipe::io::TFRecordWriter::Open(
                                      eval_file, edgepipe::io::Compression::kGzip));
    tensorflow::Example ex;
    std::string bytes;
    for (int64_t i = 0; i < n; ++i) {
      ex.Clear();
      auto& f = *ex.mutable_features()->mutable_feature();
      auto* img = f["image_floats"].mutable_float_list();
      img->mutable_value()->Add(x.data<float>() + i * 784, x.data<float>() + (i + 1) * 784);
      f["image_class"].mutable_int64_list()->add_value(labels.data<uint8_t>()[i]);
      ex.SerializeToString(&bytes);
      RETURN_IF_ERROR(writer->Write(bytes));
    }
    RETURN_IF_ERROR(writer->Close());
  }
  std::printf("eval split: %lld real MNIST digits, %s (%zu-byte .tflite)\n",
              static_cast<long long>(n), eval_file.c_str(), tflite.size());

  ASSIGN_OR_RETURN(tfma::EvalConfig one, Config(false));
  ASSIGN_OR_RETURN(tfma::EvalConfig ten, Config(true));
  ASSIGN_OR_RETURN(tfma::EvalConfig two_models, FidelityConfig());
  ASSIGN_OR_RETURN(std::unique_ptr<eval::EvalModel> full,
                   eval::LoadEvalModel(dir + "/model", two_models.model_specs(1)));
  ASSIGN_OR_RETURN(std::unique_ptr<eval::EvalModel> lite,
                   eval::LoadEvalModel(dir + "/model", one.model_specs(0)));

  // Interpreter only, and the predictions for the metrics-only runs.
  Tensor logits(DType::kFloat32, {n, 10});
  double best_infer = 1e30;
  for (int r = 0; r < repeat; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int64_t s = 0; s < n; s += kBatch) {
      const int64_t b = std::min(kBatch, n - s);
      Tensor in(DType::kFloat32, {b, 784});
      std::copy_n(x.data<float>() + s * 784, b * 784, in.data<float>());
      ASSIGN_OR_RETURN(Tensor out, lite->PredictInputs({in}));
      std::copy_n(out.data<float>(), b * 10, logits.data<float>() + s * 10);
    }
    best_infer = std::min(best_infer, Seconds(t0));
  }
  Tensor probs(DType::kFloat32, {n, 10});
  for (int64_t i = 0; i < n; ++i) {
    const float* z = logits.data<float>() + i * 10;
    float* p = probs.data<float>() + i * 10;
    const float m = *std::max_element(z, z + 10);
    float s = 0;
    for (int j = 0; j < 10; ++j) s += (p[j] = std::exp(z[j] - m));
    for (int j = 0; j < 10; ++j) p[j] /= s;
  }
  std::vector<float> y(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) y[i] = labels.data<uint8_t>()[i];

  auto end_to_end = [&](const tfma::EvalConfig& config,
                        eval::EvalResult* last) -> StatusOr<double> {
    double best = 1e30;
    for (int r = 0; r < repeat; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      ASSIGN_OR_RETURN(*last, eval::Evaluate(config, {eval_file}, *lite));
      best = std::min(best, Seconds(t0));
    }
    return static_cast<double>(n) / best;
  };
  auto metrics_only = [&](const tfma::EvalConfig& config, const Tensor& pred) -> StatusOr<double> {
    double best = 1e30;
    for (int r = 0; r < repeat; ++r) {
      ASSIGN_OR_RETURN(auto ev, eval::Evaluator::Create(config));
      const bool sliced = config.slicing_specs_size() > 1;
      const auto t0 = std::chrono::steady_clock::now();
      for (int64_t s = 0; s < n; s += kBatch) {
        const int64_t b = std::min(kBatch, n - s);
        Tensor batch(DType::kFloat32, {b, 10});
        std::copy_n(pred.data<float>() + s * 10, b * 10, batch.data<float>());
        eval::SliceAssignment slices;
        if (sliced) {
          slices.offsets.push_back(0);
          for (int64_t i = 0; i < b; ++i) {
            tfma::SliceKey key;
            auto* k = key.add_single_slice_keys();
            k->set_column("image_class");
            k->set_int64_value(static_cast<int64_t>(y[static_cast<size_t>(s + i)]));
            slices.keys.push_back(key.SerializeAsString());
            slices.offsets.push_back(static_cast<int32_t>(slices.keys.size()));
          }
        }
        RETURN_IF_ERROR(ev->AddBatch(batch, y.data() + s, nullptr, slices));
      }
      const auto extracted = ev->Extract();
      best = std::min(best, Seconds(t0));
    }
    return static_cast<double>(n) / best;
  };

  eval::EvalResult a_result, b_result;
  ASSIGN_OR_RETURN(double a, end_to_end(one, &a_result));
  ASSIGN_OR_RETURN(double b, end_to_end(ten, &b_result));
  eval::EvalResult c_result;
  double best_c = 1e30;
  for (int r = 0; r < repeat; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    ASSIGN_OR_RETURN(c_result,
                     eval::Evaluate(two_models, {eval_file},
                                    {{"lite", lite.get(), ""}, {"full", full.get(), ""}}));
    best_c = std::min(best_c, Seconds(t0));
  }
  const double c = static_cast<double>(n) / best_c;
  double agreement = -1;
  for (const auto& kv : c_result.metrics[0].metric_keys_and_values()) {
    if (kv.key().name() == "prediction_agreement") agreement = kv.value().double_value().value();
  }
  ASSIGN_OR_RETURN(double ma, metrics_only(one, logits));
  ASSIGN_OR_RETURN(double mb, metrics_only(ten, logits));
  ASSIGN_OR_RETURN(double sa, metrics_only(one, probs));
  ASSIGN_OR_RETURN(double sb, metrics_only(ten, probs));

  size_t metric_values = 0, plots = 0;
  for (const auto& m : a_result.metrics) metric_values += m.metric_keys_and_values_size();
  for (const auto& p : a_result.plots) plots += p.plot_keys_and_values_size();
  double accuracy = 0;
  for (const auto& kv : a_result.metrics[0].metric_keys_and_values()) {
    if (kv.key().name() == "sparse_categorical_accuracy")
      accuracy = kv.value().double_value().value();
  }
  std::printf("metric set: %zu metric values + %zu plots per slice; overall accuracy %.4f\n",
              metric_values, plots, accuracy);
  std::printf("B: %zu slices, %zu PlotsForSlice\n", b_result.metrics.size(), b_result.plots.size());
  std::printf("best of %d runs, 1 thread each, examples/s:\n", repeat);
  std::printf("  interpreter only (tf_lite, batch %lld)      %10.0f\n",
              static_cast<long long>(kBatch), static_cast<double>(n) / best_infer);
  std::printf("  A  Evaluate, 1 slice, metrics + plots        %10.0f   (target >= 100000)\n", a);
  std::printf("  B  Evaluate, 10+1 slices + CI (20 replicas)  %10.0f   (target >= 20000)\n", b);
  std::printf(
      "  C  Evaluate, .tflite + its source, 1 slice    %10.0f   (agreement %.4f, %lld "
      "disagreements)\n",
      c, agreement, static_cast<long long>(c_result.num_disagreements));
  std::printf("  metrics only A, logits / softmax             %10.0f / %.0f\n", ma, sa);
  std::printf("  metrics only B, logits / softmax             %10.0f / %.0f\n", mb, sb);
  std::printf("load average: %s\n", LoadAverage().c_str());
  return Status::OK();
}

}  // namespace

int main(int argc, char** argv) {
  std::string mnist = std::string(EDGEPIPE_SOURCE_DIR) + "/data/mnist";
  int repeat = 3;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
      repeat = std::max(1, std::atoi(argv[++i]));
    } else {
      mnist = argv[i];
    }
  }
  const Status s = Run(mnist, repeat);
  if (!s.ok()) {
    std::fprintf(stderr, "eval_bench: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
