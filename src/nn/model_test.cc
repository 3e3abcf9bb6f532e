#include "src/nn/model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "src/core/cpu.h"
#include "src/nn/conv.h"
#include "src/nn/dense.h"
#include "src/nn/dropout.h"
#include "src/nn/pooling.h"
#include "src/nn/relu.h"
#include "src/nn/reshaping.h"

namespace edgepipe::nn {
namespace {

// The TFX MNIST model, with a configurable input width.
std::unique_ptr<Sequential> MnistMlp(int64_t in_features, uint64_t seed, int64_t classes = 10) {
  auto model = std::make_unique<Sequential>("mnist");
  EXPECT_TRUE(model->Add(std::make_unique<Dense>(64, Activation::kRelu)).ok());
  EXPECT_TRUE(model->Add(std::make_unique<Dropout>(0.2f)).ok());
  EXPECT_TRUE(model->Add(std::make_unique<Dense>(64, Activation::kRelu)).ok());
  EXPECT_TRUE(model->Add(std::make_unique<Dropout>(0.2f)).ok());
  EXPECT_TRUE(model->Add(std::make_unique<Dense>(classes)).ok());
  EXPECT_TRUE(model->Build(in_features, seed).ok());
  return model;
}

// A separable synthetic problem: label = argmax of a fixed random linear map
// of the features.
struct Dataset {
  Tensor x, y;
};
Dataset MakeData(int64_t n, int64_t features, int64_t classes, uint64_t seed) {
  Rng proj_rng(1234);  // same map for every split
  std::vector<float> proj(features * classes);
  for (float& p : proj) p = proj_rng.UniformFloat() - 0.5f;
  Rng rng(seed);
  Dataset d{Tensor(DType::kFloat32, {n, features}), Tensor(DType::kInt64, {n})};
  float* x = d.x.data<float>();
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t f = 0; f < features; ++f) x[i * features + f] = rng.UniformFloat();
    int64_t best = 0;
    double best_score = -1e30;
    for (int64_t c = 0; c < classes; ++c) {
      double s = 0;
      for (int64_t f = 0; f < features; ++f) s += x[i * features + f] * proj[f * classes + c];
      if (s > best_score) best_score = s, best = c;
    }
    d.y.data<int64_t>()[i] = best;
  }
  return d;
}

TEST(SequentialTest, NamesLayersLikeKeras) {
  auto model = MnistMlp(8, 0);
  std::vector<std::string> names, classes;
  for (const auto& l : model->layers())
    names.push_back(l->name()), classes.push_back(l->class_name());
  EXPECT_EQ(names,
            (std::vector<std::string>{"dense", "dropout", "dense_1", "dropout_1", "dense_2"}));
  EXPECT_EQ(classes[1], "Dropout");
  EXPECT_EQ(model->input_shape(), (Shape{-1, 8}));
  EXPECT_EQ(model->output_shape(), (Shape{-1, 10}));
  EXPECT_EQ(model->num_params(), 8 * 64 + 64 + 64 * 64 + 64 + 64 * 10 + 10);
  auto weights = model->GetWeights();
  ASSERT_EQ(weights.size(), 6u);
  EXPECT_EQ(weights[0].first, "dense/kernel");
  EXPECT_EQ(weights[5].first, "dense_2/bias");
  EXPECT_EQ(weights[4].second.shape(), (Shape{64, 10}));
}

TEST(SequentialTest, AddRejectsBadLayers) {
  Sequential model;
  EXPECT_EQ(model.Add(std::make_unique<Dense>(0)).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(model.Add(std::make_unique<Dropout>(1.0f)).code(), Status::Code::kInvalidArgument);
  ASSERT_TRUE(model.Add(std::make_unique<Dense>(3, Activation::kLinear, "out")).ok());
  EXPECT_EQ(model.Add(std::make_unique<Dense>(3, Activation::kLinear, "out")).code(),
            Status::Code::kInvalidArgument);
  ASSERT_TRUE(model.Build(4).ok());
  EXPECT_EQ(model.Add(std::make_unique<Dense>(3)).code(), Status::Code::kFailedPrecondition);
}

TEST(SequentialTest, FitValidatesItsInputs) {
  auto model = MnistMlp(8, 0);
  Dataset d = MakeData(20, 8, 10, 1);
  EXPECT_EQ(model->Fit(d.x, d.y, {}).status().code(), Status::Code::kFailedPrecondition);
  ASSERT_TRUE(model->Compile({.optimizer = RMSprop()}).ok());
  Tensor wrong_x(DType::kFloat32, {20, 9});
  EXPECT_EQ(model->Fit(wrong_x, d.y, {}).status().code(), Status::Code::kInvalidArgument);
  Tensor wrong_y(DType::kInt64, {19});
  EXPECT_EQ(model->Fit(d.x, wrong_y, {}).status().code(), Status::Code::kInvalidArgument);
  d.y.data<int64_t>()[3] = 10;
  Status s = model->Fit(d.x, d.y, {}).status();
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("label 10 at row 3"), std::string::npos) << s.message();
  EXPECT_EQ(model->Compile({.optimizer = RMSprop(), .metrics = {"top_k"}}).code(),
            Status::Code::kUnimplemented);
}

TEST(SequentialTest, SameSeedsGiveBitIdenticalWeights) {
  Dataset d = MakeData(200, 16, 10, 2);
  auto train = [&](uint64_t fit_seed) {
    auto model = MnistMlp(16, 7);
    EXPECT_TRUE(model->Compile({.optimizer = RMSprop({.learning_rate = 0.0015f})}).ok());
    EXPECT_TRUE(
        model->Fit(d.x, d.y, {.batch_size = 40, .steps = 30, .seed = fit_seed, .verbose = 0}).ok());
    return model->GetWeights();
  };
  auto a = train(5), b = train(5), c = train(6);
  ASSERT_EQ(a.size(), b.size());
  bool differs_from_c = false;
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(0,
              std::memcmp(a[i].second.raw_data(), b[i].second.raw_data(), a[i].second.num_bytes()))
        << a[i].first;
    differs_from_c |=
        std::memcmp(a[i].second.raw_data(), c[i].second.raw_data(), a[i].second.num_bytes()) != 0;
  }
  EXPECT_TRUE(differs_from_c);
}

// Conv2D(relu) -> MaxPooling2D lets the pool write the conv's output
// gradient with ReLU's derivative applied (LayerContext::write_din,
// mask_din_relu) and the conv write the pool's; with the ReLU as a layer of its
// own, every gradient is zeroed and accumulated and masked separately. Both
// must train to the same weights.
TEST(SequentialTest, FusedReluPoolGradientsMatchSeparateLayers) {
  auto build = [](bool separate_relu) {
    auto model = std::make_unique<Sequential>("cnn");
    for (int block = 0; block < 2; ++block) {
      EXPECT_TRUE(model
                      ->Add(std::make_unique<Conv2D>(Conv2DOptions{
                          .filters = 8,
                          .kernel_size = {3, 3},
                          .activation = separate_relu ? Activation::kLinear : Activation::kRelu}))
                      .ok());
      if (separate_relu) {
        EXPECT_TRUE(model->Add(std::make_unique<ReLU>()).ok());
      }
      EXPECT_TRUE(model->Add(std::make_unique<MaxPooling2D>()).ok());
    }
    EXPECT_TRUE(model->Add(std::make_unique<Flatten>()).ok());
    EXPECT_TRUE(model->Add(std::make_unique<Dense>(3)).ok());
    EXPECT_TRUE(model->Build(Shape{10, 10, 2}, 11).ok());
    EXPECT_TRUE(model->Compile({.optimizer = Adam({.learning_rate = 0.01f})}).ok());
    return model;
  };
  Rng rng(3);
  Tensor x(DType::kFloat32, {48, 10, 10, 2}), y(DType::kInt64, {48});
  for (int64_t i = 0; i < x.num_elements(); ++i) x.data<float>()[i] = rng.UniformFloat() - 0.5f;
  for (int64_t i = 0; i < 48; ++i) y.data<int64_t>()[i] = static_cast<int64_t>(rng.UniformInt(3));
  auto fused = build(false), separate = build(true);
  for (auto* m : {fused.get(), separate.get()}) {
    ASSERT_TRUE(m->Fit(x, y, {.batch_size = 16, .epochs = 3, .seed = 5, .verbose = 0}).ok());
  }
  auto a = fused->GetWeights(), b = separate->GetWeights();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].second.num_elements(), b[i].second.num_elements());
    const float* pa = a[i].second.data<float>();
    const float* pb = b[i].second.data<float>();
    float change = 0;  // the weights did move
    for (int64_t k = 0; k < a[i].second.num_elements(); ++k) {
      EXPECT_NEAR(pa[k], pb[k], 1e-5f) << a[i].first << "[" << k << "]";
      change = std::max(change, std::fabs(pa[k]));
    }
    EXPECT_GT(change, 0.0f) << a[i].first;
  }
}

TEST(SequentialTest, LearnsASeparableProblem) {
  const int64_t features = 20, classes = 4;
  Dataset train = MakeData(4000, features, classes, 3), test = MakeData(1000, features, classes, 4);
  auto model = MnistMlp(features, 1, classes);
  ASSERT_TRUE(model->Compile({.optimizer = Adam({.learning_rate = 0.003f})}).ok());
  auto before = model->Evaluate(test.x, test.y);
  ASSERT_TRUE(before.ok());
  auto history = model->Fit(train.x, train.y,
                            {.batch_size = 32,
                             .epochs = 15,
                             .seed = 1,
                             .verbose = 0,
                             .validation_x = &test.x,
                             .validation_y = &test.y});
  ASSERT_TRUE(history.ok()) << history.status().message();
  const auto& h = history->history;
  ASSERT_EQ(h.at("loss").size(), 15u);
  EXPECT_EQ(history->steps, 15 * 125);
  EXPECT_LT(h.at("loss").back(), h.at("loss").front());
  auto after = model->Evaluate(test.x, test.y);
  ASSERT_TRUE(after.ok());
  EXPECT_GT(after->sparse_categorical_accuracy, 0.93);
  EXPECT_LT(after->loss, before->loss);
  EXPECT_DOUBLE_EQ(h.at("val_sparse_categorical_accuracy").back(),
                   after->sparse_categorical_accuracy);
}

TEST(SequentialTest, PredictAndEvaluateMatchPlainLoops) {
  const int64_t features = 12;
  Dataset d = MakeData(300, features, 10, 5);
  auto model = MnistMlp(features, 9);
  ASSERT_TRUE(model->Compile({.optimizer = RMSprop()}).ok());
  ASSERT_TRUE(model->Fit(d.x, d.y, {.batch_size = 40, .steps = 20, .verbose = 0}).ok());
  auto logits = model->Predict(d.x, /*batch_size=*/64);  // several batches, last partial
  ASSERT_TRUE(logits.ok());
  ASSERT_EQ(logits->shape(), (Shape{300, 10}));
  auto w = model->GetWeights();
  double loss_sum = 0;
  int64_t correct = 0;
  for (int64_t i = 0; i < 300; ++i) {
    std::vector<double> h(d.x.data<float>() + i * features, d.x.data<float>() + (i + 1) * features);
    for (int layer = 0; layer < 3; ++layer) {
      const Tensor& k = w[2 * layer].second;
      const Tensor& b = w[2 * layer + 1].second;
      std::vector<double> next(k.dim(1));
      for (int64_t o = 0; o < k.dim(1); ++o) {
        double acc = b.data<float>()[o];
        for (int64_t c = 0; c < k.dim(0); ++c) acc += h[c] * k.data<float>()[c * k.dim(1) + o];
        next[o] = layer < 2 ? std::max(acc, 0.0) : acc;
      }
      h = next;
    }
    double denom = 0;
    int64_t best = 0;
    for (int64_t c = 0; c < 10; ++c) {
      ASSERT_NEAR(logits->data<float>()[i * 10 + c], h[c], 1e-4 * (1 + std::fabs(h[c])));
      denom += std::exp(h[c]);
      if (h[c] > h[best]) best = c;
    }
    const int64_t label = d.y.data<int64_t>()[i];
    loss_sum += std::log(denom) - h[label];
    correct += best == label;
  }
  auto eval = model->Evaluate(d.x, d.y, 64);
  ASSERT_TRUE(eval.ok());
  EXPECT_NEAR(eval->loss, loss_sum / 300, 1e-4);
  EXPECT_NEAR(eval->sparse_categorical_accuracy, correct / 300.0, 1.0 / 300);
}

TEST(SequentialTest, StepsModeCountsStepsAndEpochs) {
  Dataset d = MakeData(100, 8, 10, 6);
  auto model = MnistMlp(8, 0);
  ASSERT_TRUE(model->Compile({.optimizer = RMSprop()}).ok());
  auto h =
      model->Fit(d.x, d.y, {.batch_size = 40, .steps = 25, .steps_per_epoch = 10, .verbose = 0});
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->steps, 25);
  EXPECT_EQ(h->history.at("loss").size(), 3u);  // 10 + 10 + 5
  EXPECT_EQ(model->optimizer()->iterations(), 25);
  Tensor y32(DType::kInt32, {100, 1});  // int32 (N, 1) labels work too
  for (int i = 0; i < 100; ++i)
    y32.data<int32_t>()[i] = static_cast<int32_t>(d.y.data<int64_t>()[i]);
  EXPECT_TRUE(model->Fit(d.x, y32, {.batch_size = 32, .epochs = 1, .verbose = 0}).ok());
  EXPECT_EQ(model->optimizer()->iterations(), 29);  // ceil(100 / 32)
}

std::string RunFitWithProgress(int force_terminal, int verbose) {
  Dataset d = MakeData(100, 8, 10, 7);
  auto model = MnistMlp(8, 0);
  EXPECT_TRUE(model->Compile({.optimizer = RMSprop()}).ok());
  std::FILE* f = std::tmpfile();
  EXPECT_TRUE(model
                  ->Fit(d.x, d.y,
                        {.batch_size = 10,
                         .steps = 100,
                         .verbose = verbose,
                         .progress = f,
                         .force_terminal = force_terminal})
                  .ok());
  std::string out(static_cast<size_t>(std::ftell(f)), '\0');
  std::rewind(f);
  EXPECT_EQ(std::fread(out.data(), 1, out.size(), f), out.size());
  std::fclose(f);
  return out;
}

TEST(ProgressTest, PlainLinesWhenNotATerminal) {
  const std::string out = RunFitWithProgress(0, 1);
  EXPECT_EQ(out.rfind("Epoch 1/1\n", 0), 0u) << out;
  EXPECT_EQ(out.find('\r'), std::string::npos);
  EXPECT_NE(out.find(" 10/100 [==>...........................] - ETA: "), std::string::npos) << out;
  EXPECT_NE(out.find(" 90/100 ["), std::string::npos) << out;
  EXPECT_NE(out.find("100/100 [==============================] - "), std::string::npos) << out;
  EXPECT_NE(out.find("ms/step - loss: "), std::string::npos) << out;
  EXPECT_NE(out.find(" - sparse_categorical_accuracy: "), std::string::npos) << out;
  int lines = 0;
  for (char c : out) lines += c == '\n';
  EXPECT_EQ(lines, 11);  // header + 9 periodic + final
}

TEST(ProgressTest, CarriageReturnOnATerminalAndSilentWithVerboseZero) {
  const std::string out = RunFitWithProgress(1, 1);
  EXPECT_NE(out.find("\r100/100 [=============================="), std::string::npos) << out;
  EXPECT_EQ(out.back(), '\n');
  EXPECT_TRUE(RunFitWithProgress(1, 0).empty());
}

TEST(ProgressTest, FormatLineMatchesKeras) {
  ProgressEvent e;
  e.step = 1200;
  e.steps = 5000;
  e.seconds = 0.25;
  e.metrics = {{"loss", 0.30123}, {"sparse_categorical_accuracy", 0.91127}};
  EXPECT_EQ(Progress::FormatLine(e, false),
            "1200/5000 [======>.......................] - ETA: 1s - loss: 0.3012 - "
            "sparse_categorical_accuracy: 0.9113");
  e.step = 5000;
  e.seconds = 1.05;
  EXPECT_EQ(Progress::FormatLine(e, true),
            "5000/5000 [==============================] - 1s 0.21ms/step - loss: 0.3012 - "
            "sparse_categorical_accuracy: 0.9113");
}

TEST(ProgressTest, CallbackGetsPeriodicAndEpochEndEvents) {
  Dataset d = MakeData(100, 8, 10, 8);
  auto model = MnistMlp(8, 0);
  ASSERT_TRUE(model->Compile({.optimizer = RMSprop()}).ok());
  std::vector<ProgressEvent> events;
  FitOptions options{.batch_size = 10, .steps = 40, .steps_per_epoch = 20, .verbose = 0};
  options.callback = [&](const ProgressEvent& e) { events.push_back(e); };
  ASSERT_TRUE(model->Fit(d.x, d.y, options).ok());
  // Per epoch of 20 steps: every 2 steps (10%) below 20, then the epoch end.
  ASSERT_EQ(events.size(), 2u * 10u);
  EXPECT_EQ(events[0].step, 2);
  EXPECT_FALSE(events[0].epoch_end);
  EXPECT_TRUE(events[9].epoch_end);
  EXPECT_EQ(events[9].step, 20);
  EXPECT_EQ(events[19].epoch, 1);
  EXPECT_EQ(events[19].epochs, 2);
  ASSERT_EQ(events[19].metrics.size(), 2u);
  EXPECT_EQ(events[19].metrics[0].first, "loss");
}

TEST(SequentialTest, FitLeavesTheCallersFloatingPointModeAlone) {
  Dataset d = MakeData(50, 8, 10, 9);
  auto model = MnistMlp(8, 0);
  ASSERT_TRUE(model->Compile({.optimizer = RMSprop()}).ok());
  const bool before = FlushDenormalsEnabled();
  ASSERT_TRUE(model->Fit(d.x, d.y, {.batch_size = 10, .steps = 3, .verbose = 0}).ok());
  ASSERT_TRUE(model->Predict(d.x).ok());
  EXPECT_EQ(FlushDenormalsEnabled(), before);
}

// ---- Chunked training steps (model.h) ----------------------------------------

// A small Fashion-MNIST-like CNN: a batch of 50 has ~4 MB of activations and
// gradients, past the size below which a step runs layer by layer.
std::unique_ptr<Sequential> ChunkedCnn(bool dropout, int threads, bool chunked) {
  auto model = std::make_unique<Sequential>("cnn");
  model->set_num_threads(threads);
  model->set_chunked_steps(chunked);
  EXPECT_TRUE(model
                  ->Add(std::make_unique<Conv2D>(Conv2DOptions{
                      .filters = 8, .kernel_size = {3, 3}, .activation = Activation::kRelu}))
                  .ok());
  EXPECT_TRUE(model->Add(std::make_unique<MaxPooling2D>()).ok());
  EXPECT_TRUE(model
                  ->Add(std::make_unique<Conv2D>(Conv2DOptions{
                      .filters = 16, .kernel_size = {3, 3}, .activation = Activation::kRelu}))
                  .ok());
  EXPECT_TRUE(model->Add(std::make_unique<MaxPooling2D>()).ok());
  EXPECT_TRUE(model->Add(std::make_unique<Flatten>()).ok());
  if (dropout) {
    EXPECT_TRUE(model->Add(std::make_unique<Dropout>(0.25f)).ok());
  }
  EXPECT_TRUE(model->Add(std::make_unique<Dense>(10)).ok());
  EXPECT_TRUE(model->Build(Shape{28, 28, 1}, 21).ok());
  EXPECT_TRUE(model->Compile({.optimizer = Adam({.learning_rate = 0.003f})}).ok());
  return model;
}

struct ChunkedRun {
  std::vector<std::pair<std::string, Tensor>> weights;
  History history;
  bool chunked = false;  // the step profile shows chunked steps
};

// 200 random images, batch 50 (chunks of 13, 13, 13 and 11 rows), 2 epochs.
ChunkedRun TrainChunkedCnn(bool dropout, int threads, bool chunked) {
  Rng rng(8);
  Tensor x(DType::kFloat32, {200, 28, 28, 1}), y(DType::kInt64, {200});
  for (int64_t i = 0; i < x.num_elements(); ++i) x.data<float>()[i] = rng.UniformFloat() - 0.5f;
  for (int64_t i = 0; i < 200; ++i) y.data<int64_t>()[i] = static_cast<int64_t>(rng.UniformInt(10));
  auto model = ChunkedCnn(dropout, threads, chunked);
  model->set_step_profiling(true);
  ChunkedRun run;
  auto h = model->Fit(x, y, {.batch_size = 50, .epochs = 2, .seed = 4, .verbose = 0});
  EXPECT_TRUE(h.ok()) << h.status().message();
  if (h.ok()) run.history = *h;
  run.weights = model->GetWeights();
  const Model::StepProfile& p = model->step_profile();
  for (size_t i = 0; i < p.phases.size(); ++i) {
    if (p.phases[i] == "chunk setup, gradient sum") run.chunked = p.wall_s[i] > 0;
  }
  return run;
}

TEST(SequentialTest, ChunkedStepsMatchLayerByLayerSteps) {
  const ChunkedRun chunked = TrainChunkedCnn(false, 2, true);
  const ChunkedRun layered = TrainChunkedCnn(false, 2, false);
  EXPECT_TRUE(chunked.chunked);
  EXPECT_FALSE(layered.chunked);
  ASSERT_EQ(chunked.weights.size(), layered.weights.size());
  for (size_t i = 0; i < chunked.weights.size(); ++i) {
    const Tensor& a = chunked.weights[i].second;
    const Tensor& b = layered.weights[i].second;
    ASSERT_EQ(a.num_elements(), b.num_elements());
    float change = 0;  // the weights did move
    for (int64_t k = 0; k < a.num_elements(); ++k) {
      // Only the order of the weight gradients' sums differs.
      EXPECT_NEAR(a.data<float>()[k], b.data<float>()[k], 2e-5f)
          << chunked.weights[i].first << "[" << k << "]";
      change = std::max(change, std::fabs(a.data<float>()[k]));
    }
    EXPECT_GT(change, 0.0f) << chunked.weights[i].first;
  }
  // The loss and accuracy each epoch come from the same logits.
  for (const char* key : {"loss", "sparse_categorical_accuracy"}) {
    ASSERT_EQ(chunked.history.history.at(key).size(), 2u);
    for (size_t e = 0; e < 2; ++e) {
      EXPECT_NEAR(chunked.history.history.at(key)[e], layered.history.history.at(key)[e], 1e-4)
          << key;
    }
  }
}

TEST(SequentialTest, ChunkedStepsAreBitIdenticalWhateverTheThreadCount) {
  const ChunkedRun one = TrainChunkedCnn(false, 1, true);
  for (int threads : {1, 2, 3}) {
    const ChunkedRun other = TrainChunkedCnn(false, threads, true);
    EXPECT_TRUE(other.chunked);
    ASSERT_EQ(one.weights.size(), other.weights.size());
    for (size_t i = 0; i < one.weights.size(); ++i) {
      EXPECT_EQ(0, std::memcmp(one.weights[i].second.raw_data(), other.weights[i].second.raw_data(),
                               one.weights[i].second.num_bytes()))
          << one.weights[i].first << " with " << threads << " threads";
    }
  }
}

TEST(SequentialTest, ModelsWithDropoutTrainLayerByLayer) {
  // Dropout draws its mask in batch order from one stream: not chunked.
  EXPECT_FALSE(TrainChunkedCnn(true, 2, true).chunked);
}

}  // namespace
}  // namespace edgepipe::nn
